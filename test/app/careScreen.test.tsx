/**
 * The "Women's records" screen: offered on the organisation's admin device only; merging asks
 * for confirmation and is logged before it is recorded; erasing needs the organisation key and
 * her name typed; the retention rule is set with a clear message for a bad number. The server
 * side of erasure and retention is tested against the real endpoint in care.test.ts.
 */
import { act, screen, within } from '@testing-library/react';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import type { Woman } from '../../src/app/core/rows.ts';
import { useFootfall } from '../../src/app/store.ts';
import { refreshStatus } from '../../src/app/core/syncStatus.ts';
import type { Outcome } from '../../src/app/sync/client.ts';
import { enrolAs } from './careFixtures.ts';
import { currentSession, readEvents, core } from './helpers.ts';
import { nav, renderUnlocked, type User } from './ui.tsx';

const fake = vi.hoisted(() => ({
  audited: [] as string[],
  auditOutcome: { kind: 'ok', value: {}, serverTime: null } as Outcome<unknown>,
  key: null as CryptoKey | null,
}));

// The app's client, as the screen gets it, reports to a stand-in audit log.
vi.mock('../../src/app/admin/adminDevice.ts', async (original) => ({
  ...(await original<typeof import('../../src/app/admin/adminDevice.ts')>()),
  defaultClient: async () => ({
    audit: async (_device: unknown, action: string) => {
      if (fake.auditOutcome.kind === 'ok') fake.audited.push(action);
      return fake.auditOutcome;
    },
  }),
}));
// The organisation key as if opened with the passphrase (the real unlocking is reports-app's, tested there).
vi.mock('../../src/app/admin/orgKey.ts', async (original) => ({
  ...(await original<typeof import('../../src/app/admin/orgKey.ts')>()),
  orgKey: () => fake.key,
  useOrgKey: () => fake.key,
}));

// The unlocked app and this screen are loaded lazily; loaded once here, no test waits on it.
beforeAll(async () => {
  await Promise.all([import('../../src/app/Shell.tsx'), import('../../src/app/admin/care/CareScreen.tsx')]);
});

beforeEach(() => {
  fake.audited = [];
  fake.auditOutcome = { kind: 'ok', value: {}, serverTime: null };
  fake.key = null;
});

const region = (name: string) => within(screen.getByRole('region', { name }));
const notice = () => screen.getAllByRole('status').find((s) => s.classList.contains('notice'))!;

/** Grace's laptop, enrolled as the organisation's admin device, with three women registered. */
async function adminDevice(): Promise<{ user: User; women: Record<string, Woman> }> {
  const { user, db } = await renderUnlocked();
  const women: Record<string, Woman> = {};
  await act(async () => {
    for (const name of ['Ann Lee', 'Annie L', 'Bea Stone']) women[name] = await registerWoman(core(), name, {});
    await enrolAs(db, 'admin');
    await refreshStatus();
  });
  await user.click(nav().getByRole('button', { name: 'Women’s records' }));
  await screen.findByRole('heading', { level: 1, name: 'Women’s records' });
  return { user, women };
}

async function pick(user: User, section: string, field: string, query: string, name: RegExp) {
  await user.type(region(section).getByRole('searchbox', { name: field }), query);
  await user.click(region(section).getByRole('button', { name }));
}

