import { useEffect, useState } from 'react';
import { checkIn, setServices, todaysVisitOf } from '../session.ts';
import { useFootfall, useSession } from '../store.ts';
import { Dialog } from '../shared/Dialog.tsx';
import { ServicePicker } from './ServicePicker.tsx';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';

interface Props {
  /** null for an anonymous visit. */
  womanId: string | null;
  onDone: (message: string | null) => void;
}

/**
 * Ticking services and saving: the last two taps of a check-in. If she is already checked in
 * today, this adds to that visit rather than making a second one.
 */
export function CheckInPanel({ womanId, onDone }: Props) {
  const session = useSession();
  const existing = womanId ? todaysVisitOf(session, womanId) : undefined;
  const name = womanId ? (session.women.get(womanId)?.knownAs ?? 'this woman') : null;
  const [services, setChosen] = useState<string[]>(existing?.services ?? []);
  const { run, error, busy } = useAction();
  useDraftOpen();

  async function save() {
    const saved = await run(async () => {
      if (existing) await setServices(existing.id, services);
      else await checkIn(womanId, services);
      return true;
    });
    if (saved) onDone(existing ? `Visit updated for ${name}.` : name ? `Visit saved for ${name}.` : 'Anonymous visit saved.');
  }

  const title = existing ? `${name} is checked in today` : name ? `Check in ${name}` : 'Anonymous visit';
  return (
    <Dialog title={title} onClose={() => onDone(null)}>
      {existing && <p>Change the services for today’s visit.</p>}
      <ServicePicker services={session.config.services} value={services} onChange={setChosen} />
      <ErrorAlert message={error} />
      <button type="button" className="primary" onClick={save} disabled={busy}>
        {existing ? 'Save changes' : 'Save visit'}
      </button>
    </Dialog>
  );
}

/** While a form is open, an app update is not offered. */
export function useDraftOpen(): void {
  useEffect(() => {
    useFootfall.setState({ draftOpen: true });
    return () => useFootfall.setState({ draftOpen: false });
  }, []);
}
