/**
 * When a contact or session happened: now unless she changes it. The default is shown in the
 * fields themselves and keeps up with the clock while untouched, so what she sees is what is saved.
 */
import { useEffect, useState } from 'react';
import { instantOf, localDateOf, localTimeOf } from '../../domain/time.ts';
import { ClientError } from '../problems.ts';

/** What she typed, or null while the fields still show now. */
export interface EditedWhen {
  date: string;
  time: string;
}

const TICK_MS = 15_000;

/** The current time, refreshed often enough for a clock shown to the minute. */
export function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => clearInterval(timer);
  }, []);
  return now;
}

interface Props {
  timeZone: string;
  edited: EditedWhen | null;
  onChange: (next: EditedWhen | null) => void;
  /** Casework asks for the date only. */
  withTime: boolean;
}

export function WhenFields({ timeZone, edited, onChange, withTime }: Props) {
  const now = useNow();
  const today = localDateOf(now, timeZone);
  const shown = edited ?? { date: today, time: localTimeOf(now, timeZone) };
  return (
    <fieldset className="when">
      <legend>When</legend>
      <div className="when-fields">
        <label>
          Date
          <input autoComplete="off" type="date" value={shown.date} max={today} required onChange={(e) => onChange({ ...shown, date: e.target.value })} />
        </label>
        {withTime && (
          <label>
            Time
            <input autoComplete="off" type="time" value={shown.time} required onChange={(e) => onChange({ ...shown, time: e.target.value })} />
          </label>
        )}
      </div>
      {edited ? (
        <button type="button" className="quiet" onClick={() => onChange(null)}>
          Back to now
        </button>
      ) : (
        <p className="hint">{withTime ? 'Now. Change the date or time if it was earlier.' : 'Today. Change the date if it was earlier.'}</p>
      )}
    </fieldset>
  );
}

/**
 * The instant to save: null for now, else the typed local date and time in the organisation's
 * time zone. A session dated without a time is placed at midday, well inside its date.
 */
export function occurredAtOf(edited: EditedWhen | null, timeZone: string, withTime: boolean): string | null {
  if (!edited) return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(edited.date)) throw new ClientError('enter_date');
  if (!withTime) return edited.date === localDateOf(Date.now(), timeZone) ? null : instantOf(edited.date, '12:00', timeZone);
  if (!/^\d{2}:\d{2}$/.test(edited.time)) throw new ClientError('enter_time');
  return instantOf(edited.date, edited.time, timeZone);
}
