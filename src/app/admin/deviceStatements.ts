/**
 * What an admin device signs about the organisation's devices (docs/security.md#devices): the
 * invitation in each enrolment code, a device she confirms herself, her own device, a move to
 * another site, and a revocation. Each is an event saved here and uploaded in this device's next
 * batch, whose parts a certified admin device signs; the admin's device binds records to these
 * statements only (src/domain/devices.ts), never to the endpoint's list of devices.
 */
import { makeJoinProof } from '../../crypto/enrolmentCode.ts';
import type { EventOf } from '../../domain/events.ts';
import type { PublicJwk, Role } from '../../domain/protocol.ts';
import type { DeviceCore } from '../core/core.ts';
import { ClientError } from '../problems.ts';
import { requireCertifiedAdmin } from '../settings/settingsActions.ts';

/** What a code's package carries so the device that opens it can show it held the code. */
export interface JoinInvitation {
  inviteId: string;
  proof: string;
}

/** Signs what a device joining with a new code will be; the package carries the returned secret. */
export async function inviteDevice(core: DeviceCore, role: Role, siteKey: string | null): Promise<JoinInvitation> {
  const inviteId = crypto.randomUUID();
  const { proof, check } = await makeJoinProof();
  await saveStatement(core, { ...core.stamp(), type: 'device.invited', inviteId, role, siteKey, proofCheck: check });
  return { inviteId, proof };
}

/**
 * On a device that has just joined: shows the organisation the secret its code's package held, and
 * states the key it signs its parts with (docs/security.md#device-signed-parts). Not kept: this
 * device is not an admin's.
 */
export async function showJoined(core: DeviceCore, invitation: JoinInvitation, signingKey: PublicJwk): Promise<void> {
  await core.serially(() => core.save([{ ...core.stamp(), type: 'device.joined', ...invitation, signingKey }], {}));
}

/**
 * Confirms a device as what it is used for, with the key it signs its parts with: one that joined
 * with an earlier version's code (its key as the endpoint lists it, the key it signs its uploads
 * with), or this admin device itself (admin devices record at any site).
 */
export async function confirmDevice(core: DeviceCore, deviceId: string, role: Role, siteKey: string | null, signingKey: PublicJwk): Promise<void> {
  await saveStatement(core, {
    ...core.stamp(),
    type: 'device.enrolled',
    subjectId: deviceId,
    role,
    siteKey: role === 'admin' || role === 'outreach' ? null : siteKey,
    signingKey,
  });
}

/**
 * Moves a front-desk or casework device to another of the organisation's sites. The move is shared
 * through the directory, signed like a setting, so the device reads it at its next sync and takes
 * up the site; from the move on, its visits count there and no longer at its old site.
 */
export async function moveDevice(core: DeviceCore, deviceId: string, role: Role, siteKey: string): Promise<void> {
  if (role === 'admin' || role === 'outreach') throw new ClientError('device_has_no_site');
  if (!core.session.config.sites.some((s) => s.key === siteKey && !s.retired)) throw new ClientError('site_unknown');
  await core.serially(async () => {
    await requireCertifiedAdmin(core);
    const event: EventOf<'device.moved'> = { ...core.stamp(), type: 'device.moved', subjectId: deviceId, siteKey };
    await core.foldDirectory([event], [event]);
    await core.vault.keepStatement(event);
  });
}

/** Signs that a device is revoked: what it makes from now on counts nowhere. */
export async function signRevocation(core: DeviceCore, deviceId: string): Promise<void> {
  await saveStatement(core, { ...core.stamp(), type: 'device.revoked', subjectId: deviceId });
}

/** Saved for upload, and kept here for Settings → Devices (src/app/core/rows.ts KeptStatements). */
function saveStatement(core: DeviceCore, event: EventOf<'device.invited' | 'device.enrolled' | 'device.revoked'>): Promise<void> {
  return core.serially(async () => {
    await core.save([event], {});
    await core.vault.keepStatement(event);
  });
}
