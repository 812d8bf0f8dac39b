/**
 * Configured terms as big chips a thumb can hit: several at once (needs, support, referrals,
 * topics) or exactly one (kind of place, outcome). A retired term shows only when already chosen.
 */
import { useId } from 'react';
import type { Term } from '../../domain/config.ts';

interface ManyProps {
  legend: string;
  terms: readonly Term[];
  value: string[];
  onChange: (next: string[]) => void;
}

/** Toggle buttons: any number, none required. */
export function TermChips({ legend, terms, value, onChange }: ManyProps) {
  return (
    <fieldset className="term-chips">
      <legend>{legend}</legend>
      <div className="chip-grid">
        {shown(terms, value).map((t) => {
          const on = value.includes(t.key);
          return (
            <button
              key={t.key}
              type="button"
              className="chip-toggle"
              aria-pressed={on}
              onClick={() => onChange(on ? value.filter((k) => k !== t.key) : [...value, t.key])}
            >
              <span aria-hidden="true" className="tick">
                {on ? '✓' : ''}
              </span>
              {t.label}
            </button>
          );
        })}
      </div>
    </fieldset>
  );
}

interface OneProps {
  legend: string;
  terms: readonly Term[];
  value: string;
  onChange: (next: string) => void;
}

/** Radio buttons drawn as chips: exactly one. */
export function TermChoice({ legend, terms, value, onChange }: OneProps) {
  const name = useId();
  return (
    <fieldset className="term-chips">
      <legend>{legend}</legend>
      <div className="chip-grid">
        {shown(terms, value ? [value] : []).map((t) => (
          <label key={t.key} className="chip-choice">
            <input autoComplete="off" type="radio" name={name} value={t.key} checked={value === t.key} onChange={() => onChange(t.key)} />
            {t.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function shown(terms: readonly Term[], chosen: string[]): Term[] {
  return terms.filter((t) => !t.retired || chosen.includes(t.key));
}

/** The labels of chosen keys in the centre's order, any no longer listed last. */
export function labelsInOrder(keys: readonly string[], terms: readonly Term[]): string[] {
  const order = new Map(terms.map((t, i) => [t.key, i]));
  return [...keys].sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity)).map((k) => terms.find((t) => t.key === k)?.label ?? k);
}
