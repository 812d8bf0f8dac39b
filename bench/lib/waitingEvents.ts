/**
 * The events a device has waiting after a day's work, for the sync figures: one in twenty a
 * registration (the shared directory), the rest check-ins (activity). Footfall's round and the
 * PouchDB peer are given the same records.
 */
import { v7 as uuidv7 } from 'uuid';
import type { FootfallEvent } from '../../src/domain/events.ts';
import { knownAsNames, rng } from './names.ts';

const SERVICES = ['meal', 'hot-drink', 'shower', 'laundry', 'clothing', 'advice', 'nurse', 'phone'];

export function waitingEvents(count: number, deviceId: string, staffId: string, random: () => number = rng(7)): FootfallEvent[] {
  const names = knownAsNames(Math.ceil(count / 20) + 1, 5);
  const out: FootfallEvent[] = [];
  const women: string[] = [];
  const start = Date.now() - 6 * 3_600_000;
  for (let i = 0; i < count; i++) {
    const at = start + i * 1000;
    const iso = new Date(at).toISOString();
    const id = uuidv7({ msecs: at });
    if (i % 20 === 0) {
      women.push(id);
      out.push({ id, at: iso, deviceId, staffId, type: 'woman.registered', womanId: id, knownAs: names[women.length - 1]!, details: { ageBand: '25-34', housing: 'rough-sleeping' } });
    } else {
      const services = SERVICES.filter(() => random() < 0.3);
      const womanId = random() < 0.9 ? women[Math.floor(random() * women.length)]! : null;
      out.push({ id, at: iso, deviceId, staffId, type: 'visit.checkedIn', occurredAt: iso, womanId, siteId: 'main', services });
    }
  }
  return out;
}
