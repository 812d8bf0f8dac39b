// @vitest-environment jsdom
/**
 * The lock screen kept in localStorage for a cold start: it follows what the core publishes,
 * holds no wrapped key, shows at once on the next start, and gives way to the database's rows.
 */
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import { boot } from '../../src/app/core/device.ts';
import { FootfallDb } from '../../src/app/core/database.ts';
import { keepLockSnapshot, readLockSnapshot } from '../../src/app/core/lockSnapshot.ts';
import { lock } from '../../src/app/lock/access.ts';
import { useFootfall } from '../../src/app/store.ts';
import { resetStore, setUpFresh, uniqueDbName } from './helpers.ts';

beforeEach(() => {
  localStorage.clear();
  resetStore();
});

describe('the lock screen kept for a cold start', () => {
  it('follows the device as set up, without any wrapped key, and shows before the database opens', async () => {
    const db = await setUpFresh('snapshot');
    await lock();
    const kept = readLockSnapshot();
    expect(kept?.identity.deviceName).toBe('Front desk tablet');
    expect(kept?.staff.map((s) => [s.name, s.role])).toEqual([['Grace', 'admin']]);
    expect(localStorage.getItem('footfall.lockScreen')).not.toMatch(/wrappedRoot|ciphertext|salt/);
    db.close();

    // The next start: the kept lock screen is shown at once, before the database is open.
    resetStore();
    const next = new FootfallDb(db.name);
    const booting = boot(next);
    expect(useFootfall.getState().phase.kind).toBe('locked');
    expect(useFootfall.getState().staff.map((s) => s.name)).toEqual(['Grace']);
    await booting;
    expect(useFootfall.getState().phase.kind).toBe('locked');
    next.close();
  });

  it('gives way to the database: a device that is not set up there shows set-up and forgets it', async () => {
    const db = await setUpFresh('snapshot-gone');
    await lock();
    db.close();
    resetStore();
    const empty = new FootfallDb(uniqueDbName('snapshot-empty'));
    await boot(empty);
    expect(useFootfall.getState().phase.kind).toBe('setup');
    expect(readLockSnapshot()).toBeNull();
    empty.close();
  });

  it('ignores what it cannot read', () => {
    localStorage.setItem('footfall.lockScreen', '{"identity":{"deviceName":1}}');
    expect(readLockSnapshot()).toBeNull();
    localStorage.setItem('footfall.lockScreen', 'not json');
    expect(readLockSnapshot()).toBeNull();
    keepLockSnapshot(null);
    expect(localStorage.getItem('footfall.lockScreen')).toBeNull();
  });
});
