import { useState, type FormEvent } from 'react';
import { setUpDevice } from './access.ts';
import { pinProblem } from './lockPolicy.ts';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';

/** First run on a new tablet or phone: name it, name the site, and create the first admin. */
export function SetupScreen() {
  const [deviceName, setDeviceName] = useState('');
  const [siteName, setSiteName] = useState('');
  const [staffName, setStaffName] = useState('');
  const [pin, setPin] = useState('');
  const [pin2, setPin2] = useState('');
  const { run, error, setError, busy } = useAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const problem = !deviceName.trim()
      ? 'Give this device a name, such as "Front desk tablet".'
      : !siteName.trim()
        ? 'Name the site this device is used at.'
        : !staffName.trim()
          ? 'Enter your name.'
          : (pinProblem(pin) ?? (pin !== pin2 ? 'The two PINs are not the same. Enter them again.' : null));
    if (problem) {
      setError(problem);
      return;
    }
    await run(() => setUpDevice({ deviceName, siteName, staffName, pin }));
  }

  return (
    <main className="narrow">
      <h1>Set up this device</h1>
      <p>
        Footfall keeps its records on this device, encrypted. You will be its first admin: you can add other staff, each with
        her own PIN, once it is set up.
      </p>
      <p className="hint">
        Joining your organisation? Set this device up first, then enrol it in Settings, Organisation, with the one-time code from your admin.
        Nothing recorded in between is lost.
      </p>
      <form onSubmit={submit} noValidate>
        <label>
          Device name
          <input value={deviceName} onChange={(e) => setDeviceName(e.target.value)} placeholder="Front desk tablet" autoComplete="off" />
        </label>
        <label>
          Site
          <input value={siteName} onChange={(e) => setSiteName(e.target.value)} placeholder="Drop-in centre" autoComplete="off" />
        </label>
        <label>
          Your name
          <input value={staffName} onChange={(e) => setStaffName(e.target.value)} autoComplete="off" />
        </label>
        <label>
          Your PIN (6 to 12 digits)
          <input type="password" inputMode="numeric" autoComplete="new-password" value={pin} onChange={(e) => setPin(e.target.value)} />
        </label>
        <label>
          Your PIN again
          <input type="password" inputMode="numeric" autoComplete="new-password" value={pin2} onChange={(e) => setPin2(e.target.value)} />
        </label>
        <ErrorAlert message={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Setting up…' : 'Set up this device'}
        </button>
      </form>
    </main>
  );
}
