/**
 * What an admin changes in Settings: the organisation's configuration, this device's staff, its
 * site and whether it holds its uploads. Each is handed the device core.
 */
import { wrapRoot } from '../../crypto/keyring.ts';
import type { OrgConfig } from '../../domain/config.ts';
import type { EventOf } from '../../domain/events.ts';
import type { DeviceCore } from '../core/core.ts';
import type { Role, StaffRow } from '../core/database.ts';
import { readEnrolment, removedRow, saveStaff, staffMember } from '../core/device.ts';
import { refreshStatus } from '../core/syncStatus.ts';
import { chooseUploadHold } from '../core/uploadHold.ts';
import { pinProblem } from '../lock/lockPolicy.ts';
import { ClientError, PROBLEMS } from '../problems.ts';
import { timelessPersonId } from '../../crypto/ids.ts';

export const NOT_THE_ADMIN_DEVICE = PROBLEMS.not_the_admin_device();

/**
 * Saves the organisation's configuration. On the organisation's admin device it is also shared:
 * an org.configured event reaches every enrolled device, where the newest one wins. Another
 * enrolled device takes its lists from the organisation, so they are not changed there.
 */
export function saveConfig(core: DeviceCore, config: OrgConfig): Promise<void> {
  return core.serially(async () => {
    requireAdmin(core);
    if (!(await readEnrolment())) return core.saveConfig(config);
    await requireCertifiedAdmin(core);
    const event: EventOf<'org.configured'> = { ...core.stamp(), type: 'org.configured', config };
    await core.foldDirectory([event], [event], (result) => {
      // Latest wins everywhere: a save stamped before the settings already shared would be ignored.
      if (result.state.configChange?.id !== event.id) throw new ClientError('clock_behind');
    });
  });
}

/** Changes that bind every device are made only on a certified admin device (docs/security.md#authority). */
export async function requireCertifiedAdmin(core: DeviceCore): Promise<void> {
  requireAdmin(core);
  const enrolment = await core.enrolment();
  if (!enrolment) throw new ClientError('not_enrolled');
  if (enrolment.role !== 'admin') throw new ClientError('not_the_admin_device');
  if (!enrolment.certificate) throw new ClientError('admin_uncertified');
}

export async function addStaff(core: DeviceCore, name: string, role: Role, pin: string): Promise<void> {
  requireAdmin(core);
  checkPin(pin);
  const id = timelessPersonId();
  await saveStaff({ id, name: name.trim(), role, wrappedRoot: await wrapRoot(core.keyring, pin, id) });
}

/** Her PIN stops working on this device at once; what she recorded stays. */
export async function removeStaff(core: DeviceCore, staffId: string): Promise<void> {
  requireAdmin(core);
  if (staffId === core.staff.id) throw new ClientError('remove_yourself');
  const staff = await staffMember(staffId);
  if (!staff) return;
  await saveStaff(removedRow(staff));
}

/**
 * An admin sets a new PIN for a staff member who forgot hers: the device's keys are wrapped
 * again under the new PIN, replacing the old wrap, so the old PIN stops working at once.
 */
export async function resetPin(core: DeviceCore, staffId: string, pin: string): Promise<void> {
  requireAdmin(core);
  checkPin(pin);
  const staff = await staffMember(staffId);
  if (!staff || staff.removed) throw new ClientError('staff_gone');
  const next: StaffRow = { ...staff, wrappedRoot: await wrapRoot(core.keyring, pin, staff.id) };
  await saveStaff(next);
}

/**
 * Chooses this device's site, on a device whose site is its own to choose: one not enrolled yet,
 * or an admin device (which records at any site). A joined front-desk or casework device is at the
 * site the admin signed for it, and takes a new one only when she moves it (docs/security.md#devices).
 */
export async function setDeviceSite(core: DeviceCore, siteKey: string): Promise<void> {
  const enrolment = await readEnrolment();
  if (enrolment && enrolment.role !== 'admin') throw new ClientError('site_set_by_admin');
  requireAdmin(core);
  await core.moveToSite(siteKey);
}

/**
 * Whether this device holds what it has to send for a random time (docs/sync.md#held-uploads).
 * A device choice, kept on the device: each phone is its own admin's to set.
 */
export async function setUploadHold(core: DeviceCore, on: boolean): Promise<void> {
  requireAdmin(core);
  await chooseUploadHold(on);
  await refreshStatus();
}

function requireAdmin(core: DeviceCore): void {
  if (!core.isAdmin) throw new ClientError('admin_only_settings');
}

function checkPin(pin: string): void {
  const problem = pinProblem(pin);
  if (problem) throw new ClientError('input', { message: problem });
}
