/**
 * Outreach contacts and casework sessions: recording one, voiding a mistaken one the same day,
 * and how today's list shows them. Like every other write, each one is handed the device core,
 * runs in turn, seals the event and the row it belongs to in one IndexedDB transaction, and only
 * then shows it.
 */
import type { OrgConfig } from '../../domain/config.ts';
import { resolveRecords, type ResolvedCasework, type ResolvedOutreach } from '../../domain/counting.ts';
import { CaseworkSession, OutreachContacted, type EventOf } from '../../domain/events.ts';
import { localDateOf } from '../../domain/time.ts';
import type { DeviceCore } from '../core/core.ts';
import { RECENT_AREAS } from '../core/rows.ts';
import type { VisitRecord } from '../core/vault.ts';
import { ClientError } from '../problems.ts';
import type { Session } from '../store.ts';

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
export function recordContact(core: DeviceCore, input: ContactInput): Promise<string> {
  return core.serially(async () => {
    if (!input.area) throw new ClientError('choose_area');
    if (!input.place) throw new ClientError('choose_place');
    const s = await core.currentDay();
    const base = core.stamp();
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
    await saveRecord(core, s, event);
    await rememberArea(core, input.area);
    return event.id;
  });
}

/** Records an advice or casework session with a known woman; returns its id. */
export function recordSession(core: DeviceCore, input: SessionInput): Promise<string> {
  return core.serially(async () => {
    if (!input.womanId) throw new ClientError('choose_woman_casework');
    if (input.topics.length === 0) throw new ClientError('choose_topic');
    if (!input.outcome) throw new ClientError('choose_outcome');
    const s = await core.currentDay();
    const base = core.stamp();
    const event: EventOf<'casework.session'> = CaseworkSession.parse({
      ...base,
      type: 'casework.session',
      occurredAt: when(input.occurredAt, base.at),
      womanId: input.womanId,
      topics: input.topics,
      referrals: input.referrals,
      outcome: input.outcome,
    });
    await saveRecord(core, s, event);
    return event.id;
  });
}

/**
 * Voids a contact or session recorded on this device in the recent days. It stays in the history,
 * struck through, and counts nowhere. Reasons are chosen from a list: a record never grows a narrative.
 */
export function voidRecord(core: DeviceCore, recordId: string, reason: string): Promise<void> {
  return core.serially(async () => {
    if (!reason.trim()) throw new ClientError('choose_void_reason');
    const s = await core.currentDay();
    const record = s.contacts.find((r) => r.id === recordId);
    if (!record) throw new ClientError('record_gone');
    const event: EventOf<'record.voided'> = { ...core.stamp(), type: 'record.voided', targetId: recordId, reason: reason.trim() };
    await core.saveDayRecord('contacts', { ...record, events: [...record.events, event] }, [event]);
  });
}

function when(occurredAt: string | null, now: string): string {
  if (occurredAt === null) return now;
  if (Date.parse(occurredAt) > Date.parse(now) + FUTURE_GRACE_MS) {
    throw new ClientError('time_to_come');
  }
  return occurredAt;
}

/** A new record's row, dated by the local date it happened on, saved with its event. */
function saveRecord(core: DeviceCore, s: Session, event: EventOf<'outreach.contacted' | 'casework.session'>): Promise<void> {
  const date = localDateOf(event.occurredAt, s.config.timeZone);
  return core.saveDayRecord('contacts', { id: event.id, date, events: [event] }, [event]);
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

type RecordKind = 'outreach' | 'casework';
type ViewOf<K extends RecordKind> = Extract<DayRecordView, { kind: K }>;
type Kept = Pick<Session, 'contacts' | 'config' | 'today'>;

/** Today's outreach contacts (or casework sessions) on this device, newest first. */
export function todaysRecords<K extends RecordKind>(s: Kept, kind: K): ViewOf<K>[] {
  return recordsOf(s, kind).filter((v) => v.date === s.today);
}

/** Those of the recent days before today that this device keeps (core.ts RECENT_RECORD_DAYS), newest first. */
export function earlierRecords<K extends RecordKind>(s: Kept, kind: K): ViewOf<K>[] {
  return recordsOf(s, kind).filter((v) => v.date < s.today);
}

function recordsOf<K extends RecordKind>(s: Kept, kind: K): ViewOf<K>[] {
  return s.contacts
    .map((r) => dayRecordView(r, s.config))
    .filter((v): v is ViewOf<K> => v.kind === kind)
    .sort((a, b) => (a.occurredAt === b.occurredAt ? (a.id < b.id ? 1 : -1) : a.occurredAt < b.occurredAt ? 1 : -1));
}

// ---------------------------------------------------------------------------------------------
// The areas she worked in lately, so the next contact starts in the same one.

/** The areas this staff member recorded contacts in on this device, latest first. */
export function recentAreas(core: DeviceCore): Promise<string[]> {
  return core.vault.loadRecentAreas(core.staff.id);
}

async function rememberArea(core: DeviceCore, area: string): Promise<void> {
  try {
    const areas = [area, ...(await recentAreas(core)).filter((a) => a !== area)].slice(0, RECENT_AREAS);
    await core.vault.saveRecentAreas(core.staff.id, areas);
  } catch {
    // The contact itself is saved; failing to remember the area must not say otherwise.
  }
}
