/**
 * Outreach contacts and casework sessions: recording one, voiding a mistaken one the same day,
 * and how today's list shows them. Like every other write (actions.ts), each one runs in turn,
 * seals the event and the row it belongs to in one IndexedDB transaction, and only then shows it.
 */
import { z } from 'zod';
import { openJson, sealJson } from '../../crypto/atRest.ts';
import type { OrgConfig } from '../../domain/config.ts';
import { resolveRecords, type ResolvedCasework, type ResolvedOutreach } from '../../domain/counting.ts';
import { CaseworkSession, OutreachContacted, type EventOf } from '../../domain/events.ts';
import { localDateOf } from '../../domain/time.ts';
import { currentDay, saveDayRecord, serially, stamp } from '../session.ts';
import type { Session } from '../store.ts';
import type { VisitRecord } from '../core/vault.ts';

/** A device clock and a typed time may disagree by this much before a time counts as still to come. */
const FUTURE_GRACE_MS = 60_000;

export interface ContactInput {
  /** When it happened; null for now. */
  occurredAt: string | null;
  /** null when she is not known or did not give a name. */
  womanId: string | null;
  area: string;
  place: string;
  needs: string[];
  support: string[];
  referrals: string[];
}

export interface SessionInput {
  /** When it happened; null for now. */
  occurredAt: string | null;
  womanId: string | null;
  topics: string[];
  referrals: string[];
  outcome: string;
}

/** Records an outreach contact; returns its id (the id of the event that created it). */
export function recordContact(input: ContactInput): Promise<string> {
  return serially(async () => {
    if (!input.area) throw new Error('Choose the area where you met her.');
    if (!input.place) throw new Error('Choose the kind of place.');
    const s = await currentDay();
    const base = stamp(s);
    const event: EventOf<'outreach.contacted'> = OutreachContacted.parse({
      ...base,
      type: 'outreach.contacted',
      occurredAt: when(input.occurredAt, base.at),
      womanId: input.womanId,
      area: input.area,
      place: input.place,
      needs: input.needs,
      support: input.support,
      referrals: input.referrals,
    });
    await saveRecord(s, event);
    await rememberArea(s, input.area);
    return event.id;
  });
}

/** Records an advice or casework session with a known woman; returns its id. */
export function recordSession(input: SessionInput): Promise<string> {
  return serially(async () => {
    if (!input.womanId) throw new Error('Choose the woman: a casework session is always with a known woman.');
    if (input.topics.length === 0) throw new Error('Choose at least one topic.');
    if (!input.outcome) throw new Error('Choose the outcome.');
    const s = await currentDay();
    const base = stamp(s);
    const event: EventOf<'casework.session'> = CaseworkSession.parse({
      ...base,
      type: 'casework.session',
      occurredAt: when(input.occurredAt, base.at),
      womanId: input.womanId,
      topics: input.topics,
      referrals: input.referrals,
      outcome: input.outcome,
    });
    await saveRecord(s, event);
    return event.id;
  });
}

/**
 * Voids a contact or session recorded on this device today. It stays in the history, struck
 * through, and counts nowhere. Reasons are chosen from a list: a record never grows a narrative.
 */
export function voidRecord(recordId: string, reason: string): Promise<void> {
  return serially(async () => {
    if (!reason.trim()) throw new Error('Choose a reason for voiding it.');
    const s = await currentDay();
    const record = s.contacts.find((r) => r.id === recordId);
    if (!record) throw new Error('That record is no longer on today’s list, so it cannot be voided here. Ask your admin.');
    const event: EventOf<'record.voided'> = { ...stamp(s), type: 'record.voided', targetId: recordId, reason: reason.trim() };
    await saveDayRecord('contacts', { ...record, events: [...record.events, event] }, [event]);
  });
}

function when(occurredAt: string | null, now: string): string {
  if (occurredAt === null) return now;
  if (Date.parse(occurredAt) > Date.parse(now) + FUTURE_GRACE_MS) {
    throw new Error('That date and time is still to come. Check the date and the time, then save again.');
  }
  return occurredAt;
}

/** A new record's row, dated by the local date it happened on, saved with its event. */
function saveRecord(s: Session, event: EventOf<'outreach.contacted' | 'casework.session'>): Promise<void> {
  const date = localDateOf(event.occurredAt, s.config.timeZone);
  return saveDayRecord('contacts', { id: event.id, date, events: [event] }, [event]);
}

export type DayRecordView = (ResolvedOutreach | ResolvedCasework) & { voided: boolean };

/**
 * A contact or session as today's list shows it, resolved by the counting module itself so the
 * list and the reports never disagree. A voided one is shown as it was before the void.
 */
export function dayRecordView(record: Pick<VisitRecord, 'events'>, config: Pick<OrgConfig, 'timeZone'>): DayRecordView {
  const live = resolveRecords(record.events, config).find(isContactOrSession);
  if (live) return { ...live, voided: false };
  const before = resolveRecords(record.events.filter((e) => e.type !== 'record.voided'), config).find(isContactOrSession);
  if (!before) throw new Error('A stored outreach or casework record has no event that created it.');
  return { ...before, voided: true };
}

function isContactOrSession(r: { kind: string }): r is ResolvedOutreach | ResolvedCasework {
  return r.kind === 'outreach' || r.kind === 'casework';
}

/** Today's outreach contacts (or casework sessions) on this device, newest first. */
export function todaysRecords(s: Pick<Session, 'contacts' | 'config'>, kind: 'outreach'): (ResolvedOutreach & { voided: boolean })[];
export function todaysRecords(s: Pick<Session, 'contacts' | 'config'>, kind: 'casework'): (ResolvedCasework & { voided: boolean })[];
export function todaysRecords(s: Pick<Session, 'contacts' | 'config'>, kind: 'outreach' | 'casework'): DayRecordView[] {
  return s.contacts
    .map((r) => dayRecordView(r, s.config))
    .filter((v) => v.kind === kind)
    .sort((a, b) => (a.occurredAt === b.occurredAt ? (a.id < b.id ? 1 : -1) : a.occurredAt < b.occurredAt ? 1 : -1));
}

// ---------------------------------------------------------------------------------------------
// The areas she worked in lately, so the next contact starts in the same one. Where outreach
// happens is as sensitive as what happened, so the list is sealed at rest like the records.

const RECENT_AREAS = 5;
const RecentAreas = z.object({ areas: z.array(z.string().min(1).max(64)).max(RECENT_AREAS) });
const recentAreasId = (staffId: string) => `recentAreas:${staffId}`;

/** The areas this staff member recorded contacts in on this device, latest first. */
export async function recentAreas(s: Pick<Session, 'vault' | 'staff'>): Promise<string[]> {
  const id = recentAreasId(s.staff.id);
  const row = await s.vault.db.settings.get(id);
  if (!row) return [];
  try {
    return RecentAreas.parse(await openJson(s.vault.keyring, `settings:${id}`, row)).areas;
  } catch {
    return []; // a convenience only: a damaged list starts again empty
  }
}

async function rememberArea(s: Session, area: string): Promise<void> {
  try {
    const areas = [area, ...(await recentAreas(s)).filter((a) => a !== area)].slice(0, RECENT_AREAS);
    const id = recentAreasId(s.staff.id);
    await s.vault.db.settings.put({ id, ...(await sealJson(s.vault.keyring, `settings:${id}`, { areas })) });
  } catch {
    // The contact itself is saved; failing to remember the area must not say otherwise.
  }
}
