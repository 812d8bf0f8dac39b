/**
 * Wrong-PIN limits that hold (docs/security.md#lock-policy): tries made at once in several tabs
 * each count, and moving the device's clock past a wait buys no more than the number of tries
 * the policy allows before the device is held.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lock, unlock } from '../../src/app/lock/access.ts';
import { FREE_TRIES, HOLD_AFTER } from '../../src/app/lock/lockPolicy.ts';
import { addStaff } from '../../src/app/settings/settingsActions.ts';
import { useFootfall } from '../../src/app/store.ts';
import { ADMIN_PIN, DESK_PIN, core, setUpFresh } from './helpers.ts';

const WRONG = '999111';

afterEach(() => {
  vi.useRealTimers();
});

async function deviceWithDesk() {
  const db = await setUpFresh('pins');
  await addStaff(core(), 'Dina', 'frontDesk', DESK_PIN);
  await lock();
  const staff = useFootfall.getState().staff;
  return { db, dina: staff.find((s) => s.name === 'Dina')!, grace: staff.find((s) => s.name === 'Grace')! };
}

describe('wrong-PIN limits', () => {
  it('counts every one of eight wrong PINs tried at once, and checks no PIN it does not count', async () => {
    const { db, dina } = await deviceWithDesk();
    const results = await Promise.all(Array.from({ length: 8 }, () => unlock(dina.id, WRONG)));
    const tried = results.filter((r) => !r.ok && /not right/.test(r.message)).length;
    const waited = results.filter((r) => !r.ok && /^Too many wrong PINs\. Wait/.test(r.message)).length;
    expect(tried + waited).toBe(8);
    // Each PIN that was checked is counted; the rest were refused before any check.
    expect(await db.device.get('lock')).toMatchObject({ failures: tried });
    expect(tried).toBe(FREE_TRIES + 1); // the fifth starts a wait, so the others wait
  });

  it('gives no more tries however the clock is moved; the waits passed, it holds the device for an admin', async () => {
    const { db, dina, grace } = await deviceWithDesk();
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    const refusedBeforeCheck = (r: Awaited<ReturnType<typeof unlock>>) =>
      !r.ok && /^(Too many wrong PINs\. Wait|This device is locked after too many wrong PINs)/.test(r.message);
    let checked = 0;
    for (let i = 0; i < HOLD_AFTER + 5; i++) {
      vi.setSystemTime(Date.now() + 24 * 60 * 60_000); // the device's clock moved a day on: it buys nothing
      const r = await unlock(dina.id, WRONG);
      if (!r.ok && !refusedBeforeCheck(r)) checked++;
    }
    expect(checked).toBe(FREE_TRIES + 1); // the fifth starts a wait, and no clock moves it
    // The waits themselves passed, on the page's own clock: the tries up to the hold, and no more.
    for (let i = 0; i < HOLD_AFTER + 5; i++) {
      vi.advanceTimersByTime(16 * 60_000);
      const r = await unlock(dina.id, WRONG);
      if (!r.ok && !refusedBeforeCheck(r)) checked++;
    }
    expect(checked).toBe(HOLD_AFTER);
    expect(await db.device.get('lock')).toMatchObject({ failures: HOLD_AFTER, held: true });
    expect(await unlock(dina.id, DESK_PIN)).toMatchObject({ ok: false, message: expect.stringMatching(/admin must unlock it/) });
    expect(await unlock(grace.id, ADMIN_PIN)).toMatchObject({ ok: true });
    expect(await db.device.get('lock')).toMatchObject({ failures: 0, held: false });
  });
});
