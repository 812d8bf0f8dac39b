import { useEffect, useState } from 'react';
import { refreshDay, saveCheckIn, todaysVisitOf } from './visitActions.ts';
import { useFootfall, useSession } from '../store.ts';
import { useCore } from '../shared/useCore.ts';
import { useDraftOpen } from '../shared/useDraftWhile.ts';
import { Dialog } from '../shared/Dialog.tsx';
import { ServicePicker } from './ServicePicker.tsx';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';
import { RegisterForm } from '../directory/RegisterForm.tsx';
import { SafeguardingNote } from '../directory/SafeguardingNote.tsx';

interface Props {
  /** null for an anonymous visit. */
  womanId: string | null;
  onDone: (message: string | null) => void;
  /** She was registered a moment ago to be checked in: closing without a visit asks first. */
  justRegistered?: boolean;
}

/**
 * Ticking services and saving: the last two taps of a check-in. If she is already checked in
 * today, this adds to that visit rather than making a second one.
 */
export function CheckInPanel({ womanId, onDone, justRegistered = false }: Props) {
  const core = useCore();
  const session = useSession();
  const siteKey = useFootfall((s) => s.identity?.siteKey ?? '');
  const existing = womanId ? todaysVisitOf(session, siteKey, womanId) : undefined;
  const name = womanId ? (session.women.get(womanId)?.knownAs ?? 'this woman') : null;
  const [services, setChosen] = useState<string[]>(existing?.services ?? []);
  // Opened on the list as it was before midnight, it would show yesterday's visit as today's: the
  // day is read again, and the services shown follow the visit shown.
  useEffect(() => void refreshDay(core).catch(() => undefined), [core]);
  const [shown, setShown] = useState(existing?.id ?? null);
  if ((existing?.id ?? null) !== shown) {
    setShown(existing?.id ?? null);
    setChosen(existing?.services ?? []);
  }
  const [leaving, setLeaving] = useState(false);
  const [editing, setEditing] = useState(false);
  const { run, error, busy } = useAction();
  useDraftOpen();
  const woman = womanId ? session.women.get(womanId) : undefined;

  async function save() {
    const saved = await run(async () => {
      await saveCheckIn(core, womanId, services, existing?.id ?? null);
      return true;
    });
    if (saved) onDone(existing ? `Visit updated for ${name}.` : name ? `Visit saved for ${name}.` : 'Anonymous visit saved.');
  }

  const title = existing ? `${name} is checked in today` : name ? `Check in ${name}` : 'Anonymous visit';
  // Registering her was for this visit: closing must not drop it without asking.
  const close = () => (justRegistered && !existing && !leaving ? setLeaving(true) : onDone(null));

  if (editing && woman) return <RegisterForm initialName={woman.knownAs} editing={woman} onDone={() => setEditing(false)} />;
  return (
    <Dialog title={title} onClose={close}>
      {existing && <p>Change the services for today’s visit.</p>}
      <SafeguardingNote ageBand={woman?.details.ageBand} />
      <ServicePicker services={session.config.services} value={services} onChange={setChosen} />
      <ErrorAlert message={error} />
      {leaving && (
        <p role="alert" className="warning">
          {name} is registered, but no visit is saved for her yet. Save her visit, or close without one.
        </p>
      )}
      <button type="button" className="primary" onClick={save} disabled={busy}>
        {existing ? 'Save changes' : 'Save visit'}
      </button>
      {leaving && (
        <button type="button" onClick={() => onDone(`${name} is registered; no visit was saved.`)}>
          Close without a visit
        </button>
      )}
      {woman && !leaving && (
        <button type="button" className="quiet" onClick={() => setEditing(true)}>
          Change her name or details
        </button>
      )}
    </Dialog>
  );
}
