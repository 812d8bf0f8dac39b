/**
 * The directory on every device: the reports' directory fold kept as sealed rows. Merges follow
 * the reports (crossing merges leave one woman, and Today counts a merged woman once), each field
 * of an entry is decided latest-wins on its own, erasures remove a woman for good (a late
 * registration or change cannot bring her back), rows stored by an earlier version are converted,
 * and the newest shared configuration replaces the device's own, keeping the device's site.
 */
import 'fake-indexeddb/auto';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { FootfallDb } from '../../src/app/core/database.ts';
import { DirectoryState, Woman } from '../../src/app/core/rows.ts';
import type { VisitRecord } from '../../src/app/core/vault.ts';
import { applyDirectory, registerWoman } from '../../src/app/directory/directoryActions.ts';
import { lock, unlock } from '../../src/app/lock/access.ts';
import { NOT_THE_ADMIN_DEVICE, saveConfig } from '../../src/app/settings/settingsActions.ts';
import { canonicalId, directorySearchIndex, EMPTY_DIRECTORY_STATE, foldDirectory, type DirectoryChanges } from '../../src/app/directory/directory.ts';
import { todayFigures } from '../../src/app/frontDesk/todayFigures.ts';
import { useFootfall } from '../../src/app/store.ts';
import { defaultConfig, type OrgConfig } from '../../src/domain/config.ts';
import { resolveWomen } from '../../src/domain/women.ts';
import type { EventOf, FootfallEvent, WomanDetails } from '../../src/domain/events.ts';
import { searchByName } from '../../src/domain/search.ts';
import { enrolAs } from './careFixtures.ts';
import { ADMIN_PIN, currentSession, readEvents, setUpFresh, core } from './helpers.ts';

const base = (at: string) => ({ id: uuidv7(), at, deviceId: 'tablet', staffId: 'staff' });
const registered = (knownAs: string, at = '2026-01-01T10:00:00.000Z', details: WomanDetails = {}): EventOf<'woman.registered'> => {
  const b = base(at);
  return { ...b, type: 'woman.registered', womanId: b.id, knownAs, details };
};
const updated = (womanId: string, knownAs: string | undefined, at: string, details: WomanDetails = {}): FootfallEvent => ({
  ...base(at),
  type: 'woman.updated',
  womanId,
  ...(knownAs && { knownAs }),
  details,
});
const merged = (womanId: string, intoId: string, at: string): FootfallEvent => ({ ...base(at), type: 'woman.merged', womanId, intoId });
const erased = (womanId: string, at: string): FootfallEvent => ({ ...base(at), type: 'woman.erased', womanId });
const configured = (config: OrgConfig, at: string, id = uuidv7()): EventOf<'org.configured'> => ({ ...base(at), id, type: 'org.configured', config });
const visit = (womanId: string, at: string): VisitRecord => {
  const event: EventOf<'visit.checkedIn'> = { ...base(at), type: 'visit.checkedIn', occurredAt: at, womanId, siteId: 'drop-in', services: ['meal'] };
  return { id: event.id, date: at.slice(0, 10), events: [event] };
};

const CONFIG = defaultConfig({ key: 'drop-in', name: 'Drop-in centre' });

/** Folds pages one after another, as sync rounds do, the rows and state stored between them. */
function foldPages(pages: FootfallEvent[][], from: Pick<DirectoryChanges, 'women' | 'state'> = { women: new Map(), state: EMPTY_DIRECTORY_STATE }): DirectoryChanges {
  let result = { ...from, put: [], removed: [], config: null, people: null, siteKey: null, changed: false } as DirectoryChanges;
  for (const page of pages) {
    result = foldDirectory(result.women, result.state, page);
    result.women = new Map([...result.women].map(([id, w]) => [id, Woman.parse(JSON.parse(JSON.stringify(w)))]));
    result.state = DirectoryState.parse(JSON.parse(JSON.stringify(result.state)));
  }
  return result;
}

