/**
 * Reports open only on an admin device: one the organisation enrolled as an admin's, with an
 * admin signed in. What the screens say when that is not so, and the signed credentials when it is.
 */
import type { Enrolment } from '../core/database.ts';
import { requireSession, useFootfall } from '../store.ts';
import type { DeviceCredentials, SyncClient } from '../sync/client.ts';
import { readEnrolment } from '../sync/engine.ts';

export interface AdminDevice {
  enrolment: Enrolment;
  credentials: DeviceCredentials;
}

export const NOT_ENROLLED_MESSAGE =
  'This device is not enrolled with the organisation yet. Set up the organisation, or enrol this device with a code from another admin, in Settings → Organisation.';
export const NOT_ADMIN_DEVICE_MESSAGE =
  'Reports open only on a device enrolled as an admin device. Ask an admin to make a one-time code for an Admin device, then enrol this one in Settings → Organisation, or use an admin laptop.';

/** The enrolment and signed credentials of this admin device; throws a message for the admin otherwise. */
export async function adminDevice(): Promise<AdminDevice> {
  const session = requireSession();
  if (session.staff.role !== 'admin') throw new Error('Only an admin can open reports.');
  const enrolment = await readEnrolment(session.vault.db);
  if (!enrolment) throw new Error(NOT_ENROLLED_MESSAGE);
  if (enrolment.role !== 'admin') throw new Error(NOT_ADMIN_DEVICE_MESSAGE);
  const deviceId = useFootfall.getState().identity?.deviceId;
  if (!deviceId) throw new Error('This device has no identity. Reload the page.');
  return { enrolment, credentials: { orgId: enrolment.orgId, deviceId, signingKey: enrolment.signingKey } };
}

/** The app's own client for this origin, loaded when first needed (tests pass their own). */
export async function defaultClient(): Promise<SyncClient> {
  return (await import('../sync/runtime.ts')).syncClient;
}
