/**
 * The women whose name matches what has been typed so far, each a button, as the front desk and
 * the outreach and casework forms show them. Nothing is shown until something is typed.
 */
import { useDeferredValue } from 'react';
import { searchByName } from '../../domain/search.ts';
import { useSession } from '../store.ts';

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
  if (!deferred.trim()) return null;
  const matches = searchByName(session.searchIndex, deferred, limit);
  return (
    <ul className="results" aria-label="Matching women">
      {matches.length === 0 && <li className="muted">No one known as “{deferred.trim()}” yet.</li>}
      {matches.map((w) => {
        const badge = badgeOf?.(w.id);
        return (
          <li key={w.id}>
            <button type="button" className="result" onClick={() => onChoose(w.id)}>
              {w.knownAs}
              {/* The space keeps the button's accessible name "Ana here today", not "Anahere today". */}
              {badge && <> <span className="badge">{badge}</span></>}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
