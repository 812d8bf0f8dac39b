/**
 * Opening the organisation's key for reports or import: the passphrase, or the printed recovery
 * code. A wrong attempt says so and changes nothing.
 */
import { useState, type FormEvent } from 'react';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';
import { unlockOrgKey } from './orgKey.ts';
import { useCore } from '../shared/useCore.ts';
import { SecretInput } from '../shared/SecretInput.tsx';

/** What each screen opens the key for: said first in the form, and on its button. */
const PURPOSES = {
  reports: { why: 'Reports are counted on this device from the organisation’s records', button: 'Open reports' },
  import: { why: 'A file is checked against the organisation’s records before anything is imported', button: 'Open the records' },
} as const;

/** The Reports screen's form. */
export function UnlockReports() {
  return <UnlockOrgKey purpose="reports" />;
}

export function UnlockOrgKey({ purpose }: { purpose: keyof typeof PURPOSES }) {
  const { why, button } = PURPOSES[purpose];
  const core = useCore();
  const [secret, setSecret] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const { run, error, setError, busy } = useAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    // A wrong attempt leaves what was typed, to correct.
    await run(() => unlockOrgKey(core, secret, useRecovery ? 'recovery' : 'passphrase'));
  }

  return (
    <section aria-labelledby="unlock-org-key-title" className="card">
      <h2 id="unlock-org-key-title">Open the organisation’s records</h2>
      <p>
        {why}, which only the organisation key opens. Type the organisation passphrase to open it. It stays open until Footfall locks.
      </p>
      <form autoComplete="off" onSubmit={submit} noValidate>
        <label className="check switch">
          <input autoComplete="off"
            type="checkbox"
            role="switch"
            checked={useRecovery}
            onChange={(e) => {
              setUseRecovery(e.target.checked);
              setSecret('');
              setError(null);
            }}
          />
          Use the recovery code instead
        </label>
        {useRecovery ? (
          <label>
            Recovery code
            <SecretInput kind="code" value={secret} onChange={setSecret} />
          </label>
        ) : (
          <label>
            Organisation passphrase
            <SecretInput kind="passphrase" value={secret} onChange={setSecret} />
          </label>
        )}
        {useRecovery && <p className="hint">As printed on the recovery kit: 24 letters and digits in groups of four. Case and dashes do not matter.</p>}
        <ErrorAlert message={error} />
        {busy && (
          <p role="status" className="muted">
            Opening the organisation key… this takes a few seconds.
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Opening…' : button}
        </button>
      </form>
    </section>
  );
}
