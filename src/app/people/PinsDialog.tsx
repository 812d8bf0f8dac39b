import { useEffect, useState, type FormEvent } from 'react';
import type { Person } from '../../domain/people.ts';
import { Dialog } from '../shared/Dialog.tsx';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';
import { useCore } from '../shared/useCore.ts';
import { pinProblem } from '../lock/lockPolicy.ts';
import { PersonalCodeAndPin } from './PersonalCodeAndPin.tsx';
import { ClientError } from '../problems.ts';
import { addMeToThisDevice, changeMyPin, peopleForThisDevice } from './peopleActions.ts';
import { SecretInput } from '../shared/SecretInput.tsx';

/**
 * PINs on this device, for whoever is signed in: a colleague new to the device sets her own PIN
 * with her personal code (handed the device for a moment), and the person signed in changes hers.
 */
export function PinsDialog({ onClose }: { onClose: () => void }) {
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <Dialog title="PINs on this device" onClose={onClose}>
      <p role="status" className="notice" aria-live="polite">
        {notice}
      </p>
      <AddMe onAdded={(name) => setNotice(`${name} can now unlock this device with her own PIN.`)} />
      <ChangeMyPin onChanged={() => setNotice('Your PIN is changed. Your old PIN no longer unlocks this device.')} />
    </Dialog>
  );
}

function AddMe({ onAdded }: { onAdded: (name: string) => void }) {
  const core = useCore();
  const [people, setPeople] = useState<Person[]>([]);
  const [personId, setPersonId] = useState('');
  const [code, setCode] = useState('');
  const [pin, setPin] = useState('');
  const [pin2, setPin2] = useState('');
  const { run, error, setError, busy } = useAction();
  useEffect(() => void peopleForThisDevice(core).then(setPeople), [core]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (pin !== pin2) return setError(new ClientError('pin_mismatch').message);
    const name = await run(() => addMeToThisDevice(core, personId, code, pin));
    if (!name) return;
    setCode('');
    setPin('');
    setPin2('');
    onAdded(name);
  }

  return (
    <form autoComplete="off" onSubmit={submit} noValidate aria-labelledby="add-me-title">
      <h3 id="add-me-title">Set your PIN on this device</h3>
      {people.length === 0 ? (
        <p className="hint">Nobody else is set to use this device. Your admin adds people, with the work and site of the devices they use.</p>
      ) : (
        <>
          <label>
            Your name
            <select autoComplete="off" value={personId} onChange={(e) => setPersonId(e.target.value)}>
              <option value="" disabled>
                Choose your name
              </option>
              {people.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <PersonalCodeAndPin code={code} setCode={setCode} pin={pin} setPin={setPin} pin2={pin2} setPin2={setPin2} />
          <ErrorAlert message={error} />
          <button type="submit" disabled={busy || !personId}>
            {busy ? 'Checking…' : 'Set my PIN'}
          </button>
        </>
      )}
    </form>
  );
}

function ChangeMyPin({ onChanged }: { onChanged: () => void }) {
  const core = useCore();
  const [current, setCurrent] = useState('');
  const [pin, setPin] = useState('');
  const [pin2, setPin2] = useState('');
  const { run, error, setError, busy } = useAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const problem = pinProblem(pin) ?? (pin !== pin2 ? new ClientError('pin_mismatch').message : null);
    if (problem) return setError(problem);
    if (!(await run(async () => (await changeMyPin(core, current, pin), true)))) return;
    setCurrent('');
    setPin('');
    setPin2('');
    onChanged();
  }

  return (
    <form autoComplete="off" onSubmit={submit} noValidate aria-labelledby="change-pin-title">
      <h3 id="change-pin-title">Change my PIN</h3>
      <label>
        My PIN now
        <SecretInput kind="pin" value={current} onChange={setCurrent} />
      </label>
      <label>
        My new PIN (6 to 12 digits)
        <SecretInput kind="pin" value={pin} onChange={setPin} />
      </label>
      <label>
        My new PIN again
        <SecretInput kind="pin" value={pin2} onChange={setPin2} />
      </label>
      <ErrorAlert message={error} />
      <button type="submit" disabled={busy}>
        {busy ? 'Changing…' : 'Change my PIN'}
      </button>
    </form>
  );
}
