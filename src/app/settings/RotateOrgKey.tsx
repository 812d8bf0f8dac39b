import { useState, type FormEvent } from 'react';
import { rotateOrgKey } from '../admin/rotateOrgKey.ts';
import { SecretInput } from '../shared/SecretInput.tsx';
import { SubmitOrBack } from '../shared/SubmitOrBack.tsx';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';
import { useCore } from '../shared/useCore.ts';
import { syncClient } from '../sync/runtime.ts';

/**
 * "Change the organisation key" on the admin's device (docs/security.md#rotating-the-organisation-key):
 * what it does and when to use it, in the CEO's words, then the passphrase and the printed kit.
 */
export function RotateOrgKey() {
  const core = useCore();
  const [open, setOpen] = useState(false);
  const [passphrase, setPassphrase] = useState('');
  const [code, setCode] = useState('');
  const [done, setDone] = useState<number | null>(null);
  const { run, error, busy } = useAction();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const version = await run(() => rotateOrgKey(core, syncClient, passphrase, code));
    if (version === undefined) return;
    setPassphrase('');
    setCode('');
    setOpen(false);
    setDone(version);
  }

  return (
    <section aria-labelledby="org-key-title">
      <h3 id="org-key-title">The organisation key</h3>
      <p>
        Every record is locked with the organisation key, and only an admin can open it. Change it if a laptop or a phone that opened
        the reports was lost or stolen, or if you think someone else learnt the passphrase. From then on, every device locks new
        records with the new key, each as soon as it next syncs. Records from before stay readable on admin devices: nothing is lost.
      </p>
      <p className="hint">
        You need the admin passphrase and the printed recovery kit. The kit you have goes on working for the new key too: keep it
        safe. If a device was lost, also remove it in the list of devices above, so it can no longer sync.
      </p>
      <p role="status">{done !== null && `The organisation key has been changed (key ${done}). Devices use it from their next sync.`}</p>
      {open ? (
        <form onSubmit={submit} aria-label="Change the organisation key" autoComplete="off">
          <label>
            Admin passphrase
            <SecretInput kind="passphrase" value={passphrase} onChange={setPassphrase} />
          </label>
          <label>
            Recovery code, from the printed kit
            <SecretInput kind="code" value={code} onChange={setCode} />
          </label>
          <ErrorAlert message={error} />
          <SubmitOrBack busy={busy} label="Change the key now" onBack={() => setOpen(false)} />
        </form>
      ) : (
        <button type="button" onClick={() => (setOpen(true), setDone(null))}>
          Change the organisation key
        </button>
      )}
    </section>
  );
}
