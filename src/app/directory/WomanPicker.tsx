/**
 * Which woman a contact or session is with: found in the shared directory by the name she goes
 * by, registered new (the same form as the front desk, safeguarding note included), or, on
 * outreach only, unknown because she did not give a name.
 */
import { useEffect, useRef, useState } from 'react';
import { useSession } from '../store.ts';
import { MatchingWomen } from './MatchingWomen.tsx';
import { RegisterForm } from './RegisterForm.tsx';
import { SafeguardingNote } from './SafeguardingNote.tsx';

export type WomanChoice = { kind: 'known'; id: string } | { kind: 'unknown' };

export const UNKNOWN_LABEL = 'Unknown / did not give a name';

interface Props {
  value: WomanChoice | null;
  onChange: (choice: WomanChoice | null) => void;
  /** Outreach may record a contact with a woman who did not give a name; casework may not. */
  allowUnknown: boolean;
}

export function WomanPicker({ value, onChange, allowUnknown }: Props) {
  const session = useSession();
  const [query, setQuery] = useState('');
  const [registering, setRegistering] = useState(false);
  const [editing, setEditing] = useState(false);
  const changeRef = useRef<HTMLButtonElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const chosen = value?.kind === 'known' ? session.women.get(value.id) : undefined;

  // Focus follows the choice, so a keyboard or screen-reader user is not left on a vanished button.
  const [moveFocus, setMoveFocus] = useState<'change' | 'search' | null>(null);
  useEffect(() => {
    if (moveFocus === 'change') changeRef.current?.focus();
    if (moveFocus === 'search') searchRef.current?.focus();
    setMoveFocus(null);
  }, [moveFocus]);

  function choose(choice: WomanChoice) {
    onChange(choice);
    setQuery('');
    setMoveFocus('change');
  }

  return (
    <fieldset className="woman-picker">
      <legend>The woman</legend>
      {value ? (
        <div className="chosen-woman">
          <p>
            <strong>{value.kind === 'known' ? (chosen?.knownAs ?? 'Unknown') : UNKNOWN_LABEL}</strong>
          </p>
          <button
            ref={changeRef}
            type="button"
            onClick={() => {
              onChange(null);
              setMoveFocus('search');
            }}
          >
            Change woman
          </button>
          {chosen && (
            <button type="button" className="quiet" onClick={() => setEditing(true)}>
              Change her name or details
            </button>
          )}
        </div>
      ) : (
        <>
          <label className="search">
            Find a woman by the name she goes by
            <input ref={searchRef} type="search" value={query} onChange={(e) => setQuery(e.target.value)} autoComplete="off" enterKeyHint="search" />
          </label>
          <MatchingWomen query={query} limit={8} onChoose={(id) => choose({ kind: 'known', id })} />
          <div className="actions">
            <button type="button" onClick={() => setRegistering(true)}>
              {query.trim() ? `New woman: “${query.trim()}”` : 'New woman'}
            </button>
            {allowUnknown && (
              <button type="button" onClick={() => choose({ kind: 'unknown' })}>
                {UNKNOWN_LABEL}
              </button>
            )}
          </div>
        </>
      )}
      <SafeguardingNote ageBand={chosen?.details.ageBand} />
      {editing && chosen && <RegisterForm initialName={chosen.knownAs} editing={chosen} onDone={() => setEditing(false)} />}
      {registering && (
        <RegisterForm
          initialName={query.trim()}
          submitLabel="Register"
          onDone={(woman) => {
            setRegistering(false);
            if (woman) choose({ kind: 'known', id: woman.id });
          }}
        />
      )}
    </fieldset>
  );
}
