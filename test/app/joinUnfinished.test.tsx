/**
 * A join cut short after the code was claimed (docs/security.md#joining): the person at the device
 * sees why and what to do on the join screen, and the device is left as it was, not half set up:
 * no identity, no person, no enrolment, no keys. Pressing the button again, with the claim still
 * held by the screen, finishes the join.
 */
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it, vi } from 'vitest';
import { App } from '../../src/app/App.tsx';
import { claimJoin, completeJoin, type JoinOffer } from '../../src/app/sync/organisation.ts';
import { useFootfall } from '../../src/app/store.ts';
import { exportTeamKey, generateOrgKeyPair, generateTeamKey } from '../../src/crypto/envelope.ts';
import { generatePersonalCode, personalCodeCheck } from '../../src/crypto/personalCode.ts';
import { generateDeviceKeys } from '../../src/crypto/signing.ts';
import { defaultConfig } from '../../src/domain/config.ts';
import { bootFresh } from './helpers.ts';

// The screen is handed a claim as the endpoint would answer it; the first try at completing the
// join runs to its end and then fails, as a full disk would make it, so all it wrote must go.
vi.mock('../../src/app/sync/organisation.ts', async (original) => {
  const real = await original<typeof import('../../src/app/sync/organisation.ts')>();
  return { ...real, claimJoin: vi.fn(), completeJoin: vi.fn(real.completeJoin) };
});

/** A claimed code for a front-desk tablet that Amina may use, and her personal code. */
async function claimed(): Promise<{ offer: JoinOffer; code: string }> {
  const personId = uuidv7();
  const code = generatePersonalCode();
  const site = { key: 'drop-in', name: 'Drop-in' };
  const offer: JoinOffer = {
    deviceId: crypto.randomUUID(),
    role: 'frontDesk',
    keys: await generateDeviceKeys(),
    pkg: {
      orgId: crypto.randomUUID(),
      orgPublicKey: (await generateOrgKeyPair()).publicJwk,
      teamKeys: [{ version: 1, raw: await exportTeamKey(await generateTeamKey()) }],
      device: {
        name: 'Front desk tablet',
        siteKey: site.key,
        config: { ...defaultConfig(site), name: 'Women’s Centre' },
        people: [
          {
            id: personId,
            name: 'Amina',
            roles: ['frontDesk'],
            sites: null,
            code: { codeId: crypto.randomUUID(), check: await personalCodeCheck(code, personId), expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
            saved: { at: new Date().toISOString(), id: uuidv7() },
          },
        ],
      },
    },
  };
  return { offer, code };
}

describe('a join cut short', () => {
  it('says why and what to do on the join screen, leaves the device not set up, and finishes when tried again', async () => {
    const db = await bootFresh('joining');
    const { offer, code } = await claimed();
    vi.mocked(claimJoin).mockResolvedValueOnce(offer);
    const real = vi.mocked(completeJoin).getMockImplementation()!;
    vi.mocked(completeJoin).mockImplementationOnce(async (...args) => {
      await real(...args);
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    });
    const user = userEvent.setup();
    render(<App />);
    await user.click(await screen.findByRole('button', { name: 'Join your organisation' }));
    await user.type(screen.getByLabelText('Device code'), '7K2M-7K2M-7K2M-7K2M-7');
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    await screen.findByRole('heading', { name: 'Join Women’s Centre' });
    await user.type(screen.getByLabelText('Your personal code'), code);
    await user.type(screen.getByLabelText('Choose your PIN (6 to 12 digits)'), '482913');
    await user.type(screen.getByLabelText('Your PIN again'), '482913');
    await user.click(screen.getByRole('button', { name: 'Set my PIN and start' }));

    const alert = await screen.findByRole('alert', {}, { timeout: 20_000 });
    expect(alert).toHaveTextContent('This device could not finish joining (this device is out of storage space), so nothing was kept on it.');
    expect(alert).toHaveTextContent('press “Set my PIN and start” again');
    expect(alert).toHaveTextContent('ask your admin to revoke “Front desk tablet” in Settings → Devices and to make a new code');
    // Nothing half set up: the join had written its enrolment and keys, and they are gone with the rest.
    expect(vi.mocked(completeJoin)).toHaveBeenCalledTimes(1);
    for (const table of db.tables) expect(await table.count(), `rows left in ${table.name}`).toBe(0);
    expect(useFootfall.getState().phase.kind).toBe('setup');
    expect(screen.getByRole('heading', { name: 'Join Women’s Centre' })).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Set my PIN and start' }));
    await screen.findByRole('heading', { name: 'Check in' }, { timeout: 20_000 });
    expect(await db.device.get('enrolment')).toMatchObject({ orgId: offer.pkg.orgId, role: 'frontDesk' });
    expect(useFootfall.getState().identity).toMatchObject({ deviceId: offer.deviceId, siteKey: 'drop-in' });
  }, 120_000);
});
