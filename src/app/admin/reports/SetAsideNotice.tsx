/**
 * What the archive held that its senders had no authority to send (docs/security.md#authority):
 * shown to the admin by device and kind, never counted. Device names come from the organisation's
 * device list when the endpoint answers; otherwise the device's id stands in.
 */
import { useEffect, useState } from 'react';
import { SET_ASIDE_REASONS, type SetAsideReason } from '../../../domain/authority.ts';
import { useCore } from '../../shared/useCore.ts';
import { listDevices } from '../../sync/organisation.ts';
import { defaultClient } from '../adminDevice.ts';
import type { SetAsideCount } from '../archive/archiveStore.ts';

export function SetAsideNotice({ setAside }: { setAside: SetAsideCount[] }) {
  const core = useCore();
  const [names, setNames] = useState<ReadonlyMap<string, string>>(new Map());
  useEffect(() => {
    if (!setAside.length) return;
    let live = true;
    void defaultClient()
      .then((client) => listDevices(core, client))
      .then((devices) => live && setNames(new Map(devices.map((d) => [d.deviceId, d.name]))))
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
            {t.events.toLocaleString('en-GB')} {t.events === 1 ? 'record' : 'records'} from “{names.get(t.deviceId) ?? `device ${t.deviceId.slice(0, 8)}`}”:{' '}
            {SET_ASIDE_REASONS[t.reason]}.
          </li>
        ))}
      </ul>
      <p>If that device is lost or not yours, revoke it in Settings.</p>
    </div>
  );
}
