/**
 * Confirming a device no admin has signed for (docs/security.md#devices): one joined with an
 * earlier version's code, which the endpoint lists with its role and the key it signs its uploads
 * with (named in the confirmation: docs/security.md#device-signed-parts). The admin says it is hers, in
 * that role and, for a front-desk or casework device, at the site she chooses; its records count
 * from the next opening of the report. The one control for it, in Settings → Devices and in the
 * Reports notice of what was set aside.
 */
import { useState } from 'react';
import type { DeviceSummary } from '../../domain/protocol.ts';
import { ROLE_LABELS } from '../modes.ts';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';
import { useCore } from '../shared/useCore.ts';
import { useSession } from '../store.ts';
import { confirmDevice } from './deviceStatements.ts';
import { certifiedAdminDevice } from './adminDevice.ts';

/** "a front desk device", "an admin device" */
export function asRole(role: DeviceSummary['role']): string {
  const label = ROLE_LABELS[role].toLowerCase();
  return `${/^[aeiou]/.test(label) ? 'an' : 'a'} ${label} device`;
}

export function ConfirmDevice({ device, onConfirmed }: { device: DeviceSummary; onConfirmed?: () => void }) {
  const core = useCore();
  const sites = useSession().config.sites.filter((s) => !s.retired);
  const hasSite = device.role === 'frontDesk' || device.role === 'casework';
  const [siteKey, setSiteKey] = useState(sites[0]?.key ?? '');
  const [done, setDone] = useState(false);
  const { run, error, busy } = useAction();
  if (done) return <strong role="status">Confirmed: its records count the next time the report opens.</strong>;
  const confirm = () =>
    run(async () => {
      // Every device checks the confirmation for an admin's signature: from a device not yet certified it would be set aside.
      await certifiedAdminDevice(core);
      await confirmDevice(core, device.deviceId, device.role, hasSite ? siteKey : null, device.signingKey);
      setDone(true);
      onConfirmed?.();
    });
  return (
    <span className="row-actions">
      {hasSite && (
        <label>
          Site of “{device.name}”
          <select autoComplete="off" value={siteKey} onChange={(e) => setSiteKey(e.target.value)}>
            {sites.map((s) => (
              <option key={s.key} value={s.key}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <button type="button" onClick={confirm} disabled={busy}>
        It is ours: confirm “{device.name}” as {asRole(device.role)}
      </button>
      <ErrorAlert message={error} />
    </span>
  );
}