const offered = (women: ReadonlyMap<string, Woman>, query: string) => searchByName(directorySearchIndex(women), query).map((w) => w.id);

describe('foldDirectory', () => {
  const ann = registered('Ann');
  const bea = registered('Bea');
  const ann2 = registered('Annie');
  const start = foldDirectory(new Map(), EMPTY_DIRECTORY_STATE, [ann, bea, ann2]);

  it('counts a merged woman once on Today as soon as the device has the merge', () => {
    // The tablet checked both of her entries in; the admin merged them on her laptop.
    const visits = [visit(ann.womanId, '2026-03-02T10:00:00.000Z'), visit(ann2.womanId, '2026-03-02T11:00:00.000Z')];
    expect(todayFigures(visits, start.women, CONFIG, '2026-03-02')).toMatchObject({ visits: 2, uniqueWomen: 2 });
    const after = foldPages([[merged(ann2.womanId, ann.womanId, '2026-03-02T12:00:00.000Z')]], start);
    expect(todayFigures(visits, after.women, CONFIG, '2026-03-02')).toMatchObject({ visits: 1, uniqueWomen: 1 });
    // Every entry of the group shows her as the entry kept: her name on both visits.
    expect(after.women.get(ann2.womanId)).toMatchObject({ knownAs: 'Ann', mergedInto: ann.womanId });
    expect(offered(after.women, 'ann')).toEqual([ann.womanId]);
  });

  it.each([
    ['A into B first', 0],
    ['B into A first', 1],
  ])('leaves one woman, findable once, after two crossing merges made on two devices (%s arriving first)', (_name, first) => {
    const crossing = [merged(ann2.womanId, ann.womanId, '2026-02-01T00:00:00.000Z'), merged(ann.womanId, ann2.womanId, '2026-02-01T00:05:00.000Z')];
    const pages = first ? [[crossing[1]!], [crossing[0]!]] : [[crossing[0]!], [crossing[1]!]];
    const result = foldPages(pages, start);
    // The earlier merge decides, as in the reports; the later one joins two who are already one.
    expect(offered(result.women, 'ann')).toEqual([ann.womanId]);
    expect(canonicalId(result.women, ann2.womanId)).toBe(ann.womanId);
    expect(canonicalId(result.women, ann.womanId)).toBe(ann.womanId);
    expect(resolveWomen([ann, bea, ann2, ...crossing]).has(ann.womanId)).toBe(true);
  });

  it('decides each field latest-wins on its own, whatever order changes arrive in, as the reports do', () => {
    const jo = registered('Jo', '2026-01-01T10:00:00.000Z', { ageBand: '18-24', housing: 'hostel' });
    const newer = updated(jo.womanId, 'Jojo', '2026-01-03T10:00:00.000Z', { housing: 'rough-sleeping' });
    const older = updated(jo.womanId, 'Josie', '2026-01-02T10:00:00.000Z', { ageBand: '25-34', housing: 'temporary' });
    const expected = { knownAs: 'Jojo', details: { ageBand: '25-34', housing: 'rough-sleeping' } };
    expect(foldPages([[jo], [newer], [older]]).women.get(jo.womanId)).toMatchObject(expected);
    expect(foldPages([[older, jo], [newer]]).women.get(jo.womanId)).toMatchObject(expected);
    expect(resolveWomen([jo, newer, older]).get(jo.womanId)).toMatchObject(expected);
    // The older change, arriving again, changes nothing.
    const settled = foldPages([[jo, newer, older]]);
    expect(foldDirectory(settled.women, settled.state, [older]).changed).toBe(false);
  });

  it('erases a woman and every entry merged into her, and remembers her ids', () => {
    const withMerge = foldDirectory(start.women, start.state, [merged(ann2.womanId, ann.womanId, '2026-02-01T00:00:00.000Z')]);
    const result = foldDirectory(withMerge.women, withMerge.state, [erased(ann.womanId, '2026-03-01T00:00:00.000Z')]);
    expect([...result.women.keys()]).toEqual([bea.womanId]);
    expect(result.removed.sort()).toEqual([ann.womanId, ann2.womanId].sort());
    expect(result.state.erased).toEqual([ann.womanId, ann2.womanId].sort());
    expect(result.put).toEqual([]);
    expect(result.changed).toBe(true);
  });

  it('ignores a registration or change of an erased woman arriving later, in any order', () => {
    const gone = foldDirectory(start.women, start.state, [erased(ann.womanId, '2026-03-01T00:00:00.000Z')]);
    const late = foldDirectory(gone.women, gone.state, [ann, updated(ann.womanId, 'Ann again', '2026-04-01T00:00:00.000Z')]);
    expect(late.women.has(ann.womanId)).toBe(false);
    expect(late.changed).toBe(false);
    const oneRun = foldDirectory(new Map(), EMPTY_DIRECTORY_STATE, [updated(ann.womanId, 'X', '2026-04-01T00:00:00.000Z'), erased(ann.womanId, '2026-03-01T00:00:00.000Z'), ann]);
    expect(oneRun.women.size).toBe(0);
    expect(oneRun.state.erased).toEqual([ann.womanId]);
    expect(oneRun.state.waiting).toEqual({});
  });

  it('erases a woman found, by a merge arriving later, to be one already erased: in either direction', () => {
    const gone = foldDirectory(start.women, start.state, [erased(ann.womanId, '2026-03-01T00:00:00.000Z')]);
    const into = foldDirectory(gone.women, gone.state, [merged(ann2.womanId, ann.womanId, '2026-02-01T00:00:00.000Z')]);
    expect(into.women.has(ann2.womanId)).toBe(false);
    expect(into.removed).toEqual([ann2.womanId]);
    expect(into.state.erased).toContain(ann2.womanId);
    // The erased entry merged into another: they are one woman, so she goes too, as in the reports.
    const from = foldDirectory(gone.women, gone.state, [merged(ann.womanId, bea.womanId, '2026-04-02T00:00:00.000Z')]);
    expect(from.removed).toEqual([bea.womanId]);
    expect(resolveWomen([ann, bea, ann2, erased(ann.womanId, '2026-03-01T00:00:00.000Z'), merged(ann.womanId, bea.womanId, '2026-04-02T00:00:00.000Z')]).has(bea.womanId)).toBe(false);
  });

  it('follows merge chains to the entry a woman is counted under', () => {
    const chain = foldDirectory(start.women, start.state, [
      merged(ann2.womanId, ann.womanId, '2026-02-01T00:00:00.000Z'),
      merged(ann.womanId, bea.womanId, '2026-02-02T00:00:00.000Z'),
    ]);
    expect(canonicalId(chain.women, ann2.womanId)).toBe(bea.womanId);
    const gone = foldDirectory(chain.women, chain.state, [erased(bea.womanId, '2026-03-01T00:00:00.000Z')]);
    expect(gone.women.size).toBe(0);
  });

  it('keeps what was said about an entry whose registration has not arrived, and shows her once it does', () => {
    const late = registered('Dee', '2026-01-01T10:00:00.000Z', { housing: 'hostel' });
    const first = foldPages([[updated(late.womanId, undefined, '2026-01-02T10:00:00.000Z', { housing: 'temporary' })]]);
    expect(first.women.size).toBe(0);
    expect(Object.keys(first.state.waiting)).toEqual([late.womanId]);
    const then = foldPages([[late]], first);
    expect(then.women.get(late.womanId)).toMatchObject({ knownAs: 'Dee', details: { housing: 'temporary' } });
    expect(then.state.waiting).toEqual({});
  });

  it('converts rows stored by an earlier version: a chain, a crossing pair and a change', () => {
    // Rows as the earlier fold wrote them: the next entry of a chain, one stamp per entry.
    const [a, b, c, d, e] = [registered('Amy'), registered('Amie'), registered('Ami'), registered('Dot'), registered('Dottie')];
    const row = (r: EventOf<'woman.registered'>, more: object = {}) =>
      Woman.parse({ id: r.womanId, knownAs: r.knownAs, details: {}, registeredAt: r.at, lastChange: { at: r.at, id: r.id }, ...more });
    const old = new Map(
      [
        row(a, { mergedInto: b.womanId }),
        row(b, { mergedInto: c.womanId }),
        row(c, { knownAs: 'Ami C', details: { housing: 'hostel' }, lastChange: { at: '2026-01-05T00:00:00.000Z', id: uuidv7() } }),
        row(d, { mergedInto: e.womanId }),
        row(e, { mergedInto: d.womanId }),
      ].map((w) => [w.id, w]),
    );
    const oldState = DirectoryState.parse({ erased: [], configChange: null });
    expect(oldState).toEqual(EMPTY_DIRECTORY_STATE);

    const result = foldDirectory(old, oldState, []);
    expect(result.changed).toBe(true);
    expect(result.put.map((w) => w.id).sort()).toEqual([...old.keys()].sort());
    expect(result.put.every((w) => w.said && !w.lastChange)).toBe(true);
    expect(offered(result.women, 'am').map((id) => result.women.get(id)!.knownAs)).toEqual(['Ami C']);
    expect(canonicalId(result.women, a.womanId)).toBe(c.womanId);
    expect(offered(result.women, 'dot')).toHaveLength(1);
    expect(result.state.merges).toHaveLength(4); // each old row's merge, the crossing pair's both
    // A change older than the stamp the old row kept stays superseded.
    const stale = foldDirectory(result.women, result.state, [updated(c.womanId, 'Amelia', '2026-01-04T00:00:00.000Z')]);
    expect(stale.changed).toBe(false);
    // Converted once: the next fold has nothing to convert.
    expect(foldDirectory(result.women, result.state, []).changed).toBe(false);
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
    const tie = configured({ ...CONFIG, idleLockMinutes: 30 }, newer.at, newer.id.replace(/.$/, (ch) => (ch === 'f' ? 'e' : 'f')));
    const tied = foldDirectory(first.women, first.state, [tie]);
    expect(tied.config === null).toBe(tie.id < newer.id);
  });
});

