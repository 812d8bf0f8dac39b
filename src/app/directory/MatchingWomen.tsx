/**
 * The women whose name matches what has been typed so far, each a button, as the front desk and
 * the outreach and casework forms show them. Nothing is shown until something is typed. Under
 * each name, what tells two women of that name apart, and whether she was found only by
 * forgiving a typo, so a near namesake is not taken for her.
 */
import { useDeferredValue, useId } from 'react';
import { labelOf } from '../../domain/config.ts';
import { NOT_KNOWN, PREFERS_NOT_TO_SAY } from '../../domain/events.ts';
import { searchMatches } from '../../domain/search.ts';
import type { Woman } from '../core/rows.ts';
import { useSession } from '../store.ts';
import { directorySearchIndex } from './directory.ts';
import { lastSeenOf } from './lastSeen.ts';

interface Props {
  query: string;
  /** How many matches at most: a short list fits a phone. */
  limit: number;
  onChoose: (womanId: string) => void;
  /** A word or two after her name (e.g. "here today"), or null for none. */
  badgeOf?: (womanId: string) => string | null;
}

export function MatchingWomen({ query, limit, onChoose, badgeOf }: Props) {
  const session = useSession();
  // Typing stays quick however many women there are: the list catches up a moment later.
  const deferred = useDeferredValue(query);
  const factsId = useId();
  if (!deferred.trim()) return null;
  const matches = searchMatches(directorySearchIndex(session.women), deferred, limit);
  return (
    <ul className="results" aria-label="Matching women">
      {matches.length === 0 && <li className="muted">No one known as “{deferred.trim()}” yet.</li>}
      {matches.map(({ item: w, typos }) => {
        const badge = badgeOf?.(w.id);
        return (
          <li key={w.id}>
            {/* Her facts describe the button rather than name it: its name stays hers ("Ana here today"). */}
            <button type="button" className="result" aria-describedby={`${factsId}-${w.id}`} onClick={() => onChoose(w.id)}>
              {w.knownAs}
              {/* The space keeps the button's accessible name "Ana here today", not "Anahere today". */}
              {badge && <> <span className="badge">{badge}</span></>}
            </button>
            <WomanFacts id={`${factsId}-${w.id}`} woman={w} closeMatch={typos > 0} />
          </li>
        );
      })}
    </ul>
  );
}

/**
 * What tells two women of one name apart, of the little the directory holds
 * (docs/security.md#what-is-recorded): her age band when she gave one, and when she was
 * registered, which is when she was first met; and when and where this device last saw her, of
 * the records it keeps. With `closeMatch`, a mark that her name is only close to what was typed.
 */
export function WomanFacts({ id, woman, closeMatch = false }: { id: string; woman: Woman; closeMatch?: boolean }) {
  const session = useSession();
  const { config } = session;
  const seen = lastSeenOf(session, woman.id);
  const day = (iso: string) => new Date(iso).toLocaleDateString('en-GB', { dateStyle: 'medium', timeZone: config.timeZone });
  const ageBand = woman.details.ageBand;
  const age = ageBand && ageBand !== NOT_KNOWN && ageBand !== PREFERS_NOT_TO_SAY ? `age ${labelOf(config.terms.ageBand, ageBand)}, ` : '';
  return (
    <small id={id} className="muted">
      {closeMatch && <><span className="badge">close match</span> </>}
      {age}registered {day(woman.registeredAt)}
      {seen && `, last seen ${day(seen.occurredAt)} (${seen.where})`}
    </small>
  );
}
