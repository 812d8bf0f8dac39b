/**
 * A synthetic organisation's history for the report figure: the same in Node and in the page, and
 * the same every run (seeded).
 */
import { v7 as uuidv7 } from 'uuid';
import type { FootfallEvent } from '../../src/domain/events.ts';
import { rng } from './names.ts';

const SERVICES = ['meal', 'shower', 'laundry', 'clothes', 'advice'];
const SITES = ['main', 'east'];
const AREAS = ['camden', 'westminster', 'lambeth', 'hackney', 'southwark'];
const PLACES = ['street', 'hostel', 'hospital', 'phone'];
const TOPICS = ['housing', 'health-gp', 'benefits', 'safety'];
const DAY_MS = 86_400_000;

/**
 * A history of `total` events over three financial years (April 2023 to March 2026): women
 * registered as they first come, then visits (most with services added later in the day for a
 * few), outreach contacts and casework sessions, a sprinkling of corrections, voids and merges.
 */
export function syntheticHistory(total: number, deviceId: string, staffId: string): FootfallEvent[] {
  const random = rng(7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const some = (items: readonly string[]) => items.filter(() => random() < 0.35);
  const start = Date.UTC(2023, 3, 1, 9);
  const span = 3 * 365 * DAY_MS;
  const events: FootfallEvent[] = [];
  const women: string[] = [];
  const records: string[] = [];
  const stamp = (at: number) => ({ id: uuidv7({ msecs: at }), at: new Date(at).toISOString(), deviceId, staffId });
  while (events.length < total) {
    const at = start + Math.floor((events.length / total) * span) + Math.floor(random() * 8 * 3_600_000);
    const roll = random();
    if (roll < 0.06 || women.length < 50) {
      const e = stamp(at);
      women.push(e.id);
      events.push({ ...e, type: 'woman.registered', womanId: e.id, knownAs: `Woman ${women.length}`, details: { ageBand: pick(['18-24', '25-34', '35-44']), housing: pick(['rough-sleeping', 'hostel', 'not-known']) } });
    } else if (roll < 0.76) {
      const e = stamp(at);
      records.push(e.id);
      events.push({ ...e, type: 'visit.checkedIn', occurredAt: e.at, womanId: random() < 0.88 ? pick(women) : null, siteId: pick(SITES), services: some(SERVICES) });
    } else if (roll < 0.82) {
      if (records.length) events.push({ ...stamp(at), type: 'visit.serviceAdded', visitId: records[records.length - 1]!, service: pick(SERVICES) });
    } else if (roll < 0.91) {
      const e = stamp(at);
      records.push(e.id);
      events.push({ ...e, type: 'outreach.contacted', occurredAt: e.at, womanId: random() < 0.7 ? pick(women) : null, area: pick(AREAS), place: pick(PLACES), needs: some(['food', 'health']), support: some(['food', 'advice']), referrals: random() < 0.2 ? ['gp'] : [] });
    } else if (roll < 0.97) {
      const e = stamp(at);
      records.push(e.id);
      events.push({ ...e, type: 'casework.session', occurredAt: e.at, womanId: pick(women), topics: [pick(TOPICS)], referrals: random() < 0.3 ? ['housing-options'] : [], outcome: 'advice-given' });
    } else if (roll < 0.985) {
      if (records.length) events.push({ ...stamp(at), type: 'record.corrected', targetId: pick(records), changes: { occurredAt: new Date(at - DAY_MS).toISOString() }, reason: 'Wrong day' });
    } else if (roll < 0.995) {
      if (records.length) events.push({ ...stamp(at), type: 'record.voided', targetId: pick(records), reason: 'Entered twice' });
    } else if (women.length > 2) {
      const womanId = pick(women);
      const intoId = pick(women);
      if (womanId !== intoId) events.push({ ...stamp(at), type: 'woman.merged', womanId, intoId });
    }
  }
  return events;
}
