/**
 * The area of an outreach contact: a few letters find it among the configured areas (London's
 * 33 by default), and the areas she used lately are one tap away, the chosen one pressed.
 */
import { useMemo, useState } from 'react';
import type { Term } from '../../domain/config.ts';
import { buildSearchIndex, searchByName } from '../../domain/search.ts';

interface Props {
  areas: readonly Term[];
  value: string;
  onChange: (area: string) => void;
  /** Area keys she used lately, latest first. */
  recent: readonly string[];
}

const MATCHES = 8;

export function AreaPicker({ areas, value, onChange, recent }: Props) {
  const [query, setQuery] = useState('');
  // The same forgiving search as names: "kens" finds Kensington and Chelsea, "tower" Tower Hamlets.
  const index = useMemo(
    () => buildSearchIndex(areas.filter((a) => !a.retired).map((a) => ({ id: a.key, knownAs: a.label }))),
    [areas],
  );
  const byKey = new Map(areas.map((a) => [a.key, a]));
  const quick = [...new Set([value, ...recent])].filter((k) => byKey.has(k));
  const shown = query.trim() ? searchByName(index, query, MATCHES).map((m) => m.id) : quick;

  return (
    <fieldset className="area-picker">
      <legend>Area</legend>
      <label>
        Find an area
        <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} autoComplete="off" enterKeyHint="search" />
      </label>
      {shown.length > 0 ? (
        <div className="chip-grid">
          {shown.map((key) => (
            <button
              key={key}
              type="button"
              className="chip-toggle"
              aria-pressed={value === key}
              onClick={() => {
                onChange(key);
                setQuery('');
              }}
            >
              {byKey.get(key)?.label ?? key}
            </button>
          ))}
        </div>
      ) : (
        <p className="hint">{query.trim() ? `No area matches “${query.trim()}”.` : `Type a few letters to find one of ${index.entries.length} areas.`}</p>
      )}
    </fieldset>
  );
}
