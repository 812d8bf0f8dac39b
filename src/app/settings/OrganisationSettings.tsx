import { useEffect, useState } from 'react';
import QRCode from 'qrcode';
import type { Role } from '../../domain/protocol.ts';
import { ROLE_LABELS } from '../modes.ts';
import { RoleOptions } from './RoleOptions.tsx';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';
import { useFootfall, useSession } from '../store.ts';
import {
  createEnrolmentCode,
  createOrganisation,
  prepareOrganisation,
  type EnrolmentCode,
  type PendingOrganisation,
} from '../sync/organisation.ts';
import { retryQuarantined } from '../core/outbox.ts';
import { syncClient, syncNow } from '../sync/runtime.ts';
import { useCore } from '../shared/useCore.ts';
import { ClientError, isProblem } from '../problems.ts';
import { saveConfig } from './settingsActions.ts';
import { SecretInput } from '../shared/SecretInput.tsx';
import { SubmitOrBack } from '../shared/SubmitOrBack.tsx';
import { RotateOrgKey } from './RotateOrgKey.tsx';
import { DeviceList } from './DeviceList.tsx';


/** Joining the organisation, enrolling other devices and revoking them. Admins only. */
export function OrganisationSettings() {
  const sync = useFootfall((s) => s.sync);
  return (
    <section aria-labelledby="organisation-title" className="card">
      <h2 id="organisation-title">Organisation</h2>
      {sync.enrolled ? <Enrolled /> : <NotEnrolled />}
    </section>
  );
}

function NotEnrolled() {
  const [creating, setCreating] = useState(false);
  if (creating) return <CreateOrganisation onBack={() => setCreating(false)} />;
  return (
    <>
      <p>
        This device keeps its records to itself until the organisation exists on its server. Setting it up keeps everything already recorded
        here and syncs it, sealed, to the server; this device becomes the organisation’s admin device.
      </p>
      <div className="actions">
        <button type="button" onClick={() => setCreating(true)}>
          Set up a new organisation
        </button>
      </div>
    </>
  );
}

/**
 * Setting the organisation up, on the admin's laptop: its name, the passphrase, then the recovery
 * kit. The kit is proven before anything is created, and the proof asks for the code once it is
 * no longer on the screen, so typing it back shows it was printed or written down.
 */
