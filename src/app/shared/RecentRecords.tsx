/**
 * The outreach contacts or casework sessions saved on this device today, newest first, each with
 * a Void button, the voided ones folded away below; then those of the past days this device
 * keeps, so a mistake found later can still be voided. Shared by the outreach and casework screens.
 */
import { useState, type ReactNode } from 'react';
import { localDateOf, localTimeOf } from '../../domain/time.ts';
import { useSession, type Session } from '../store.ts';
import { VoidRecordDialog } from './VoidRecordDialog.tsx';

// A local date shown as its weekday and day: "Mon 3 Mar". Dated at noon UTC so no zone moves it.
const DAY = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });

/** The name she goes by, or "Unknown" for a woman who gave none (or is no longer in the directory). */
export function knownAsOf(women: Session['women'], womanId: string | null): string {
  return (womanId ? women.get(womanId)?.knownAs : undefined) ?? 'Unknown';
}

interface KeptRecord {
  id: string;
  occurredAt: string;
  womanId: string | null;
  voided: boolean;
}

interface Props<R extends KeptRecord> {
  /** "Today’s contacts on this phone" */
  heading: string;
  /** What one record is called in the list's names and the Void button's. */
  noun: 'contact' | 'session';
  /** Today's, newest first. */
  records: readonly R[];
  /** The past days' this device keeps, newest first. */
  earlier: readonly R[];
  /** The second line of a row: where, or what was covered. */
  detailOf: (record: R) => ReactNode;
  /** Whether a voided row keeps its time (a session is dated, not timed, in practice). */
  voidedWithTime: boolean;
  /** What happened, for the screen's status line. */
  onNotice: (message: string) => void;
}

export function RecentRecords<R extends KeptRecord>({ heading, noun, records, earlier, detailOf, voidedWithTime, onNotice }: Props<R>) {
  const { women, config } = useSession();
  const [voiding, setVoiding] = useState<{ id: string; what: string } | null>(null);
  const live = records.filter((r) => !r.voided);
  const voided = records.filter((r) => r.voided);
  const timeOf = (r: R) => localTimeOf(r.occurredAt, config.timeZone);
  const dayOf = (r: R) => DAY.format(new Date(`${localDateOf(r.occurredAt, config.timeZone)}T12:00:00Z`));
  const earlierLive = earlier.filter((r) => !r.voided);

  return (
    <>
      <h2>{heading}</h2>
      {live.length === 0 ? (
        <p className="muted">No {noun}s recorded today yet.</p>
      ) : (
        <ul className="record-list" aria-label={`Today’s ${noun}s`}>
          {live.map((r) => (
            <RecordRow key={r.id} name={knownAsOf(women, r.womanId)} when={timeOf(r)} on="at" noun={noun} detail={detailOf(r)} onVoid={(what) => setVoiding({ id: r.id, what })} />
          ))}
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
      {earlierLive.length > 0 && (
        <>
          <h3>Earlier this week</h3>
          <ul className="record-list" aria-label={`Earlier ${noun}s`}>
            {earlierLive.map((r) => (
              <RecordRow
                key={r.id}
                name={knownAsOf(women, r.womanId)}
                when={`${dayOf(r)} ${timeOf(r)}`}
                on="on"
                noun={noun}
                detail={detailOf(r)}
                onVoid={(what) => setVoiding({ id: r.id, what })}
              />
            ))}
          </ul>
        </>
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

/** One record with its Void button, named in full for a screen reader: "Void the contact with Rosa at 14:02". */
function RecordRow({ name, when, on, noun, detail, onVoid }: { name: string; when: string; on: 'at' | 'on'; noun: string; detail: ReactNode; onVoid: (what: string) => void }) {
  const what = `the ${noun} with ${name} ${on} ${when}`;
  return (
    <li className="record-row">
      <div>
        <strong>{name}</strong> <span className="muted">{when}</span>
        <div className="muted">{detail}</div>
      </div>
      <button type="button" className="danger-quiet" aria-label={`Void ${what}`} onClick={() => onVoid(what)}>
        Void
      </button>
    </li>
  );
}
