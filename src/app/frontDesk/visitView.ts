/**
 * A visit as the front desk sees it, derived from its events by the same counting module the
 * reports use, so the Today screen and the yearly figures can never disagree about a visit.
 */
import type { OrgConfig } from '../../domain/config.ts';
import { resolveRecords, type ResolvedRecord, type ResolvedVisit } from '../../domain/counting.ts';
import type { VisitRecord } from '../core/vault.ts';

export interface VisitView extends ResolvedVisit {
  voided: boolean;
}

export function visitView(record: Pick<VisitRecord, 'events'>, config: Pick<OrgConfig, 'timeZone'>): VisitView {
  const live = resolveRecords(record.events, config).find(isVisit);
  if (live) return { ...live, voided: false };
  // Voided visits still show, struck through, so the desk can see what was taken back.
  const asBefore = resolveRecords(record.events.filter((e) => e.type !== 'record.voided'), config).find(isVisit);
  if (!asBefore) throw new Error('A stored visit has no check-in event.');
  return { ...asBefore, voided: true };
}

function isVisit(r: ResolvedRecord): r is ResolvedVisit {
  return r.kind === 'visit';
}