function CreateOrganisation({ onBack }: { onBack: () => void }) {
  const core = useCore();
  const { config } = useSession();
  const [name, setName] = useState(config.name);
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');
  const [pending, setPending] = useState<PendingOrganisation | null>(null);
  const [kitPut, setKitPut] = useState(false);
  const [typed, setTyped] = useState('');
  // Asked for only once the server says it needs one (docs/security.md#the-endpoint).
  const [setupToken, setSetupToken] = useState<string | null>(null);
  const { run, error, busy } = useAction();

  if (!pending) {
    return (
      <form autoComplete="off"
        onSubmit={async (e) => {
          e.preventDefault();
          const made = await run(async () => {
            if (!name.trim()) throw new ClientError('org_name_missing');
            const prepared = await prepareOrganisation(core, passphrase, confirm);
            await saveConfig(core, { ...config, name: name.trim() });
            return prepared;
          });
          if (made) setPending(made);
        }}
        noValidate
      >
        <p>
          The organisation’s key opens every record. It is only ever stored locked: by a passphrase only you know, and by a recovery code you
          print now. The server keeps the locked copies so you can open the key from your devices, but never the passphrase or the code.
        </p>
        <label>
          Organisation name
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={120} autoComplete="off" />
        </label>
        <label>
          Admin passphrase (at least 12 characters)
          <SecretInput kind="passphrase" value={passphrase} onChange={setPassphrase} />
        </label>
        <label>
          Passphrase again
          <SecretInput kind="passphrase" value={confirm} onChange={setConfirm} />
        </label>
        <ErrorAlert message={error} />
        <SubmitOrBack busy={busy} label={busy ? 'Making keys…' : 'Make the keys and the recovery kit'} onBack={onBack} />
      </form>
    );
  }

  if (!kitPut) {
    return (
      <div>
        <div className="kit printable" aria-labelledby="kit-title">
          <h3 id="kit-title">Footfall recovery kit: {config.name}</h3>
          <p>Made {new Date().toLocaleDateString('en-GB', { dateStyle: 'long' })}.</p>
          <p>If the admin passphrase is lost, this code is the only way to open the organisation’s records. Keep it locked away.</p>
          <p>To use it: on an admin device, open Reports, choose “Use the recovery code instead” and type the code.</p>
          <label>
            Recovery code
            <input className="code" readOnly value={pending.recoveryCode} autoComplete="off" />
          </label>
          <button type="button" onClick={() => window.print()}>
            Print the kit
          </button>
        </div>
        <p className="hint">Print the kit, or write the code down by hand. Next, the code leaves the screen and you type it back from paper.</p>
        <button type="button" className="primary" onClick={() => setKitPut(true)}>
          I have printed it or written it down
        </button>
      </div>
    );
  }

  return (
    <form autoComplete="off"
      onSubmit={async (e) => {
        e.preventDefault();
        const created = await run(async () => {
          try {
            await createOrganisation(core, syncClient, pending, typed, setupToken ?? undefined);
            return true;
          } catch (error) {
            if (isProblem(error, 'setup_token_needed')) setSetupToken('');
            throw error;
          }
        });
        if (created) void syncNow();
      }}
      noValidate
    >
      <label>
        Type the recovery code from the printed kit
        <SecretInput kind="code" value={typed} onChange={setTyped} />
      </label>
      <p className="hint">This proves the kit works before the organisation is created.</p>
      {setupToken !== null && (
        <label>
          Set-up token, from whoever runs the server
          <SecretInput kind="passphrase" value={setupToken} onChange={setSetupToken} />
        </label>
      )}
      <ErrorAlert message={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Checking the kit…' : 'Check the kit and create the organisation'}
        </button>
        <button type="button" onClick={() => (setTyped(''), setKitPut(false))}>
          Show the kit again
        </button>
      </div>
    </form>
  );
}

function Enrolled() {
  const sync = useFootfall((s) => s.sync);
  const { run, error, busy } = useAction();
  const [notice, setNotice] = useState<string | null>(null);
  const [codeShown, setCodeShown] = useState(false);
  if (sync.revoked) {
    return <p>This device has been removed from the organisation. It no longer syncs or takes new records; see the sync status for what it did not send.</p>;
  }
  return (
    <>
      <p>This device is enrolled with the organisation{sync.deviceRole ? ` as ${/^[aeiou]/i.test(ROLE_LABELS[sync.deviceRole]) ? 'an' : 'a'} ${ROLE_LABELS[sync.deviceRole].toLowerCase()} device` : ''} and syncs by itself.</p>
      <div className="actions">
        <button type="button" onClick={() => run(syncNow)} disabled={busy}>
          Sync now
        </button>
        {sync.quarantined > 0 && (
          <button
            type="button"
            onClick={() =>
              run(async () => {
                const n = await retryQuarantined();
                setNotice(`${n} set-aside ${n === 1 ? 'batch' : 'batches'} will be sent again.`);
                await syncNow();
              })
            }
          >
            Send set-aside batches again
          </button>
        )}
      </div>
      <p role="status">{notice}</p>
      <ErrorAlert message={error} />
      {sync.deviceRole === 'admin' ? (
        <>
          <EnrolAnotherDevice onCodeShown={setCodeShown} />
          <DeviceList codeShown={codeShown} />
          <RotateOrgKey />
        </>
      ) : (
        <p className="hint">Devices are enrolled and revoked from an admin’s device.</p>
      )}
    </>
  );
}

/** A one-time code for a new device, made for what it will be: its name, its work and its site (none for outreach). */
function EnrolAnotherDevice({ onCodeShown }: { onCodeShown: (shown: boolean) => void }) {
  const core = useCore();
  const { config } = useSession();
  const activeSites = config.sites.filter((s) => !s.retired);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('frontDesk');
  const [siteKey, setSiteKey] = useState(activeSites[0]?.key ?? '');
  const [made, setMade] = useState<(EnrolmentCode & { qr: string }) | null>(null);
  const { run, error, busy } = useAction();
  async function create() {
    const code = await run(async () => {
      const c = await createEnrolmentCode(core, syncClient, { name, role, siteKey: role === 'outreach' ? null : siteKey });
      return { ...c, qr: await QRCode.toString(c.link, { type: 'svg', margin: 1 }) };
    });
    if (code) setMade(code);
  }
  // The device list is read every few seconds while a code is on the screen (DeviceList.tsx).
  useEffect(() => {
    onCodeShown(made !== null);
    return () => onCodeShown(false);
  }, [made, onCodeShown]);
  return (
    <section aria-labelledby="enrol-title">
      <h3 id="enrol-title">Enrol another device</h3>
      <label>
        Its name
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Front desk tablet" maxLength={60} autoComplete="off" />
      </label>
      <label>
        It will be used for
        <select autoComplete="off" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          <RoleOptions />
        </select>
      </label>
      {role !== 'outreach' && (
        <label>
          At the site
          <select autoComplete="off" value={siteKey} onChange={(e) => setSiteKey(e.target.value)}>
            {activeSites.map((s) => (
              <option key={s.key} value={s.key}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <button type="button" onClick={create} disabled={busy}>
        Make a one-time code
      </button>
      <ErrorAlert message={error} />
      {made && (
        <div className="kit">
          <p>On the new device, open Footfall and choose “Join your organisation”, then type this code. Or scan this with its camera.</p>
          <label>
            Enrolment code
            <input className="code" readOnly value={made.code} autoComplete="off" />
          </label>
          <img className="qr" src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(made.qr)}`} alt="QR code that opens Footfall with this enrolment code" />
          <p>Works once, until {new Date(made.expiresAt).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}.</p>
          <p className="hint">The device shows in the list below as soon as it has joined.</p>
          <button type="button" onClick={() => setMade(null)}>
            Hide the code
          </button>
        </div>
      )}
    </section>
  );
}
