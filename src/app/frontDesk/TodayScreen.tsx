import { useMemo, useState } from 'react';
import { labelOf } from '../../domain/config.ts';
import { localTimeOf } from '../../domain/time.ts';
import { CorrectDialog, ServicesDialog, VoidDialog, visitName } from './VisitDialogs.tsx';
import { useFootfall, useSession } from '../store.ts';
import { todayFigures } from './todayFigures.ts';
import { visitView, type VisitView } from './visitView.ts';
import { useCurrentDay } from './useCurrentDay.ts';

type Open = { kind: 'services' | 'correct' | 'void'; visit: VisitView } | null;

/** Today at a glance: who has been in, what was given, and what is waiting to sync. */
export function TodayScreen() {
  useCurrentDay();
  const session = useSession();
  const { config, visits, today } = session;
  const unsynced = useFootfall((s) => s.unsynced);
  const [open, setOpen] = useState<Open>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const views = useMemo(
    () => visits.map((v) => visitView(v, config)).sort((a, b) => (a.occurredAt < b.occurredAt ? 1 : -1)),
    [visits, config],
  );
  const figures = useMemo(() => todayFigures(visits, session.women, config, today), [visits, session.women, config, today]);
  const live = views.filter((v) => !v.voided);
  const voided = views.filter((v) => v.voided);
  const dayLabel = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(
    new Date(`${today}T12:00:00Z`),
  );

  return (
    <section aria-labelledby="today-title">
      <h1 id="today-title">Today, {dayLabel}</h1>
      <p role="status" className="notice" aria-live="polite">
        {notice}
      </p>
      <h2>Today’s figures</h2>
      <dl className="figures" aria-label="Today’s figures">
        <Figure label="Visits" value={figures.visits} />
        <Figure label="Women" value={figures.uniqueWomen} />
        <Figure label="Anonymous visits" value={figures.anonymousVisits} />
        {config.services
          .filter((s) => !s.retired || figures.services[s.key])
          .map((s) => (
            <Figure key={s.key} label={s.label} value={figures.services[s.key] ?? 0} />
          ))}
      </dl>

      <h2>Visits</h2>
      {live.length === 0 ? (
        <p className="muted">No visits yet today.</p>
      ) : (
        <ul className="visits" aria-label="Today’s visits">
          {live.map((v) => (
            <li key={v.id} className="visit">
              <div>
                <strong>{visitName(session, v)}</strong> <span className="muted">{localTimeOf(v.occurredAt, config.timeZone)}</span>
                <div className="chips">
                  {v.services.length ? (
                    inConfigOrder(v.services, config.services).map((k) => (
                      <span key={k} className="chip">
                        {labelOf(config.services, k)}
                      </span>
                    ))
                  ) : (
                    <span className="muted">No services ticked</span>
                  )}
                </div>
              </div>
              <div className="row-actions">
                <button type="button" onClick={() => setOpen({ kind: 'services', visit: v })} aria-label={`Services for ${visitName(session, v)} at ${localTimeOf(v.occurredAt, config.timeZone)}`}>
                  Services
                </button>
                <button type="button" onClick={() => setOpen({ kind: 'correct', visit: v })} aria-label={`Correct the visit of ${visitName(session, v)} at ${localTimeOf(v.occurredAt, config.timeZone)}`}>
                  Correct
                </button>
                <button type="button" className="danger-quiet" onClick={() => setOpen({ kind: 'void', visit: v })} aria-label={`Void the visit of ${visitName(session, v)} at ${localTimeOf(v.occurredAt, config.timeZone)}`}>
                  Void
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      {voided.length > 0 && (
        <details>
          <summary>Voided today ({voided.length})</summary>
          <ul aria-label="Voided visits">
            {voided.map((v) => (
              <li key={v.id}>
                <s>{visitName(session, v)}</s> <span className="muted">{localTimeOf(v.occurredAt, config.timeZone)}</span>
              </li>
            ))}
          </ul>
        </details>
      )}

      <h2>Not yet synced</h2>
      <p>
        {unsynced === null
          ? 'Checking what this device holds that no server has confirmed yet.'
          : unsynced === 0
            ? 'Everything recorded on this device has been synced.'
            : `This device holds ${unsynced} ${unsynced === 1 ? 'record' : 'records'} that no server has confirmed yet. They stay here, encrypted, until one does. Do not clear this browser’s data.`}
      </p>

      {open?.kind === 'services' && <ServicesDialog visit={open.visit} onDone={done} />}
      {open?.kind === 'correct' && <CorrectDialog visit={open.visit} onDone={done} />}
      {open?.kind === 'void' && <VoidDialog visit={open.visit} onDone={done} />}
    </section>
  );

  function done(message: string | null) {
    setOpen(null);
    if (message) setNotice(message);
  }
}

function Figure({ label, value }: { label: string; value: number }) {
  return (
    <div className="figure">
      <dt>{label}</dt>
      <dd>{value.toLocaleString('en-GB')}</dd>
    </div>
  );
}

/** Services in the order the centre lists them, any no longer listed last. */
function inConfigOrder(keys: string[], services: { key: string }[]): string[] {
  const order = new Map(services.map((s, i) => [s.key, i]));
  return [...keys].sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity));
}
