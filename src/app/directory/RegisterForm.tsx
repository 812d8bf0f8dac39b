import { useState, type FormEvent } from 'react';
import { NOT_KNOWN, PREFERS_NOT_TO_SAY, KnownAs, type WomanDetails } from '../../domain/events.ts';
import { foldName } from '../../domain/search.ts';
import { registerWoman } from '../session.ts';
import type { Woman } from '../core/rows.ts';
import { useSession } from '../store.ts';
import { useDraftOpen } from '../frontDesk/CheckInPanel.tsx';
import { Dialog } from '../shared/Dialog.tsx';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';

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
 */
export function RegisterForm({
  initialName,
  onDone,
  submitLabel = 'Register and check in',
}: {
  initialName: string;
  onDone: (woman: Woman | null) => void;
  /** What saving leads to on this screen (outreach and casework register, then go back to the form). */
  submitLabel?: string;
}) {
  const session = useSession();
  const { terms, safeguardingNote } = session.config;
  const [knownAs, setKnownAs] = useState(initialName);
  const [details, setDetails] = useState<WomanDetails>({});
  const { run, error, setError, busy } = useAction();
  useDraftOpen();

  const under18 = terms.ageBand.some((b) => b.under18 && b.key === details.ageBand);
  const folded = foldName(knownAs);
  const namesake = folded ? [...session.women.values()].find((w) => foldName(w.knownAs) === folded) : undefined;

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
    const woman = await run(() => registerWoman(name.data, details));
    if (woman) onDone(woman);
  }

  return (
    <Dialog title="Register a new woman" onClose={() => onDone(null)}>
      <form onSubmit={submit} noValidate>
        <label>
          Known as
          <input data-autofocus value={knownAs} onChange={(e) => setKnownAs(e.target.value)} autoComplete="off" maxLength={60} />
        </label>
        <p className="hint">The name she chooses. Never a full legal name.</p>
        {namesake && (
          <p role="status" className="warning">
            Someone known as “{namesake.knownAs}” is already registered. Check it is not her before registering again.
          </p>
        )}
        <div className="grid-2">
          {SINGLE_FIELDS.map(([field, label]) => (
            <label key={field}>
              {label}
              <select value={details[field] ?? ''} onChange={(e) => set(field, e.target.value || undefined)}>
                <option value="">Not asked</option>
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
        {under18 && (
          <p role="alert" className="safeguarding">
            {safeguardingNote}
          </p>
        )}
        <fieldset>
          <legend>Forms of exploitation (if she shares them)</legend>
          <div className="checks">
            {[...terms.exploitation.filter((t) => !t.retired).map((t) => [t.key, t.label] as const), ...ANSWERS].map(([key, label]) => (
              <label key={key} className="check">
                <input type="checkbox" checked={details.exploitation?.includes(key) ?? false} onChange={() => toggleExploitation(key)} />
                {label}
              </label>
            ))}
          </div>
        </fieldset>
        <ErrorAlert message={error} />
        <button type="submit" className="primary" disabled={busy}>
          {submitLabel}
        </button>
      </form>
    </Dialog>
  );
}
