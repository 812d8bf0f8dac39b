/**
 * What an admin device signs about the organisation's devices (docs/security.md#devices): the
 * invitation in each enrolment code, a device she confirms herself, her own device, and a
 * revocation. Each is an event saved here and uploaded in this device's next batch, whose parts a
 * certified admin device signs; the admin's device binds records to these statements only
 * (src/domain/devices.ts), never to the endpoint's list of devices.
 */
import { makeJoinProof } from '../../crypto/enrolmentCode.ts';
import type { EventOf } from '../../domain/events.ts';
import type { PublicJwk, Role } from '../../domain/protocol.ts';
import type { DeviceCore } from '../core/core.ts';

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
 * states the key it signs its parts with (docs/security.md#device-signed-parts).
 */
export async function showJoined(core: DeviceCore, invitation: JoinInvitation, signingKey: PublicJwk): Promise<void> {
  await saveStatement(core, { ...core.stamp(), type: 'device.joined', ...invitation, signingKey });
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

/** Signs that a device is revoked: what it makes from now on counts nowhere. */
export async function signRevocation(core: DeviceCore, deviceId: string): Promise<void> {
  await saveStatement(core, { ...core.stamp(), type: 'device.revoked', subjectId: deviceId });
}

function saveStatement(core: DeviceCore, event: EventOf<'device.invited' | 'device.joined' | 'device.enrolled' | 'device.revoked'>): Promise<void> {
  return core.serially(() => core.save([event], {}));
}
