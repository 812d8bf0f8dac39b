/**
 * The directory on every device: erasures remove a woman for good (a late registration or change
 * cannot bring her back), and the newest shared configuration replaces the device's own, keeping
 * the device's site.
 */
import 'fake-indexeddb/auto';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { applyDirectory, lock, NOT_THE_ADMIN_DEVICE, registerWoman, saveConfig, unlock } from '../../src/app/session.ts';
import type { FootfallDb } from '../../src/app/core/database.ts';
import type { Woman } from '../../src/app/core/rows.ts';
import { canonicalId, EMPTY_DIRECTORY_STATE, foldDirectory, mergedInto } from '../../src/app/directory/directory.ts';
import { useFootfall } from '../../src/app/store.ts';
import { defaultConfig, type OrgConfig } from '../../src/domain/config.ts';
import type { EventOf, FootfallEvent } from '../../src/domain/events.ts';
import { searchByName } from '../../src/domain/search.ts';
import { enrolAs } from './careFixtures.ts';
import { ADMIN_PIN, currentSession, readEvents, setUpFresh } from './helpers.ts';

const base = (at: string) => ({ id: uuidv7(), at, deviceId: 'tablet', staffId: 'staff' });
const registered = (knownAs: string, at = '2026-01-01T10:00:00.000Z'): EventOf<'woman.registered'> => {
  const b = base(at);
  return { ...b, type: 'woman.registered', womanId: b.id, knownAs, details: {} };
};
const updated = (womanId: string, knownAs: string, at: string): FootfallEvent => ({ ...base(at), type: 'woman.updated', womanId, knownAs, details: {} });
const merged = (womanId: string, intoId: string, at: string): FootfallEvent => ({ ...base(at), type: 'woman.merged', womanId, intoId });
const erased = (womanId: string, at: string): FootfallEvent => ({ ...base(at), type: 'woman.erased', womanId });
const configured = (config: OrgConfig, at: string, id = uuidv7()): EventOf<'org.configured'> => ({ ...base(at), id, type: 'org.configured', config });

const CONFIG = defaultConfig({ key: 'drop-in', name: 'Drop-in centre' });

describe('foldDirectory', () => {
  const ann = registered('Ann');
  const bea = registered('Bea');
  const ann2 = registered('Annie');
  const start = foldDirectory(new Map(), EMPTY_DIRECTORY_STATE, [ann, bea, ann2]);

  it('erases a woman and every entry merged into her, and remembers her id', () => {
    const withMerge = foldDirectory(start.women, start.state, [merged(ann2.womanId, ann.womanId, '2026-02-01T00:00:00.000Z')]);
    expect(mergedInto(withMerge.women, ann.womanId)).toEqual([ann2.womanId]);
    const result = foldDirectory(withMerge.women, withMerge.state, [erased(ann.womanId, '2026-03-01T00:00:00.000Z')]);
    expect([...result.women.keys()]).toEqual([bea.womanId]);
    expect(result.removed.sort()).toEqual([ann.womanId, ann2.womanId].sort());
    expect(result.state.erased).toEqual([ann.womanId, ann2.womanId].sort());
    expect(result.put).toEqual([]);
    expect(result.changed).toBe(true);
  });

  it('ignores a registration, change or merge of an erased woman arriving later', () => {
    const gone = foldDirectory(start.women, start.state, [erased(ann.womanId, '2026-03-01T00:00:00.000Z')]);
    const late = foldDirectory(gone.women, gone.state, [
      ann,
      updated(ann.womanId, 'Ann again', '2026-04-01T00:00:00.000Z'),
      merged(ann.womanId, bea.womanId, '2026-04-02T00:00:00.000Z'),
    ]);
    expect(late.women.has(ann.womanId)).toBe(false);
    expect(late.changed).toBe(false);
    // In one run too, whatever order they arrive in.
    const oneRun = foldDirectory(new Map(), EMPTY_DIRECTORY_STATE, [updated(ann.womanId, 'X', '2026-04-01T00:00:00.000Z'), erased(ann.womanId, '2026-03-01T00:00:00.000Z'), ann]);
    expect(oneRun.women.size).toBe(0);
    expect(oneRun.state.erased).toEqual([ann.womanId]);
  });

  it('erases a woman folded into one already erased, however the merge arrives', () => {
    const gone = foldDirectory(start.women, start.state, [erased(ann.womanId, '2026-03-01T00:00:00.000Z')]);
    const late = foldDirectory(gone.women, gone.state, [merged(ann2.womanId, ann.womanId, '2026-02-01T00:00:00.000Z')]);
    expect(late.women.has(ann2.womanId)).toBe(false);
    expect(late.removed).toEqual([ann2.womanId]);
    expect(late.state.erased).toContain(ann2.womanId);
  });

  it('follows merge chains to the entry a woman is counted under', () => {
    const chain = foldDirectory(start.women, start.state, [
      merged(ann2.womanId, ann.womanId, '2026-02-01T00:00:00.000Z'),
      merged(ann.womanId, bea.womanId, '2026-02-02T00:00:00.000Z'),
    ]);
    expect(canonicalId(chain.women, ann2.womanId)).toBe(bea.womanId);
    expect(mergedInto(chain.women, bea.womanId).sort()).toEqual([ann.womanId, ann2.womanId].sort());
    const gone = foldDirectory(chain.women, chain.state, [erased(bea.womanId, '2026-03-01T00:00:00.000Z')]);
    expect(gone.women.size).toBe(0);
  });

  it('takes the newest shared configuration and ignores older ones arriving late', () => {
    const newer = configured({ ...CONFIG, idleLockMinutes: 20 }, '2026-05-02T00:00:00.000Z');
    const older = configured({ ...CONFIG, idleLockMinutes: 9 }, '2026-05-01T00:00:00.000Z');
    const first = foldDirectory(new Map(), EMPTY_DIRECTORY_STATE, [newer, older]);
    expect(first.config?.idleLockMinutes).toBe(20);
    expect(first.state.configChange).toEqual({ at: newer.at, id: newer.id });
    const late = foldDirectory(first.women, first.state, [older]);
    expect(late.config).toBeNull();
    expect(late.changed).toBe(false);
    // Same device time: the id decides, as everywhere.
    const tie = configured({ ...CONFIG, idleLockMinutes: 30 }, newer.at, newer.id.replace(/.$/, (c) => (c === 'f' ? 'e' : 'f')));
    const tied = foldDirectory(first.women, first.state, [tie]);
    expect(tied.config === null).toBe(tie.id < newer.id);
  });
});

