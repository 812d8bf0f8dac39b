/**
 * When and where a woman was last seen, as far as this device knows: today's visits and the
 * outreach contacts and casework sessions it keeps (a device holds little, docs/security.md#holding-little,
 * so this is what its role may see, never the organisation's history). Worked out once per view.
 */
import { labelOf } from '../../domain/config.ts';
import { dayRecordView } from '../shared/recordActions.ts';
import { visitView } from '../frontDesk/visitView.ts';
import type { Session } from '../store.ts';
import { canonicalId } from './directory.ts';

export interface LastSeen {
  occurredAt: string;
  /** The site's name, or the outreach area, or "casework". */
  where: string;
}

const seenBy = new WeakMap<Session, Map<string, LastSeen>>();

/** The latest record of her merged group on this device, or undefined when it holds none. */
export function lastSeenOf(s: Session, womanId: string): LastSeen | undefined {
  let seen = seenBy.get(s);
  if (!seen) seenBy.set(s, (seen = lastSeenByWoman(s)));
  return seen.get(canonicalId(s.women, womanId));
}

function lastSeenByWoman(s: Session): Map<string, LastSeen> {
  const seen = new Map<string, LastSeen>();
  const note = (womanId: string | null, occurredAt: string, where: string) => {
    if (!womanId) return;
    const id = canonicalId(s.women, womanId);
    const before = seen.get(id);
    if (!before || before.occurredAt < occurredAt) seen.set(id, { occurredAt, where });
  };
  for (const v of s.visits.map((r) => visitView(r, s.config))) {
    if (!v.voided) note(v.womanId, v.occurredAt, labelOf(s.config.sites, v.siteId));
  }
  for (const r of s.contacts.map((c) => dayRecordView(c, s.config))) {
    if (!r.voided) note(r.womanId, r.occurredAt, r.kind === 'outreach' ? labelOf(s.config.areas, r.area) : 'casework');
  }
  return seen;
}
