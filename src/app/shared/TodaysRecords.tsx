/**
 * The outreach contacts or casework sessions saved on this device today, newest first, each with
 * a Void button; the voided ones folded away below. Shared by the outreach and casework screens.
 */
import { useState, type ReactNode } from 'react';
import { localTimeOf } from '../../domain/time.ts';
import { useSession, type Session } from '../store.ts';
import { VoidRecordDialog } from './VoidRecordDialog.tsx';

/** The name she goes by, or "Unknown" for a woman who gave none (or is no longer in the directory). */
export function knownAsOf(women: Session['women'], womanId: string | null): string {
  return (womanId ? women.get(womanId)?.knownAs : undefined) ?? 'Unknown';
}

interface TodaysRecord {
  id: string;
  occurredAt: string;
  womanId: string | null;
  voided: boolean;
}

interface Props<R extends TodaysRecord> {
  /** "Today’s contacts on this phone" */
  heading: string;
  /** What one record is called in the list's names and the Void button's. */
  noun: 'contact' | 'session';
  records: readonly R[];
  /** The second line of a row: where, or what was covered. */
  detailOf: (record: R) => ReactNode;
  /** Whether a voided row keeps its time (a session is dated, not timed, in practice). */
  voidedWithTime: boolean;
  /** What happened, for the screen's status line. */
  onNotice: (message: string) => void;
}

export function TodaysRecords<R extends TodaysRecord>({ heading, noun, records, detailOf, voidedWithTime, onNotice }: Props<R>) {
  const { women, config } = useSession();
  const [voiding, setVoiding] = useState<{ id: string; what: string } | null>(null);
  const live = records.filter((r) => !r.voided);
  const voided = records.filter((r) => r.voided);
  const timeOf = (r: R) => localTimeOf(r.occurredAt, config.timeZone);

  return (
    <>
      <h2>{heading}</h2>
      {live.length === 0 ? (
        <p className="muted">No {noun}s recorded today yet.</p>
      ) : (
        <ul className="record-list" aria-label={`Today’s ${noun}s`}>
          {live.map((r) => {
            const time = timeOf(r);
            const what = `the ${noun} with ${knownAsOf(women, r.womanId)} at ${time}`;
            return (
              <li key={r.id} className="record-row">
                <div>
                  <strong>{knownAsOf(women, r.womanId)}</strong> <span className="muted">{time}</span>
                  <div className="muted">{detailOf(r)}</div>
                </div>
                <button type="button" className="danger-quiet" aria-label={`Void ${what}`} onClick={() => setVoiding({ id: r.id, what })}>
                  Void
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {voided.length > 0 && (
        <details>
          <summary>Voided today ({voided.length})</summary>
          <ul aria-label={`Voided ${noun}s`}>
            {voided.map((r) => (
              <li key={r.id}>
                <s>{knownAsOf(women, r.womanId)}</s>
                {voidedWithTime && <> <span className="muted">{timeOf(r)}</span></>}
              </li>
            ))}
          </ul>
        </details>
      )}
      {voiding && (
        <VoidRecordDialog
          recordId={voiding.id}
          what={voiding.what}
          onDone={(message) => {
            setVoiding(null);
            if (message) onNotice(message);
          }}
        />
      )}
    </>
  );
}
