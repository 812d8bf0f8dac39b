/**
 * While a woman is being registered: the women already registered under a name close to the one
 * typed (the same name written differently, with a typo, or with a word more or less), each with
 * what tells her apart and a button to choose her instead. A woman registered twice is counted
 * as two until an admin merges the records.
 */
import { useDeferredValue, useId } from 'react';
import { possibleDuplicates } from '../../domain/search.ts';
import type { Woman } from '../core/rows.ts';
import { directorySearchIndex } from './directory.ts';
import { WomanFacts } from './MatchingWomen.tsx';

interface Props {
  /** The directory on this device; an entry merged into another is offered as that one. */
  women: ReadonlyMap<string, Woman>;
  /** The known-as name as typed so far. */
  name: string;
  onPick: (woman: Woman) => void;
  /** How many at most: a hint, not a search. */
  limit?: number;
}

export function PossibleDuplicates({ women, name, onPick, limit = 3 }: Props) {
  // Typing her name stays quick however many women there are: the hint catches up a moment later.
  const deferred = useDeferredValue(name);
  const factsId = useId();
  const matches = possibleDuplicates(directorySearchIndex(women), deferred, limit);
  if (matches.length === 0) return null;
  // Namesakes are named once in the sentence; the list below tells them apart.
  const names = [...new Set(matches.map((w) => `“${w.knownAs}”`))].join(', ');
  return (
    <div className="warning">
      <p role="status">
        Possibly already registered: {names}. Check it is not her before registering again.
      </p>
      <ul className="results" aria-label="Possibly already registered">
        {matches.map((w) => (
          <li key={w.id}>
            <button type="button" className="result" aria-describedby={`${factsId}-${w.id}`} onClick={() => onPick(w)}>
              Choose {w.knownAs} instead
            </button>
            <WomanFacts id={`${factsId}-${w.id}`} woman={w} />
          </li>
        ))}
      </ul>
    </div>
  );
}
