/**
 * Reports open only on an admin device: one the organisation enrolled as an admin's, with an
 * admin signed in. What the screens say when that is not so, and the signed credentials when it is.
 */
import type { DeviceCore } from '../core/core.ts';
import type { UnlockedEnrolment } from '../core/core.ts';
import { ClientError, PROBLEMS } from '../problems.ts';
import type { DeviceCredentials, SyncClient } from '../sync/client.ts';

export interface AdminDevice {
  enrolment: UnlockedEnrolment;
  credentials: DeviceCredentials;
}

export const NOT_ENROLLED_MESSAGE = PROBLEMS.not_admin_enrolled();
export const NOT_ADMIN_DEVICE_MESSAGE = PROBLEMS.not_admin_device();

/** The enrolment and signed credentials of this admin device; throws a message for the admin otherwise. */
export async function adminDevice(core: DeviceCore): Promise<AdminDevice> {
  if (!core.isAdmin) throw new ClientError('admin_only_reports');
  const enrolment = await core.enrolment();
  if (!enrolment) throw new ClientError('not_admin_enrolled');
  if (enrolment.role !== 'admin') throw new ClientError('not_admin_device');
  return { enrolment, credentials: { orgId: enrolment.orgId, deviceId: core.identity.deviceId, signingKey: core.deviceKeys().signing } };
}

/**
 * The same, for a change that binds every device (settings, a merge, an erasure): it carries
 * authority only when this device holds its admin certificate (docs/security.md#authority).
 */
export async function certifiedAdminDevice(core: DeviceCore): Promise<AdminDevice> {
  const admin = await adminDevice(core);
  if (!admin.enrolment.certificate) throw new ClientError('admin_uncertified');
  return admin;
}

/** The app's own client for this origin, loaded when first needed (tests pass their own). */
export async function defaultClient(): Promise<SyncClient> {
  return (await import('../sync/runtime.ts')).syncClient;
}
