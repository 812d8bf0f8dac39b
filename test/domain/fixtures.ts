/**
 * Event builders for the counting tests. Every event goes through the FootfallEvent schema, so a
 * test can never pass on a history the app could not have recorded.
 */
import { FootfallEvent, type EventOf } from '../../src/domain/events.ts';

/** A valid UUIDv7 whose timestamp field is `n`: distinct for distinct n, and sorting like n. */
export function v7Id(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8)}-7000-8000-000000000000`;
}

let counter = 0;
/** A fresh id for hand-written tests. */
export function newId(): string {
  return v7Id(++counter);
}

const who = { deviceId: 'tablet-1', staffId: 'staff-1' };

function valid<T extends FootfallEvent['type']>(event: EventOf<T>): EventOf<T> {
  return FootfallEvent.parse(event) as EventOf<T>;
}

export function checkIn(p: {
  occurredAt: string;
  woman?: string | null;
  site?: string;
  services?: string[];
  at?: string;
  id?: string;
}): EventOf<'visit.checkedIn'> {
  return valid<'visit.checkedIn'>({
    ...who,
    id: p.id ?? newId(),
    at: p.at ?? p.occurredAt,
    type: 'visit.checkedIn',
    occurredAt: p.occurredAt,
    womanId: p.woman ?? null,
    siteId: p.site ?? 'north',
    services: p.services ?? [],
  });
}

export function addService(visitId: string, service: string, at: string, id = newId()): EventOf<'visit.serviceAdded'> {
  return valid<'visit.serviceAdded'>({ ...who, id, at, type: 'visit.serviceAdded', visitId, service });
}

export function removeService(
  visitId: string,
  service: string,
  at: string,
  id = newId(),
): EventOf<'visit.serviceRemoved'> {
  return valid<'visit.serviceRemoved'>({ ...who, id, at, type: 'visit.serviceRemoved', visitId, service });
}

export function correct(
  targetId: string,
  changes: EventOf<'record.corrected'>['changes'],
  at: string,
  id = newId(),
): EventOf<'record.corrected'> {
  return valid<'record.corrected'>({ ...who, id, at, type: 'record.corrected', targetId, changes, reason: 'entered wrongly' });
}

export function voidRecord(targetId: string, at: string, id = newId()): EventOf<'record.voided'> {
  return valid<'record.voided'>({ ...who, id, at, type: 'record.voided', targetId, reason: 'entered twice' });
}

export function merge(womanId: string, intoId: string, at: string, id = newId()): EventOf<'woman.merged'> {
  return valid<'woman.merged'>({ ...who, id, at, type: 'woman.merged', womanId, intoId });
}

export function register(womanId: string, at: string, id = newId()): EventOf<'woman.registered'> {
  return valid<'woman.registered'>({ ...who, id, at, type: 'woman.registered', womanId, knownAs: 'Jo', details: {} });
}

export function contact(p: {
  occurredAt: string;
  woman?: string | null;
  area?: string;
  place?: string;
  needs?: string[];
  support?: string[];
  referrals?: string[];
  at?: string;
  id?: string;
}): EventOf<'outreach.contacted'> {
  return valid<'outreach.contacted'>({
    ...who,
    id: p.id ?? newId(),
    at: p.at ?? p.occurredAt,
    type: 'outreach.contacted',
    occurredAt: p.occurredAt,
    womanId: p.woman ?? null,
    area: p.area ?? 'camden',
    place: p.place ?? 'street',
    needs: p.needs ?? [],
    support: p.support ?? [],
    referrals: p.referrals ?? [],
  });
}

export function session(p: {
  occurredAt: string;
  woman: string;
  topics?: string[];
  referrals?: string[];
  outcome?: string;
  at?: string;
  id?: string;
}): EventOf<'casework.session'> {
  return valid<'casework.session'>({
    ...who,
    id: p.id ?? newId(),
    at: p.at ?? p.occurredAt,
    type: 'casework.session',
    occurredAt: p.occurredAt,
    womanId: p.woman,
    topics: p.topics ?? ['housing'],
    referrals: p.referrals ?? [],
    outcome: p.outcome ?? 'advice-given',
  });
}