describe('Women’s records', () => {
  it('is offered to an admin only on the organisation’s admin device', async () => {
    const { db } = await renderUnlocked();
    expect(nav().queryByRole('button', { name: 'Women’s records' })).not.toBeInTheDocument();
    await act(async () => {
      await enrolAs(db, 'frontDesk');
      await refreshStatus();
    });
    expect(nav().queryByRole('button', { name: 'Women’s records' })).not.toBeInTheDocument();
    await act(async () => {
      await enrolAs(db, 'admin');
      await refreshStatus();
    });
    expect(nav().getAllByRole('button').map((b) => b.textContent)).toEqual(['Check in', 'Today', 'Outreach', 'Casework', 'Reports', 'Import', 'Women’s records', 'Settings']);
  });

  it('merges a duplicate into the record kept, after a confirmation, and logs it', async () => {
    const { user, women } = await adminDevice();
    await pick(user, 'Merge two records of the same woman', 'Record to keep', 'ann', /^Ann Lee registered/);
    expect(region('Merge two records of the same woman').getByText(/Record to keep:/)).toHaveTextContent(/Record to keep: Ann Lee, registered \d+ \w+ \d{4}/);
    // The record kept is not offered as its own duplicate.
    await user.type(region('Merge two records of the same woman').getByRole('searchbox', { name: 'Duplicate' }), 'ann');
    expect(region('Merge two records of the same woman').queryByRole('button', { name: /^Ann Lee registered/ })).not.toBeInTheDocument();
    await user.click(region('Merge two records of the same woman').getByRole('button', { name: /^Annie L registered/ }));

    await user.click(region('Merge two records of the same woman').getByRole('button', { name: 'Merge Annie L into Ann Lee' }));
    const confirm = within(screen.getByRole('group', { name: 'Confirm the merge' }));
    expect(confirm.getByText(/This cannot be undone/)).toBeInTheDocument();
    await user.click(confirm.getByRole('button', { name: 'Cancel' }));
    expect(currentSession().women.get(women['Annie L']!.id)?.mergedInto).toBeUndefined();

    await user.click(region('Merge two records of the same woman').getByRole('button', { name: 'Merge Annie L into Ann Lee' }));
    await user.click(screen.getByRole('button', { name: 'Yes, merge them' }));
    expect(await screen.findByText('Annie L is merged into Ann Lee: they are counted as one woman from now on, on every device.')).toBe(notice());
    expect(fake.audited).toEqual(['records.merged']);
    expect(currentSession().women.get(women['Annie L']!.id)?.mergedInto).toBe(women['Ann Lee']!.id);
    const events = await readEvents(sessionDb(), core().keyring);
    expect(events.at(-1)).toMatchObject({ type: 'woman.merged', womanId: women['Annie L']!.id, intoId: women['Ann Lee']!.id });
  });

  it('does not merge when the audit log cannot be told', async () => {
    const { user, women } = await adminDevice();
    fake.auditOutcome = { kind: 'unreachable', message: 'The server could not be reached.' };
    await pick(user, 'Merge two records of the same woman', 'Record to keep', 'bea', /^Bea Stone registered/);
    await pick(user, 'Merge two records of the same woman', 'Duplicate', 'ann', /^Ann Lee registered/);
    await user.click(region('Merge two records of the same woman').getByRole('button', { name: 'Merge Ann Lee into Bea Stone' }));
    await user.click(screen.getByRole('button', { name: 'Yes, merge them' }));
    expect(await region('Merge two records of the same woman').findByRole('alert')).toHaveTextContent(
      'The audit log could not be updated: The server could not be reached.',
    );
    expect(currentSession().women.get(women['Ann Lee']!.id)?.mergedInto).toBeUndefined();
    expect((await readEvents(sessionDb(), core().keyring)).map((e) => e.type)).not.toContain('woman.merged');
  });

  it('asks for the organisation key before erasing, then for her name typed', async () => {
    const { user, women } = await adminDevice();
    const erase = region('Erase a woman');
    expect(erase.getByLabelText('Organisation passphrase')).toBeInTheDocument();
    expect(erase.queryByRole('searchbox')).not.toBeInTheDocument();

    fake.key = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])).privateKey;
    await user.click(nav().getByRole('button', { name: 'Settings' }));
    await user.click(nav().getByRole('button', { name: 'Women’s records' }));
    await pick(user, 'Erase a woman', 'Woman to erase', 'bea', /^Bea Stone registered/);
    await user.type(region('Erase a woman').getByRole('textbox', { name: 'Type her known-as name, Bea Stone, to confirm' }), 'Bea');
    await user.click(region('Erase a woman').getByRole('button', { name: 'Erase Bea Stone' }));
    expect(await region('Erase a woman').findByRole('alert')).toHaveTextContent('Type her known-as name, Bea Stone, exactly as shown, to confirm.');
    expect(fake.audited).toEqual([]);
    expect(currentSession().women.has(women['Bea Stone']!.id)).toBe(true);
  });

  it('sets the retention rule, refusing a number that is not whole years, and shares it', async () => {
    const { user } = await adminDevice();
    const rule = region('Retention rule');
    const field = rule.getByRole('spinbutton', { name: /older than this many years/ });
    expect(field).toHaveValue(null);
    expect(rule.queryByRole('button', { name: 'Check who the rule applies to' })).not.toBeInTheDocument();
    await user.type(field, '0');
    await user.click(rule.getByRole('button', { name: 'Save rule' }));
    expect(rule.getByRole('alert')).toHaveTextContent('Enter a whole number of years from 1 to 100, or leave it empty for no rule.');
    await user.clear(field);
    await user.type(field, '7');
    await user.click(rule.getByRole('button', { name: 'Save rule' }));
    expect(await screen.findByText('Retention rule saved: 7 years.')).toBe(notice());
    expect(currentSession().config.retentionYears).toBe(7);
    const events = await readEvents(sessionDb(), core().keyring);
    expect(events.at(-1)).toMatchObject({ type: 'org.configured', config: { retentionYears: 7 } });
    // Checking whom it applies to needs the organisation key.
    expect(rule.getByText('Open the organisation key (above) to apply the rule.')).toBeInTheDocument();
    await user.clear(field);
    await user.click(rule.getByRole('button', { name: 'Save rule' }));
    expect(await screen.findByText('No retention rule: identifying data is kept until a woman is erased.')).toBe(notice());
    expect(currentSession().config.retentionYears).toBeNull();
  });
});

function sessionDb() {
  return core().vault.db;
}
