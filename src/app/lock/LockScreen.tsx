import { useEffect, useState, type FormEvent } from 'react';
import { loadUnlockedApp } from '../App.tsx';
import { formatWait, mayRelease, waitRemaining } from './lockPolicy.ts';
import { useFootfall } from '../store.ts';
import type { LockState } from '../core/database.ts';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';
import { SyncStatus } from '../sync/SyncStatus.tsx';
import { SecretInput } from '../shared/SecretInput.tsx';

/** Who is at the desk: she picks her name and enters her own PIN. */
export function LockScreen() {
  const staff = useFootfall((s) => s.staff);
  const lock = useFootfall((s) => s.lock);
  const deviceName = useFootfall((s) => s.identity?.deviceName);
  const elsewhere = useFootfall((s) => s.phase.kind === 'locked' && s.phase.elsewhere === true);
  const choices = lock.held ? staff.filter(mayRelease) : staff;
  const [chosen, setStaffId] = useState(choices.length === 1 ? choices[0]!.id : '');
  // When the device becomes held, a volunteer's name leaves the list: so does her selection.
  const staffId = choices.some((s) => s.id === chosen) ? chosen : choices.length === 1 ? choices[0]!.id : '';
  const [pin, setPin] = useState('');
  const { run, error, setError, busy } = useAction();
  const wait = useWait(lock);
  useEffect(() => void loadUnlockedApp(), []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!staffId) return setError('Choose your name first.');
    if (!pin) return setError('Enter your PIN.');
    const result = await run(async () => {
      const [, { unlock }] = await loadUnlockedApp();
      return unlock(staffId, pin);
    });
    setPin('');
    if (result && !result.ok) setError(result.message);
  }

  return (
    <main className="narrow">
      <h1>Footfall is locked</h1>
      <p className="muted">{deviceName}</p>
      <SyncStatus />
      {elsewhere && (
        <p className="notice">
          Locked here because Footfall was unlocked in another tab. Use that tab, or unlock here to use this one instead.
        </p>
      )}
      {lock.held && (
        <p role="alert" className="warning">
          Too many wrong PINs were entered. Only an admin can unlock this device now. Nothing on it has been deleted.
        </p>
      )}
      <form autoComplete="off" onSubmit={submit} noValidate>
        <fieldset>
          <legend>Who are you?</legend>
          <div className="choices">
            {choices.map((s) => (
              <label key={s.id} className="choice">
                <input autoComplete="off" type="radio" name="staff" value={s.id} checked={staffId === s.id} onChange={() => setStaffId(s.id)} />
                {s.name}
              </label>
            ))}
          </div>
        </fieldset>
        <label>
          PIN
          <SecretInput kind="pin" value={pin} onChange={setPin} disabled={wait > 0} />
        </label>
        {wait > 0 && <p role="status">Wait {formatWait(wait)} before trying again.</p>}
        <ErrorAlert message={error} />
        <button type="submit" className="primary" disabled={busy || wait > 0}>
          {busy ? 'Checking…' : 'Unlock'}
        </button>
      </form>
    </main>
  );
}

/** Milliseconds left of the wait the wrong PINs so far impose, ticking each second while one runs. */
function useWait(lock: LockState): number {
  const [, tick] = useState(0);
  const wait = waitRemaining(lock);
  const running = wait > 0;
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, [running, lock.failures]);
  return wait;
}
