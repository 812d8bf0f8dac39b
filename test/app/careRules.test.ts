/**
 * What an erasure and the retention rule take out of the records, without a server: which women
 * an erasure covers (merged entries included), which batches must be replaced and what they keep,
 * and whom the retention rule applies to.
 */
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { erasedWomen, identifies, planCompaction, womenPastRetention } from '../../src/app/admin/care/erasure.ts';
import { defaultConfig, OrgConfig } from '../../src/domain/config.ts';
import type { EventOf, FootfallEvent } from '../../src/domain/events.ts';

const base = (at: string) => ({ id: uuidv7(), at, deviceId: 'tablet', staffId: 'staff' });
function registered(knownAs: string, at: string): EventOf<'woman.registered'> {
  const b = base(at);
  return { ...b, type: 'woman.registered', womanId: b.id, knownAs, details: { housing: 'hostel' } };
}
const updated = (womanId: string, at: string): FootfallEvent => ({ ...base(at), type: 'woman.updated', womanId, details: { ageBand: '25-34' } });
const merged = (womanId: string, intoId: string, at: string): FootfallEvent => ({ ...base(at), type: 'woman.merged', womanId, intoId });
const erased = (womanId: string, at: string): FootfallEvent => ({ ...base(at), type: 'woman.erased', womanId });
const visit = (womanId: string | null, at: string): FootfallEvent => ({
  ...base(at),
  type: 'visit.checkedIn',
  occurredAt: at,
  womanId,
  siteId: 'drop-in',
  services: ['meal'],
});
const CONFIG = defaultConfig({ key: 'drop-in', name: 'Drop-in centre' });

describe('erasedWomen', () => {
  const ann = registered('Ann', '2024-01-01T10:00:00.000Z');
  const annie = registered('Annie', '2024-01-02T10:00:00.000Z');
  const bea = registered('Bea', '2024-01-03T10:00:00.000Z');

  it('covers every entry merged with the woman erased, in either direction, and no one else', () => {
    const events = [ann, annie, bea, merged(annie.womanId, ann.womanId, '2024-02-01T00:00:00.000Z'), erased(ann.womanId, '2024-03-01T00:00:00.000Z')];
    expect(erasedWomen(events)).toEqual(new Set([ann.womanId, annie.womanId]));
    // Erasing the entry that was merged away erases the woman it was merged into: they are one woman.
    const viaDuplicate = [ann, annie, bea, merged(annie.womanId, ann.womanId, '2024-02-01T00:00:00.000Z'), erased(annie.womanId, '2024-03-01T00:00:00.000Z')];
    expect(erasedWomen(viaDuplicate)).toEqual(new Set([ann.womanId, annie.womanId]));
    expect(erasedWomen([ann, annie, bea])).toEqual(new Set());
  });

  it('covers an entry merged with her after the erasure, as every device does', () => {
    const events = [erased(ann.womanId, '2024-03-01T00:00:00.000Z'), ann, annie, bea, merged(ann.womanId, bea.womanId, '2024-04-01T00:00:00.000Z')];
    expect(erasedWomen(events)).toEqual(new Set([ann.womanId, bea.womanId]));
  });
});

describe('planCompaction', () => {
  const ann = registered('Ann', '2024-01-01T10:00:00.000Z');
  const bea = registered('Bea', '2024-01-03T10:00:00.000Z');
  const annVisit = visit(ann.womanId, '2024-01-01T11:00:00.000Z');
  const annUpdate = updated(ann.womanId, '2024-01-05T10:00:00.000Z');
  const erasure = erased(ann.womanId, '2024-03-01T00:00:00.000Z');

  it('replaces only the batches that identify her, keeping everything else they held', () => {
    const anonymous = visit(null, '2024-01-04T10:00:00.000Z');
    const plan = planCompaction([
      { batchId: 'b1', events: [ann, annVisit, bea] },
      { batchId: 'b2', events: [anonymous] },
      { batchId: 'b3', events: [annUpdate] },
      { batchId: 'b4', events: [erasure] },
    ]);
    expect(plan.rewrite).toEqual([
      { batchId: 'b1', keep: [annVisit, bea] },
      { batchId: 'b3', keep: [] },
    ]);
    expect(plan.removed).toBe(2);
    expect(new Set(plan.kept)).toEqual(new Set([annVisit, bea, anonymous, erasure]));
    expect(plan.kept.some((e) => identifies(e, new Set([ann.womanId])))).toBe(false);
  });

  it('counts a copy delivered twice once, and has nothing to do once she is gone', () => {
    const plan = planCompaction([
      { batchId: 'b1', events: [ann] },
      { batchId: 'b2', events: [ann, erasure] },
    ]);
    expect(plan.removed).toBe(1);
    expect(plan.rewrite.map((r) => r.batchId)).toEqual(['b1', 'b2']);
    expect(planCompaction([{ batchId: 'b5', events: [annVisit, erasure] }])).toMatchObject({ rewrite: [], removed: 0 });
  });
});

describe('womenPastRetention', () => {
  const now = new Date('2026-06-01T12:00:00.000Z');
  const oldOnly = registered('Olive', '2022-01-01T10:00:00.000Z');
  const oldButVisited = registered('Vera', '2021-01-01T10:00:00.000Z');
  const recent = registered('Nora', '2026-01-01T10:00:00.000Z');
  const mergedAway = registered('Olive 2', '2020-01-01T10:00:00.000Z');
  const gone = registered('Gina', '2019-01-01T10:00:00.000Z');
  const events: FootfallEvent[] = [
    oldOnly,
    visit(oldOnly.womanId, '2023-05-31T10:00:00.000Z'),
    oldButVisited,
    visit(oldButVisited.womanId, '2025-12-01T10:00:00.000Z'),
    recent,
    mergedAway,
    // A visit of the merged-away entry counts as hers: still over three years ago.
    visit(mergedAway.womanId, '2023-01-01T10:00:00.000Z'),
    merged(mergedAway.womanId, oldOnly.womanId, '2023-06-01T00:00:00.000Z'),
    gone,
    erased(gone.womanId, '2020-01-01T00:00:00.000Z'),
  ];

  it('finds the women whose latest record is older than the rule, once each, not those already erased', () => {
    expect(womenPastRetention(events, CONFIG, 3, now)).toEqual([oldOnly.womanId]);
    expect(womenPastRetention(events, CONFIG, 1, now)).toEqual([oldOnly.womanId]);
    expect(womenPastRetention(events, CONFIG, 10, now)).toEqual([]);
  });

  it('counts a visit of a merged-away entry as hers', () => {
    const lateVisit = visit(mergedAway.womanId, '2024-01-01T10:00:00.000Z');
    expect(womenPastRetention([...events, lateVisit], CONFIG, 3, now)).toEqual([]);
  });
});

describe('the retention setting', () => {
  it('is off unless set, and a configuration stored before it existed still opens', () => {
    const { retentionYears, ...stored } = defaultConfig({ key: 'drop-in', name: 'Drop-in centre' });
    expect(retentionYears).toBeNull();
    expect(OrgConfig.parse(stored).retentionYears).toBeNull();
    expect(OrgConfig.parse({ ...stored, retentionYears: 6 }).retentionYears).toBe(6);
    expect(OrgConfig.safeParse({ ...stored, retentionYears: 0 }).success).toBe(false);
    expect(OrgConfig.safeParse({ ...stored, retentionYears: 2.5 }).success).toBe(false);
  });
});
