/**
 * What each staff member sees. Her role decides her modes: a volunteer at the desk is not shown
 * outreach records, an outreach worker is not shown the check-in desk, and only an admin sees
 * reports and settings.
 */
import type { Role } from './core/database.ts';

export type Mode = 'checkIn' | 'today' | 'outreach' | 'casework' | 'reports' | 'import' | 'care' | 'settings';

export const MODE_LABELS: Record<Mode, string> = {
  checkIn: 'Check in',
  today: 'Today',
  outreach: 'Outreach',
  casework: 'Casework',
  reports: 'Reports',
  import: 'Import',
  care: 'Women’s records',
  settings: 'Settings',
};

export const ROLE_LABELS: Record<Role, string> = {
  frontDesk: 'Front desk',
  outreach: 'Outreach',
  casework: 'Casework',
  admin: 'Admin',
};

const MODES: Record<Role, Mode[]> = {
  frontDesk: ['checkIn', 'today'],
  outreach: ['outreach'],
  casework: ['casework'],
  admin: ['checkIn', 'today', 'outreach', 'casework', 'reports', 'import', 'care', 'settings'],
};

/**
 * Import and data care (merging, erasing) change the organisation's records, checked against its
 * archive, which only the organisation's admin device holds.
 */
const ADMIN_DEVICE_ONLY: readonly Mode[] = ['import', 'care'];

/** The modes a role sees, in the order of the tabs; the first is where she starts. */
export function modesFor(role: Role, onAdminDevice = false): readonly Mode[] {
  return onAdminDevice ? MODES[role] : MODES[role].filter((mode) => !ADMIN_DEVICE_ONLY.includes(mode));
}
