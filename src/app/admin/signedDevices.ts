/**
 * Where each of the organisation's devices stands, as this admin device knows what admins signed
 * about it (docs/security.md#devices), for Settings → Devices: the statements it signed itself
 * (kept here, rows.ts KeptStatements) and those its archive holds, as Reports last read it. The
 * endpoint's list only names the devices; what the screen says of each comes from signed
 * statements, as the reports' binding does (src/domain/devices.ts).
 */
import { joinProofCheck } from '../../crypto/enrolmentCode.ts';
import { foldDevices, joinsIn, openInvitations, type DeviceStatement } from '../../domain/devices.ts';
import type { FootfallEvent } from '../../domain/events.ts';
import type { DeviceSummary } from '../../domain/protocol.ts';
import type { DeviceCore } from '../core/core.ts';
import { loadHistory } from './archive/archiveStore.ts';

export type DeviceStanding =
  /** An admin signed for it: the statement in force now (its role and site). */
  | { kind: 'confirmed'; statement: DeviceStatement }
  /**
   * Joined while one of this device's codes was open: its code signs for it once Reports reads its
   * first records. A guess for the screen only; nothing counts by it.
   */
  | { kind: 'joining' }
  | { kind: 'unconfirmed' };

export type Standings = (device: Pick<DeviceSummary, 'deviceId' | 'enrolledAt'>) => DeviceStanding;

/** The server keeps a code for at most 7 days: a device enrolled later did not join with it. */
const CODE_LIFETIME_MS = 7 * 24 * 60 * 60_000;

export async function deviceStandings(core: DeviceCore): Promise<Standings> {
  const byId = new Map<string, FootfallEvent>();
  const archived = (await loadHistory(core)).events;
  for (const e of [...(await core.vault.loadKeptStatements()), ...archived]) if (e.type.startsWith('device.')) byId.set(e.id, e);
  const events = [...byId.values()];
  const checks = new Map(await Promise.all(joinsIn(events).map(async (j) => [j.id, await joinProofCheck(j.proof)] as const)));
  const registry = foldDevices(events, checks);
  const open = openInvitations(events, checks);
  return ({ deviceId, enrolledAt }) => {
    const statement = registry.get(deviceId)?.statements.at(-1);
    if (statement) return { kind: 'confirmed', statement };
    const joined = Date.parse(enrolledAt);
    const invited = open.some((i) => Date.parse(i.at) <= joined && joined - Date.parse(i.at) < CODE_LIFETIME_MS);
    return invited ? { kind: 'joining' } : { kind: 'unconfirmed' };
  };
}
