/**
 * A visit as the front desk sees it, derived from its events by the same counting module the
 * reports use, so the Today screen and the yearly figures can never disagree about a visit.
 */
import type { OrgConfig } from '../domain/config.ts';
import { resolveRecords, type ResolvedVisit } from '../domain/counting.ts';
import type { VisitRecord } from './vault.ts';

export interface VisitView extends ResolvedVisit {
  voided: boolean;
}

export function visitView(record: Pick<VisitRecord, 'events'>, config: Pick<OrgConfig, 'timeZone'>): VisitView {
  const live = resolveRecords(record.events, config)[0];
  if (live) return { ...live, voided: false };
  // Voided visits still show, struck through, so the desk can see what was taken back.
  const asBefore = resolveRecords(record.events.filter((e) => e.type !== 'record.voided'), config)[0];
  if (!asBefore) throw new Error('A stored visit has no check-in event.');
  return { ...asBefore, voided: true };
}
