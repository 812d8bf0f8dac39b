import { useState, type FormEvent } from 'react';
import { setUpDevice } from './access.ts';
import { JoinScreen } from './JoinScreen.tsx';
import { enrolCodeFromLink } from '../sync/enrolLink.ts';
import { pinProblem } from './lockPolicy.ts';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';
import { SecretInput } from '../shared/SecretInput.tsx';
import { SubmitOrBack } from '../shared/SubmitOrBack.tsx';

/**
 * First run. Every device but one joins the organisation with a code from its admin; the one that
 * sets the organisation up is the admin's laptop, and she is its first admin
 * (docs/security.md#joining). A QR link goes straight to joining.
 */
export function SetupScreen() {
  const [path, setPath] = useState<'choose' | 'join' | 'new'>(enrolCodeFromLink() ? 'join' : 'choose');
  if (path === 'join') return <JoinScreen onBack={() => setPath('choose')} />;
  if (path === 'new') return <NewOrganisation onBack={() => setPath('choose')} />;
  return (
    <main className="narrow">
      <h1>Welcome to Footfall</h1>
      <p>Footfall keeps the centre’s records on this device, encrypted, and syncs them sealed to your organisation.</p>
      <div className="actions column">
        <button type="button" className="primary" onClick={() => setPath('join')}>
          Join your organisation
        </button>
        <p className="hint">With the code your admin made for this device.</p>
        <button type="button" onClick={() => setPath('new')}>
          Set up a new organisation
        </button>
        <p className="hint">Only on the laptop of the person who will run it: she becomes its admin.</p>
      </div>
    </main>
  );
}

/** The organisation's admin laptop: name it and its site, and make her its first admin. */
function NewOrganisation({ onBack }: { onBack: () => void }) {
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
      <h1>Set up a new organisation</h1>
      <p>
        This laptop becomes the organisation’s admin device and you its first admin. Next, in Settings, you name the organisation, choose its
        passphrase and print its recovery kit; then you add its people and join its other devices.
      </p>
      <form autoComplete="off" onSubmit={submit} noValidate>
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
          <SecretInput kind="pin" value={pin} onChange={setPin} />
        </label>
        <label>
          Your PIN again
          <SecretInput kind="pin" value={pin2} onChange={setPin2} />
        </label>
        <ErrorAlert message={error} />
        <SubmitOrBack busy={busy} label={busy ? 'Setting up…' : 'Set up this device'} onBack={onBack} />
      </form>
    </main>
  );
}