describe('the directory on a device', () => {
  const open: FootfallDb[] = [];
  afterEach(() => {
    for (const db of open.splice(0)) db.close();
  });
  async function device(): Promise<FootfallDb> {
    const db = await setUpFresh('directory');
    open.push(db);
    return db;
  }
  const grace = () => useFootfall.getState().staff.find((s) => s.name === 'Grace')!;
  const found = (name: string) => searchByName(currentSession().searchIndex, name).map((w: Woman) => w.knownAs);

  it('removes an erased woman, her sealed row with her, for good', async () => {
    const db = await device();
    const ann = await registerWoman('Ann Lee', {});
    const bea = await registerWoman('Bea', {});
    expect(found('ann')).toEqual(['Ann Lee']);
    expect(await db.women.count()).toBe(2);

    await applyDirectory([erased(ann.id, new Date().toISOString())]);
    expect(found('ann')).toEqual([]);
    expect(currentSession().women.has(ann.id)).toBe(false);
    expect(await db.women.count()).toBe(1);
    expect((await db.women.toArray()).map((r) => r.id)).toEqual([bea.id]);
    // Pulled, not recorded here: nothing added to this device's outbox.
    expect((await readEvents(db, currentSession().vault.keyring)).map((e) => e.type)).toEqual(['woman.registered', 'woman.registered']);

    // Remembered across a lock: her registration, pulled again, does not bring her back.
    await lock();
    expect(await unlock(grace().id, ADMIN_PIN)).toEqual({ ok: true });
    await applyDirectory([{ ...registered('Ann Lee'), womanId: ann.id }, updated(ann.id, 'Ann', new Date().toISOString())]);
    expect(found('ann')).toEqual([]);
    expect(await db.women.count()).toBe(1);
  });

  it('replaces its configuration with the newest shared one, keeping its own site', async () => {
    const db = await device();
    const siteKey = useFootfall.getState().identity!.siteKey;
    const shared = { ...CONFIG, idleLockMinutes: 25, sites: [{ key: 'hub', name: 'Hub', retired: false }] };
    const event = configured(shared, new Date().toISOString());
    await applyDirectory([event]);
    expect(currentSession().config).toEqual(shared);
    expect(useFootfall.getState().identity!.siteKey).toBe(siteKey);

    await lock();
    await unlock(grace().id, ADMIN_PIN);
    expect(currentSession().config).toEqual(shared);
    await applyDirectory([configured({ ...CONFIG, idleLockMinutes: 7 }, '2020-01-01T00:00:00.000Z')]);
    expect(currentSession().config.idleLockMinutes).toBe(25);
    expect(await db.events.count()).toBe(0);
  });

  it('shares the configuration from the admin device only, as an event, once enrolled', async () => {
    const db = await device();
    const config = currentSession().config;
    await saveConfig({ ...config, idleLockMinutes: 11 });
    expect(await db.events.count()).toBe(0); // not enrolled: kept on this device

    await enrolAs(db, 'admin');
    await saveConfig({ ...config, idleLockMinutes: 12 });
    const events = await readEvents(db, currentSession().vault.keyring);
    expect(events.map((e) => e.type)).toEqual(['org.configured']);
    expect(events[0]).toMatchObject({ config: { idleLockMinutes: 12 } });
    expect(currentSession().config.idleLockMinutes).toBe(12);
    expect(useFootfall.getState().unsynced).toBe(1);
    // An older shared configuration pulled later changes nothing.
    await applyDirectory([configured({ ...config, idleLockMinutes: 3 }, '2020-01-01T00:00:00.000Z')]);
    expect(currentSession().config.idleLockMinutes).toBe(12);
  });

  it('refuses to change the organisation’s settings on an enrolled device that is not the admin’s', async () => {
    const db = await device();
    await enrolAs(db, 'frontDesk');
    const config = currentSession().config;
    await expect(saveConfig({ ...config, idleLockMinutes: 30 })).rejects.toThrow(NOT_THE_ADMIN_DEVICE);
    expect(currentSession().config).toEqual(config);
    expect(await db.events.count()).toBe(0);
  });
});