describe('the directory on a device', () => {
  afterEach(lock);
  const grace = () => useFootfall.getState().staff.find((s) => s.name === 'Grace')!;
  const found = (name: string) => searchByName(directorySearchIndex(currentSession().women), name).map((w) => w.knownAs);
  const eventTypes = async (db: FootfallDb) => (await readEvents(db, core().keyring)).map((e) => e.type);

  it('seals every woman\'s row to one length, whether her entry says nothing or every detail', async () => {
    const db = await setUpFresh('directory');
    await registerWoman(core(), 'Jo', {});
    await registerWoman(core(), 'Anastasia-Magdalena Okonkwo-Fitzgerald', {
      ageBand: '25-34',
      nationality: 'middle-east',
      ethnicity: 'mixed',
      housing: 'temporary',
      exploitation: ['street-sex-work', 'off-street', 'trafficking', 'sexual-exploitation', 'criminal-exploitation', 'domestic-servitude'],
      referralSource: 'charity',
    });
    const lengths = (await db.women.toArray()).map((r) => (r.ct as ArrayBuffer).byteLength);
    expect(lengths).toEqual([2048 + 16, 2048 + 16]);
  });

  it('removes an erased woman, her sealed row with her, for good', async () => {
    const db = await setUpFresh('directory');
    const ann = await registerWoman(core(), 'Ann Lee', {});
    const bea = await registerWoman(core(), 'Bea', {});
    expect(found('ann')).toEqual(['Ann Lee']);
    expect(await db.women.count()).toBe(2);

    await applyDirectory(core(), [erased(ann.id, new Date().toISOString())]);
    expect(found('ann')).toEqual([]);
    expect(currentSession().women.has(ann.id)).toBe(false);
    expect((await db.women.toArray()).map((r) => r.id)).toEqual([await core().vault.rowKey('women', bea.id)]);
    // Pulled, not recorded here: nothing added to this device's outbox.
    expect(await eventTypes(db)).toEqual(['woman.registered', 'woman.registered']);

    // Remembered across a lock: her registration, pulled again, does not bring her back.
    await lock();
    const unlocked = await unlock(grace().id, ADMIN_PIN);
    if (!unlocked.ok) throw new Error(unlocked.message);
    await applyDirectory(core(), [{ ...registered('Ann Lee'), womanId: ann.id }, updated(ann.id, 'Ann', new Date().toISOString())]);
    expect(found('ann')).toEqual([]);
    expect(await db.women.count()).toBe(1);
  });

  it('shows a merge pulled from the admin’s device at once, and after a lock', async () => {
    const db = await setUpFresh('directory');
    const ann = await registerWoman(core(), 'Ann Lee', {});
    const annie = await registerWoman(core(), 'Annie L', { housing: 'hostel' });
    await applyDirectory(core(), [merged(annie.id, ann.id, new Date().toISOString())]);
    expect(found('ann')).toEqual(['Ann Lee']);
    expect(currentSession().women.get(ann.id)?.details).toEqual({ housing: 'hostel' });

    await lock();
    const unlocked = await unlock(grace().id, ADMIN_PIN);
    if (!unlocked.ok) throw new Error(unlocked.message);
    expect(found('ann')).toEqual(['Ann Lee']);
    expect(canonicalId(currentSession().women, annie.id)).toBe(ann.id);
    expect(await db.women.count()).toBe(2);
  });

  it('replaces its configuration with the newest shared one, keeping its own site', async () => {
    const db = await setUpFresh('directory');
    const siteKey = useFootfall.getState().identity!.siteKey;
    const shared = { ...CONFIG, idleLockMinutes: 25, sites: [{ key: 'hub', name: 'Hub', retired: false }] };
    await applyDirectory(core(), [configured(shared, new Date().toISOString())]);
    expect(currentSession().config).toEqual(shared);
    expect(useFootfall.getState().identity!.siteKey).toBe(siteKey);

    await lock();
    const unlocked = await unlock(grace().id, ADMIN_PIN);
    if (!unlocked.ok) throw new Error(unlocked.message);
    expect(currentSession().config).toEqual(shared);
    await applyDirectory(core(), [configured({ ...CONFIG, idleLockMinutes: 7 }, '2020-01-01T00:00:00.000Z')]);
    expect(currentSession().config.idleLockMinutes).toBe(25);
    expect(await db.outbox.count()).toBe(0);
  });

  it('shares the configuration from the admin device only, as an event, once enrolled', async () => {
    const db = await setUpFresh('directory');
    const config = currentSession().config;
    await saveConfig(core(), { ...config, idleLockMinutes: 11 });
    expect(await db.outbox.count()).toBe(0); // not enrolled: kept on this device

    await enrolAs(db, 'admin');
    await saveConfig(core(), { ...config, idleLockMinutes: 12 });
    expect(await eventTypes(db)).toEqual(['org.configured']);
    expect(currentSession().config.idleLockMinutes).toBe(12);
    expect(useFootfall.getState().unsynced).toBe(1);
    // An older shared configuration pulled later changes nothing.
    await applyDirectory(core(), [configured({ ...config, idleLockMinutes: 3 }, '2020-01-01T00:00:00.000Z')]);
    expect(currentSession().config.idleLockMinutes).toBe(12);
  });

  it('refuses to change the organisation’s settings on an enrolled device that is not the admin’s', async () => {
    const db = await setUpFresh('directory');
    await enrolAs(db, 'frontDesk');
    const config = currentSession().config;
    await expect(saveConfig(core(), { ...config, idleLockMinutes: 30 })).rejects.toThrow(NOT_THE_ADMIN_DEVICE);
    expect(currentSession().config).toEqual(config);
    expect(await db.outbox.count()).toBe(0);
  });
});
