import { useState, type FormEvent } from 'react';
import { searchByName } from '../../domain/search.ts';
import { instantOf, localTimeOf } from '../../domain/time.ts';
import { correctVisit, setServices, voidVisit } from './visitActions.ts';
import { useCore } from '../shared/useCore.ts';
import { directorySearchIndex } from '../directory/directory.ts';
import { useSession } from '../store.ts';
import type { VisitView } from './visitView.ts';
import { useDraftOpen } from '../shared/useDraftWhile.ts';
import { Dialog } from '../shared/Dialog.tsx';
import { ServicePicker } from './ServicePicker.tsx';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';

/** Reasons are chosen, not typed: a record must never grow a narrative about a woman. */
const CORRECTION_REASONS = ['Wrong woman chosen', 'Wrong time', 'Wrong site', 'Should have been anonymous', 'Other mistake at the desk'];
const VOID_REASONS = ['Recorded twice', 'Recorded by mistake', 'Test entry', 'She did not attend'];

interface Props {
  visit: VisitView;
  onDone: (message: string | null) => void;
}

export function ServicesDialog({ visit, onDone }: Props) {
  const core = useCore();
  const session = useSession();
  const [services, setChosen] = useState(visit.services);
  const { run, error, busy } = useAction();
  useDraftOpen();
  async function save() {
    if (await run(async () => (await setServices(core, visit.id, services), true))) onDone('Services updated.');
  }
  return (
    <Dialog title={`Services for ${visitName(session, visit)}`} onClose={() => onDone(null)}>
      <ServicePicker services={session.config.services} value={services} onChange={setChosen} />
      <ErrorAlert message={error} />
      <button type="button" className="primary" onClick={save} disabled={busy}>
        Save changes
      </button>
    </Dialog>
  );
}

export function CorrectDialog({ visit, onDone }: Props) {
  const core = useCore();
  const session = useSession();
  const { config } = session;
  const [womanId, setWomanId] = useState(visit.womanId);
  const [query, setQuery] = useState('');
  const [time, setTime] = useState(localTimeOf(visit.occurredAt, config.timeZone));
  const [siteId, setSiteId] = useState(visit.siteId);
  const [reason, setReason] = useState('');
  const { run, error, setError, busy } = useAction();
  useDraftOpen();
  const matches = searchByName(directorySearchIndex(session.women), query, 6);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!reason) return setError('Choose a reason for the correction.');
    if (!/^\d{2}:\d{2}$/.test(time)) return setError('Enter the time as HH:MM.');
    const changes = {
      ...(womanId !== visit.womanId ? { womanId } : {}),
      ...(siteId !== visit.siteId ? { siteId } : {}),
      ...(time !== localTimeOf(visit.occurredAt, config.timeZone) ? { occurredAt: instantOf(visit.date, time, config.timeZone) } : {}),
    };
    if (Object.keys(changes).length === 0) return setError('Nothing has changed. Change the woman, the time or the site, or close.');
    if (await run(async () => (await correctVisit(core, visit.id, changes, reason), true))) onDone('Visit corrected.');
  }

  return (
    <Dialog title={`Correct the visit of ${visitName(session, visit)}`} onClose={() => onDone(null)}>
      <form autoComplete="off" onSubmit={submit} noValidate>
        <fieldset>
          <legend>Who visited</legend>
          <p>Now: {womanId ? (session.women.get(womanId)?.knownAs ?? 'Unknown') : 'Anonymous'}</p>
          <label>
            Find another woman
            <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} autoComplete="off" />
          </label>
          <div className="choices">
            {matches.map((w) => (
              <button key={w.id} type="button" aria-pressed={womanId === w.id} onClick={() => setWomanId(w.id)}>
                {w.knownAs}
              </button>
            ))}
            <button type="button" aria-pressed={womanId === null} onClick={() => setWomanId(null)}>
              Anonymous
            </button>
          </div>
        </fieldset>
        <div className="grid-2">
          <label>
            Time
            <input autoComplete="off" type="time" value={time} onChange={(e) => setTime(e.target.value)} />
          </label>
          <label>
            Site
            <select autoComplete="off" value={siteId} onChange={(e) => setSiteId(e.target.value)}>
              {config.sites.map((s) => (
                <option key={s.key} value={s.key}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        <ReasonSelect reasons={CORRECTION_REASONS} value={reason} onChange={setReason} />
        <ErrorAlert message={error} />
        <button type="submit" className="primary" disabled={busy}>
          Save correction
        </button>
      </form>
    </Dialog>
  );
}

export function VoidDialog({ visit, onDone }: Props) {
  const core = useCore();
  const session = useSession();
  const [reason, setReason] = useState('');
  const { run, error, setError, busy } = useAction();
  useDraftOpen();
  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!reason) return setError('Choose a reason for voiding this visit.');
    if (await run(async () => (await voidVisit(core, visit.id, reason), true))) onDone('Visit voided. It no longer counts anywhere.');
  }
  return (
    <Dialog title={`Void the visit of ${visitName(session, visit)}`} onClose={() => onDone(null)}>
      <form autoComplete="off" onSubmit={submit} noValidate>
        <p>A voided visit stays in the history but counts nowhere.</p>
        <ReasonSelect reasons={VOID_REASONS} value={reason} onChange={setReason} />
        <ErrorAlert message={error} />
        <button type="submit" className="danger" disabled={busy}>
          Void visit
        </button>
      </form>
    </Dialog>
  );
}

function ReasonSelect({ reasons, value, onChange }: { reasons: string[]; value: string; onChange: (r: string) => void }) {
  return (
    <label>
      Reason
      <select autoComplete="off" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Choose a reason</option>
        {reasons.map((r) => (
          <option key={r}>{r}</option>
        ))}
      </select>
    </label>
  );
}

export function visitName(session: ReturnType<typeof useSession>, visit: Pick<VisitView, 'womanId'>): string {
  return visit.womanId ? (session.women.get(visit.womanId)?.knownAs ?? 'Unknown') : 'Anonymous';
}
