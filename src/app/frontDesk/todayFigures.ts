/**
 * Today's figures on this device, counted as the reports count them. Each visit names the entry
 * she was checked in under; once the device has a merge, she counts once, under the entry the
 * directory counts her under, even though today's visit rows hold no merge events.
 */
import type { OrgConfig } from '../../domain/config.ts';
import { countRecords, resolveRecords, type Figures } from '../../domain/counting.ts';
import type { VisitRecord } from '../core/vault.ts';
import type { Woman } from '../core/rows.ts';
import { canonicalId } from '../directory/directory.ts';

export function todayFigures(visits: readonly VisitRecord[], women: ReadonlyMap<string, Woman>, config: OrgConfig, today: string): Figures {
  const records = resolveRecords(visits.flatMap((v) => v.events), config);
  for (const r of records) if (r.womanId !== null) r.womanId = canonicalId(women, r.womanId);
  return countRecords(records, { from: today, to: today });
}
