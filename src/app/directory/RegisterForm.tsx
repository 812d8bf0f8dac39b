import { useState, type FormEvent } from 'react';
import { NOT_KNOWN, PREFERS_NOT_TO_SAY, KnownAs, type WomanDetails } from '../../domain/events.ts';
import { registerWoman, updateWoman, type WomanChanges } from './directoryActions.ts';
import { useCore } from '../shared/useCore.ts';
import type { Woman } from '../core/rows.ts';
import { useSession } from '../store.ts';
import { useDraftOpen } from '../shared/useDraftWhile.ts';
import { Dialog } from '../shared/Dialog.tsx';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';
import { PossibleDuplicates } from './PossibleDuplicates.tsx';
import { SafeguardingNote } from './SafeguardingNote.tsx';

type SingleField = Exclude<keyof WomanDetails, 'exploitation'>;

const SINGLE_FIELDS: [SingleField, string][] = [
  ['ageBand', 'Age'],
  ['nationality', 'Nationality or region'],
  ['ethnicity', 'Ethnicity'],
  ['housing', 'Housing situation'],
  ['referralSource', 'How she heard of us'],
];

const ANSWERS = [
  [NOT_KNOWN, 'Not known'],
  [PREFERS_NOT_TO_SAY, 'Prefers not to say'],
] as const;

/**
 * Registering a woman: the name she chooses and, only if she wants to share them, a few answers
 * from fixed lists (docs/security.md#what-is-recorded). There is deliberately no free text.
 * With `editing`, the same form keeps her record right: it saves only what changed.
 */
export function RegisterForm({
  initialName,
  onDone,
  submitLabel = 'Register and check in',
  editing,
}: {
  initialName: string;
  onDone: (woman: Woman | null) => void;
  /** What saving leads to on this screen (outreach and casework register, then go back to the form). */
  submitLabel?: string;
  /** Her record as it stands, to change instead of registering someone new. */
  editing?: Woman;
}) {
  const core = useCore();
  const session = useSession();
  const { terms } = session.config;
  const [knownAs, setKnownAs] = useState(editing?.knownAs ?? initialName);
  const [details, setDetails] = useState<WomanDetails>(editing?.details ?? {});
  const { run, error, setError, busy } = useAction();
  useDraftOpen();


  function set<K extends keyof WomanDetails>(field: K, value: WomanDetails[K] | undefined) {
    setDetails((d) => {
      const next = { ...d };
      if (value === undefined || (Array.isArray(value) && value.length === 0)) delete next[field];
      else next[field] = value;
      return next;
    });
  }

  function toggleExploitation(key: string) {
    const current = details.exploitation ?? [];
    const exclusive = key === NOT_KNOWN || key === PREFERS_NOT_TO_SAY;
    const without = current.filter((k) => k !== key && (exclusive ? false : k !== NOT_KNOWN && k !== PREFERS_NOT_TO_SAY));
    set('exploitation', current.includes(key) ? without : [...without, key]);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const name = KnownAs.safeParse(knownAs);
    if (!name.success) return setError(name.error.issues[0]?.message ?? 'Check the name.');
    if (editing?.details.exploitation?.length && !details.exploitation?.length) {
      return setError('An answer given stays an answer: tick “Not known” or “Prefers not to say” instead of clearing every form of exploitation.');
    }
    const woman = await run(() => {
      if (!editing) return registerWoman(core, name.data, details);
      const changes = changesTo(editing, name.data, details);
      return changes ? updateWoman(core, editing.id, changes) : Promise.resolve(editing);
    });
    if (woman) onDone(woman);
  }

  return (
    <Dialog title={editing ? `Change the record of ${editing.knownAs}` : 'Register a new woman'} onClose={() => onDone(null)}>
      <form autoComplete="off" onSubmit={submit} noValidate>
        <label>
          Known as
          <input data-autofocus value={knownAs} onChange={(e) => setKnownAs(e.target.value)} autoComplete="off" maxLength={60} />
        </label>
        <p className="hint">The name she chooses. Never a full legal name.</p>
        {!editing && <PossibleDuplicates women={session.women} name={knownAs} onPick={onDone} />}
        <div className="grid-2">
          {SINGLE_FIELDS.map(([field, label]) => (
            <label key={field}>
              {label}
              <select autoComplete="off" value={details[field] ?? ''} onChange={(e) => set(field, e.target.value || undefined)}>
                {/* An answer given stays an answer: it can change, or become "not known", not vanish. */}
                {!editing?.details[field] && <option value="">Not asked</option>}
                {terms[field]
                  .filter((t) => !t.retired)
                  .map((t) => (
                    <option key={t.key} value={t.key}>
                      {t.label}
                    </option>
                  ))}
                {ANSWERS.map(([value, text]) => (
                  <option key={value} value={value}>
                    {text}
                  </option>
                ))}
              </select>
            </label>
          ))}
        </div>
        <SafeguardingNote ageBand={details.ageBand} />
        <fieldset>
          <legend>Forms of exploitation (if she shares them)</legend>
          <div className="checks">
            {[...terms.exploitation.filter((t) => !t.retired).map((t) => [t.key, t.label] as const), ...ANSWERS].map(([key, label]) => (
              <label key={key} className="check">
                <input autoComplete="off" type="checkbox" checked={details.exploitation?.includes(key) ?? false} onChange={() => toggleExploitation(key)} />
                {label}
              </label>
            ))}
          </div>
        </fieldset>
        <ErrorAlert message={error} />
        <button type="submit" className="primary" disabled={busy}>
          {editing ? 'Save changes' : submitLabel}
        </button>
      </form>
    </Dialog>
  );
}

/** The fields that differ from her record, or null when nothing does. */
function changesTo(woman: Woman, knownAs: string, details: WomanDetails): WomanChanges | null {
  const changed: WomanDetails = {};
  for (const field of Object.keys(details) as (keyof WomanDetails)[]) {
    if (JSON.stringify(details[field]) !== JSON.stringify(woman.details[field])) Object.assign(changed, { [field]: details[field] });
  }
  const renamed = knownAs.trim() !== woman.knownAs;
  if (!renamed && Object.keys(changed).length === 0) return null;
  return { ...(renamed && { knownAs }), details: changed };
}
