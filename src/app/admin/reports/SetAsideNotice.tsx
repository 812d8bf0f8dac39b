/**
 * What the archive held that its senders had no authority to send (docs/security.md#authority):
 * shown to the admin by device and kind, never counted. Device names come from the organisation's
 * device list when the endpoint answers; otherwise the device's id stands in. A device no admin
 * signed for (one joined with an earlier version's code) can be confirmed here, as in Settings →
 * Devices (ConfirmDevice.tsx): its records count from the next opening (docs/security.md#devices).
 */
import { useEffect, useState } from 'react';
import { SET_ASIDE_REASONS, type SetAsideReason } from '../../../domain/authority.ts';
import type { DeviceSummary } from '../../../domain/protocol.ts';
import { useCore } from '../../shared/useCore.ts';
import { ConfirmDevice } from '../ConfirmDevice.tsx';
import { listDevices } from '../../sync/organisation.ts';
import { defaultClient } from '../adminDevice.ts';
import type { SetAsideCount } from '../archive/archiveStore.ts';

export function SetAsideNotice({ setAside }: { setAside: SetAsideCount[] }) {
  const core = useCore();
  const [listed, setListed] = useState<ReadonlyMap<string, DeviceSummary>>(new Map());
  useEffect(() => {
    if (!setAside.length) return;
    let live = true;
    void defaultClient()
      .then((client) => listDevices(core, client))
      .then((devices) => live && setListed(new Map(devices.map((d) => [d.deviceId, d]))))
      .catch(() => undefined); // offline: ids stand in for names
    return () => {
      live = false;
    };
  }, [core, setAside.length]);
  if (!setAside.length) return null;

  const totals = new Map<string, { deviceId: string; reason: SetAsideReason; events: number }>();
  for (const s of setAside) {
    const key = `${s.deviceId} ${s.reason}`;
    const row = totals.get(key) ?? { deviceId: s.deviceId, reason: s.reason, events: 0 };
    row.events += s.events;
    totals.set(key, row);
  }
  return (
    <div className="warning" role="region" aria-label="Records set aside">
      <p>These records are set aside and not counted, because the device that sent them may not send them:</p>
      <ul>
        {[...totals.values()].map((t) => (
          <li key={`${t.deviceId} ${t.reason}`}>
            {t.events.toLocaleString('en-GB')} {t.events === 1 ? 'record' : 'records'} from “{listed.get(t.deviceId)?.name ?? `device ${t.deviceId.slice(0, 8)}`}”:{' '}
            {SET_ASIDE_REASONS[t.reason]}.{' '}
            {t.reason === 'unsigned_device' && <Confirm device={listed.get(t.deviceId)} />}
          </li>
        ))}
      </ul>
      <p>If that device is lost or not yours, revoke it in Settings.</p>
    </div>
  );
}

/** A device the endpoint lists (not revoked) that no admin signed for: confirmed as the list says it is used. */
function Confirm({ device }: { device: DeviceSummary | undefined }) {
  return device && !device.revokedAt ? <ConfirmDevice device={device} /> : null;
}
