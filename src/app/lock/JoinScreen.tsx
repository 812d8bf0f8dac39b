import { useState, type FormEvent } from 'react';
import { labelOf } from '../../domain/config.ts';
import { ROLE_LABELS } from '../modes.ts';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';
import { enrolCodeFromLink, forgetEnrolLink } from '../sync/enrolLink.ts';
import { claimJoin, type JoinOffer } from '../sync/organisation.ts';
import { syncClient, syncNow } from '../sync/runtime.ts';
import { finishJoin } from './access.ts';
import { pinProblem } from './lockPolicy.ts';
import { SecretInput } from '../shared/SecretInput.tsx';
import { SubmitOrBack } from '../shared/SubmitOrBack.tsx';
import { PersonalCodeAndPin } from '../people/PersonalCodeAndPin.tsx';

/**
 * A device joining the organisation (docs/security.md#joining): the admin's one-time code (typed,
 * or from the QR link) says what the device is; then its first person proves who she is with her
 * personal code and sets her own PIN.
 */
export function JoinScreen({ onBack }: { onBack: () => void }) {
  const [offer, setOffer] = useState<JoinOffer | null>(null);
  return offer ? <ChoosePerson offer={offer} /> : <EnterCode onClaimed={setOffer} onBack={onBack} />;
}

function EnterCode({ onClaimed, onBack }: { onClaimed: (offer: JoinOffer) => void; onBack: () => void }) {
  const [code, setCode] = useState(enrolCodeFromLink() ?? '');
  const { run, error, busy } = useAction();
  async function submit(event: FormEvent) {
    event.preventDefault();
    const offer = await run(() => claimJoin(syncClient, code));
    if (offer) onClaimed(offer);
  }
  return (
    <main className="narrow">
      <h1>Join your organisation</h1>
      <p>Your admin made a one-time code for this device. It says what the device is for; you then set your own PIN.</p>
      <form autoComplete="off" onSubmit={submit} noValidate>
        <label>
          Device code
          <SecretInput kind="code" value={code} onChange={setCode} />
        </label>
        <p className="hint">Five groups, such as 7K2M-…-X. Case and dashes do not matter. This device must be online.</p>
        <ErrorAlert message={error} />
        <SubmitOrBack busy={busy} label={busy ? 'Joining…' : 'Continue'} onBack={onBack} />
      </form>
    </main>
  );
}

function ChoosePerson({ offer }: { offer: JoinOffer }) {
  const { device } = offer.pkg;
  const [personId, setPersonId] = useState(device.people.length === 1 ? device.people[0]!.id : '');
  const [code, setCode] = useState('');
  const [pin, setPin] = useState('');
  const [pin2, setPin2] = useState('');
  const { run, error, setError, busy } = useAction();
  const orgName = device.config.name || 'your organisation';

  async function submit(event: FormEvent) {
    event.preventDefault();
    const problem = !personId
      ? 'Choose your name first.'
      : !code.trim()
        ? 'Type your personal code from the paper the admin gave you.'
        : (pinProblem(pin) ?? (pin !== pin2 ? 'The two PINs are not the same. Enter them again.' : null));
    if (problem) return setError(problem);
    const joined = await run(async () => (await finishJoin(offer, { personId, code, pin }), true));
    if (joined) {
      forgetEnrolLink();
      void syncNow();
    }
  }

  return (
    <main className="narrow">
      <h1>Join {orgName}</h1>
      <p>
        This device is “{device.name}”, for {ROLE_LABELS[offer.role].toLowerCase()}
        {device.siteKey ? ` at ${labelOf(device.config.sites, device.siteKey)}` : ''}. Keep this screen open until you have set your PIN.
      </p>
      {device.people.length === 0 ? (
        <p role="alert" className="warning">
          Nobody is set to use this device yet. Ask your admin to add you with this device’s work and site, then to make a new device code.
        </p>
      ) : (
        <form autoComplete="off" onSubmit={submit} noValidate>
          <fieldset>
            <legend>Who are you?</legend>
            <div className="choices">
              {device.people.map((p) => (
                <label key={p.id} className="choice">
                  <input autoComplete="off" type="radio" name="person" value={p.id} checked={personId === p.id} onChange={() => setPersonId(p.id)} />
                  {p.name}
                </label>
              ))}
            </div>
          </fieldset>
          <PersonalCodeAndPin code={code} setCode={setCode} pin={pin} setPin={setPin} pin2={pin2} setPin2={setPin2} />
          <ErrorAlert message={error} />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Setting up…' : 'Set my PIN and start'}
          </button>
        </form>
      )}
    </main>
  );
}
