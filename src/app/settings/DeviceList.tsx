/**
 * Settings → Devices on an admin device: the organisation's devices as the endpoint lists them,
 * each with what admins signed about it (docs/security.md#devices): confirmed, and at which site;
 * joining with one of her codes; or not confirmed yet, with the control that confirms it. A
 * front-desk or casework device is moved to another site from here, by a signed move it takes up
 * at its next sync; a device is revoked from here too.
 */
import { useCallback, useEffect, useState } from 'react';
import { labelOf } from '../../domain/config.ts';
import type { DeviceSummary } from '../../domain/protocol.ts';
import { asRole, ConfirmDevice } from '../admin/ConfirmDevice.tsx';
import { moveDevice } from '../admin/deviceStatements.ts';
import { deviceStandings, type DeviceStanding, type Standings } from '../admin/signedDevices.ts';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';
import { useCore } from '../shared/useCore.ts';
import { useFootfall, useSession } from '../store.ts';
import { listDevices, revokeDevice, rotateTeamKey, rotationDue } from '../sync/organisation.ts';
import { syncClient } from '../sync/runtime.ts';

/** How often the list is read again while an enrolment code is on the screen, so the device that joins with it shows at once. */
export const CODE_SHOWN_POLL_MS = 3_000;

export function DeviceList({ codeShown }: { codeShown: boolean }) {
  const core = useCore();
  const [devices, setDevices] = useState<DeviceSummary[] | null>(null);
  const [standings, setStandings] = useState<Standings | null>(null);
  const myId = useFootfall((s) => s.identity?.deviceId);
  // Fetched again after each sync round, so "last seen" stays current while the card is open.
  const lastSyncedAt = useFootfall((s) => s.sync.lastSyncedAt);
  const [keyDue, setKeyDue] = useState(false);
  const { run, error } = useAction();
  const load = useCallback(
    () =>
      run(async () => {
        setKeyDue(await rotationDue());
        setDevices(await listDevices(core, syncClient));
      }),
    [core, run],
  );
  // What admins signed is read from this device's own storage: once, and again after each change made here.
  const readStandings = useCallback(
    () =>
      run(async () => {
        const read = await deviceStandings(core);
        setStandings(() => read); // a function: React would call it as an updater
      }),
    [core, run],
  );
  useEffect(() => void load(), [load, lastSyncedAt]);
  useEffect(() => void readStandings(), [readStandings]);
  useEffect(() => {
    if (!codeShown) return;
    const timer = setInterval(() => void load(), CODE_SHOWN_POLL_MS);
    return () => clearInterval(timer);
  }, [codeShown, load]);

  return (
    <section aria-labelledby="devices-title">
      <h3 id="devices-title">Devices</h3>
      <ErrorAlert message={error} />
      {keyDue && (
        <div className="warning">
          <p>A device was revoked but the team key has not been changed yet, so it could still read names registered from now on.</p>
          <button type="button" onClick={() => run(async () => (await rotateTeamKey(core, syncClient), await load()))}>
            Change the team key
          </button>
        </div>
      )}
      {devices && (
        <ul className="term-list" aria-label="Enrolled devices">
          {devices.map((d) => (
            <DeviceRow
              key={d.deviceId}
              device={d}
              mine={d.deviceId === myId}
              standing={standings?.(d) ?? null}
              onSigned={() => void readStandings()}
              onRevoked={() => void Promise.all([load(), readStandings()])}
            />
          ))}
        </ul>
      )}
      {devices && (
        <p className="hint">
          A device that joined with a code you made is confirmed by its code once Reports has read its first records. Confirm here only a
          device joined with a code from an earlier version of Footfall.
        </p>
      )}
    </section>
  );
}

function DeviceRow({
  device: d,
  mine,
  standing,
  onSigned,
  onRevoked,
}: {
  device: DeviceSummary;
  mine: boolean;
  standing: DeviceStanding | null;
  onSigned: () => void;
  onRevoked: () => void;
}) {
  const core = useCore();
  const [confirming, setConfirming] = useState(false);
  const { run, error } = useAction();
  const seen = d.revokedAt ? 'revoked' : d.lastSeenAt ? `last seen ${new Date(d.lastSeenAt).toLocaleString('en-GB')}` : 'not seen yet';
  const live = !d.revokedAt && !mine;
  return (
    <li>
      <span>
        {d.name} <span className="muted">{seen}</span>
        <br />
        <Standing device={d} standing={standing} />
      </span>
      <span className="row-actions">
        {live && standing?.kind === 'unconfirmed' && <ConfirmDevice device={d} onConfirmed={onSigned} />}
        {live && standing?.kind === 'confirmed' && (standing.statement.role === 'frontDesk' || standing.statement.role === 'casework') && (
          <MoveDevice device={d} role={standing.statement.role} siteKey={standing.statement.siteKey} onMoved={onSigned} />
        )}
        {live &&
          (confirming ? (
            <>
              <button type="button" className="danger-quiet" onClick={() => run(async () => (setConfirming(false), await revokeDevice(core, syncClient, d.deviceId, d.name).finally(onRevoked)))}>
                Yes, revoke {d.name}
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Keep {d.name}
              </button>
            </>
          ) : (
            <button type="button" className="danger-quiet" onClick={() => setConfirming(true)}>
              Revoke {d.name}
            </button>
          ))}
      </span>
      <ErrorAlert message={error} />
    </li>
  );
}

/** What admins signed about the device, in a sentence. */
function Standing({ device, standing }: { device: DeviceSummary; standing: DeviceStanding | null }) {
  const { config } = useSession();
  if (!standing) return null;
  switch (standing.kind) {
    case 'confirmed': {
      const { role, siteKey } = standing.statement;
      return (
        <span>
          Confirmed as {asRole(role)}
          {siteKey ? ` at ${labelOf(config.sites, siteKey)}` : ''}
        </span>
      );
    }
    case 'joining':
      return <span>Joined with one of your codes: confirmed once Reports has read its first records</span>;
    case 'unconfirmed':
      return <strong>Not confirmed yet{device.revokedAt ? '' : ': its records are set aside until an admin confirms it'}</strong>;
  }
}

/** A signed move to another of the organisation's sites (admin/deviceStatements.ts moveDevice). */
function MoveDevice({ device, role, siteKey, onMoved }: { device: DeviceSummary; role: DeviceSummary['role']; siteKey: string | null; onMoved: () => void }) {
  const core = useCore();
  const { config } = useSession();
  const others = config.sites.filter((s) => !s.retired && s.key !== siteKey);
  const [open, setOpen] = useState(false);
  const [to, setTo] = useState(others[0]?.key ?? '');
  const [moved, setMoved] = useState<string | null>(null);
  const { run, error, busy } = useAction();
  if (!others.length) return null;
  if (!open) {
    return (
      <>
        {moved && <span role="status">Moved to {labelOf(config.sites, moved)}: it takes the site when it next syncs.</span>}
        <button type="button" onClick={() => (setOpen(true), setMoved(null))}>
          Move {device.name} to another site
        </button>
      </>
    );
  }
  const move = () =>
    run(async () => {
      await moveDevice(core, device.deviceId, role, to);
      setMoved(to);
      setOpen(false);
      onMoved();
    });
  return (
    <>
      <label>
        New site for “{device.name}”
        <select autoComplete="off" value={to} onChange={(e) => setTo(e.target.value)}>
          {others.map((s) => (
            <option key={s.key} value={s.key}>
              {s.name}
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={move} disabled={busy}>
        Move {device.name}
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      <ErrorAlert message={error} />
    </>
  );
}
