/**
 * What the front desk does to visits: check a woman in, change a visit's services, correct or
 * void it. Each is handed the device core, runs in turn with other saves, and writes the events
 * with the visit's row in one transaction before the screen shows it.
 */
import type { EventOf, FootfallEvent } from '../../domain/events.ts';
import type { DeviceCore } from '../core/core.ts';
import type { VisitRecord } from '../core/vault.ts';
import { canonicalId } from '../directory/directory.ts';
import { ClientError } from '../problems.ts';
import type { Session } from '../store.ts';
import { visitView, type VisitView } from './visitView.ts';

// Today's visits resolved once per change of the list, not once per search result per keystroke.
const resolvedVisits = new WeakMap<VisitRecord[], VisitView[]>();

/** Today's visit of this woman (or an entry merged with hers) at this site, if she already has one. */
export function todaysVisitOf(s: Pick<Session, 'visits' | 'config' | 'women'>, siteKey: string, womanId: string): VisitView | undefined {
  let views = resolvedVisits.get(s.visits);
  if (!views) resolvedVisits.set(s.visits, (views = s.visits.map((v) => visitView(v, s.config))));
  // Any entry of her merged group counts as her: a merge must not let the desk open a second visit.
  const woman = canonicalId(s.women, womanId);
  return views.find((v) => !v.voided && v.womanId !== null && canonicalId(s.women, v.womanId) === woman && v.siteId === siteKey);
}

/**
 * Checks a woman in (womanId null for an anonymous visit). A woman already checked in today at
 * this site gets the services added to that visit instead: one woman, one site, one day, one visit.
 */
export function checkIn(core: DeviceCore, womanId: string | null, services: string[]): Promise<string> {
  return core.serially(() => checkInNow(core, womanId, services));
}

async function checkInNow(core: DeviceCore, womanId: string | null, services: string[]): Promise<string> {
  const s = await core.currentDay();
  const siteId = core.identity.siteKey;
  const existing = womanId ? todaysVisitOf(s, siteId, womanId) : undefined;
  if (existing) {
    await setServicesNow(core, existing.id, [...new Set([...existing.services, ...services])]);
    return existing.id;
  }
  const base = core.stamp();
  const event: EventOf<'visit.checkedIn'> = { ...base, type: 'visit.checkedIn', occurredAt: base.at, womanId, siteId, services };
  await saveVisit(core, { id: event.id, date: s.today, events: [event] }, [event]);
  return event.id;
}

/**
 * What the check-in panel saves: the visit it showed as today's set to exactly `services`, or,
 * when it showed none (`shown` null), a check-in. The day is read again first: a panel that
 * showed a visit before midnight showed yesterday's, and adding today's services to it would
 * count them on the wrong day, so it says so instead.
 */
export function saveCheckIn(core: DeviceCore, womanId: string | null, services: string[], shown: string | null): Promise<string> {
  return core.serially(async () => {
    if (shown === null) return checkInNow(core, womanId, services);
    if (!(await core.currentDay()).visits.some((v) => v.id === shown)) throw new ClientError('visit_of_another_day');
    await setServicesNow(core, shown, services);
    return shown;
  });
}

/** Reads the day again when the local date has changed (past midnight), in turn with saves. */
export function refreshDay(core: DeviceCore): Promise<unknown> {
  return core.serially(() => core.currentDay());
}

/** Changes a visit's services to exactly `services`, as added and removed events. */
export function setServices(core: DeviceCore, visitId: string, services: string[]): Promise<void> {
  return core.serially(() => setServicesNow(core, visitId, services));
}

async function setServicesNow(core: DeviceCore, visitId: string, services: string[]): Promise<void> {
  const { record, view } = findVisit(core.session, visitId);
  const wanted = new Set(services);
  const events: FootfallEvent[] = [];
  for (const service of wanted) {
    if (!view.services.includes(service)) events.push({ ...core.stamp(), type: 'visit.serviceAdded', visitId, service });
  }
  for (const service of view.services) {
    if (!wanted.has(service)) events.push({ ...core.stamp(), type: 'visit.serviceRemoved', visitId, service });
  }
  if (events.length) await saveVisit(core, { ...record, events: [...record.events, ...events] }, events);
}

export interface VisitCorrection {
  womanId?: string | null;
  siteId?: string;
  occurredAt?: string;
}

export function correctVisit(core: DeviceCore, visitId: string, changes: VisitCorrection, reason: string): Promise<void> {
  return core.serially(async () => {
    const s = core.session;
    const { record } = findVisit(s, visitId);
    const event: EventOf<'record.corrected'> = { ...core.stamp(), type: 'record.corrected', targetId: visitId, changes, reason };
    const events = [...record.events, event];
    const date = visitView({ ...record, events }, s.config).date;
    await saveVisit(core, { id: visitId, date, events }, [event]);
  });
}

export function voidVisit(core: DeviceCore, visitId: string, reason: string): Promise<void> {
  return core.serially(async () => {
    const { record } = findVisit(core.session, visitId);
    const event: EventOf<'record.voided'> = { ...core.stamp(), type: 'record.voided', targetId: visitId, reason };
    await saveVisit(core, { ...record, events: [...record.events, event] }, [event]);
  });
}

function findVisit(s: Session, visitId: string): { record: VisitRecord; view: VisitView } {
  const record = s.visits.find((v) => v.id === visitId);
  if (!record) throw new ClientError('visit_gone');
  return { record, view: visitView(record, s.config) };
}

function saveVisit(core: DeviceCore, record: VisitRecord, events: FootfallEvent[]): Promise<void> {
  return core.saveDayRecord('visits', record, events);
}
