/**
 * The one catalogue of what the app tells a person when something cannot be done, by code, as the
 * server keeps its own (src/server/api/errors.ts). Code throws a ClientError with a code and the
 * facts the message needs; screens show its message; tests and callers may branch on the code
 * instead of on the words. Each message says what is wrong and what to do.
 */

/** A server's answer or another error's words, without a closing full stop, to sit inside a sentence. */
const clause = (text: string) => text.replace(/\.$/, '');

export const PROBLEMS = {
  locked: () => 'The app is locked. Unlock it with your PIN and try again.',
  not_set_up: () => 'This device is not set up.',
  no_configuration: () => 'This device has no configuration. Set it up again from the start screen.',
  row_unreadable: (p: { table: string }) =>
    `A stored ${p.table} record could not be decrypted on this device. It has been left untouched; ask your admin.`,
  row_unknown_form: (p: { table: string }) =>
    `A stored ${p.table} record is not in a form this version understands. It has been left untouched; ask your admin.`,
  not_enrolled: () => 'This device is not enrolled with the organisation yet.',
  no_team_key: () => 'This device holds no team key. Enrol it again.',
  event_too_large: (p: { bytes: number }) =>
    `A saved record is too large to upload (${Math.ceil(p.bytes / 1024)} KB). It stays on this device; ask your admin.`,
  /** A checker's own words about what was typed (a PIN, a passphrase, a code). */
  input: (p: { message: string }) => p.message,
  choose_name: () => 'Choose your name first.',
  pin_wait: (p: { wait: string }) => `Too many wrong PINs. Wait ${p.wait} before trying again.`,
  device_held: () => 'This device is locked after too many wrong PINs. An admin must unlock it with her PIN.',
  admin_only: () => 'Only an admin can do this.',
  admin_only_settings: () => 'Only an admin can change settings.',
  admin_only_reports: () => 'Only an admin can open reports.',
  not_the_admin_device: () =>
    'This device takes the organisation’s settings from the admin’s device. Change them there; they reach this device when it syncs.',
  rotation_due: (p: { name: string; reason: string }) =>
    `${p.name} is revoked: the server refuses it from now on. But the team key was not changed${p.reason ? ` (${clause(p.reason)})` : ''}, so it could still read names registered from now on if it reached them. Press “Change the team key” under Devices to try again.`,
  device_revoked: () =>
    'This device has been removed from the organisation, so it takes no new records. Save the records waiting here as a file for your admin (see the sync status).',
  records_file_unreadable: (p: { reason: string }) =>
    `This file cannot be imported: ${clause(p.reason)}. Choose the file saved on the removed device (footfall-records-….json).`,
  records_file_unverified: () =>
    'This records file is not signed by a device the organisation has revoked, so it cannot be imported. Only the file a removed device saves itself can be.',
  records_file_other_org: () => 'This records file belongs to another organisation. Nothing was imported.',
  org_name_missing: () => 'Give the organisation its name, as reports and the recovery kit should show it.',
  admin_uncertified: () =>
    'This admin device is not yet certified by the organisation’s key, so other devices would ignore the change. While online, open Reports with the admin passphrase or the recovery code (close Reports first if they are open), then try again.',
  clock_behind: () =>
    'This device’s clock is behind the settings last shared with the organisation, so the change would be ignored. Set the clock right, then save again.',
  remove_yourself: () => 'You cannot remove yourself. Ask another admin.',
  staff_gone: () => 'That staff member is no longer on this device. Reopen Settings and try again.',
  visit_gone: () => 'That visit is no longer on today’s list. Reopen Today and try again.',
  visit_of_another_day: () => 'It is a new day since this was opened: the visit shown was yesterday’s. Close this and check her in again for today.',
  record_gone: () => 'That record is no longer on today’s list, so it cannot be voided here. Ask your admin.',
  choose_area: () => 'Choose the area where you met her.',
  choose_place: () => 'Choose the kind of place.',
  choose_woman_casework: () => 'Choose the woman: a casework session is always with a known woman.',
  choose_topic: () => 'Choose at least one topic.',
  choose_outcome: () => 'Choose the outcome.',
  choose_void_reason: () => 'Choose a reason for voiding it.',
  enter_date: () => 'Enter the date, or go back to now.',
  enter_time: () => 'Enter the time as HH:MM, or go back to now.',
  time_to_come: () => 'That date and time is still to come. Check the date and the time, then save again.',
  server_said: (p: { what: string; message: string }) => `${p.what}: ${p.message}`,
  not_a_recovery_code: () => 'That is not a recovery code: it has 24 letters and digits, as on the printed kit.',
  not_a_recovery_code_grouped: () => 'That is not a recovery code: it has 24 letters and digits, in groups of four, as on the printed kit.',
  recovery_code_wrong: () => 'That recovery code does not match the kit. Check each group of four against the printed page.',
  rotation_offline: (p: { message: string }) =>
    `The new organisation key was not made: the server did not keep its copies (${clause(p.message)}). Nothing has changed; records are still sealed to the current key. Try again when online.`,
  kit_unproven: () => 'The recovery kit could not be proven to work. Start again.',
  setup_token_needed: () => 'This server needs its set-up token to create an organisation. Ask whoever runs the server for it, type it below and try again.',
  setup_token_wrong: () => 'That is not the set-up token this server expects. Check it with whoever runs the server and type it again.',
  already_set_up: () => 'This device is already set up (perhaps in another tab). Reload the page to unlock it.',
  join_unreachable: (p: { reason: string }) =>
    `This device has not joined: ${clause(p.reason)}. Check it is online and press Continue again. If the code is then refused, the connection dropped after the server took it: ask your admin for a new code (the device it added shows in her list of devices as not seen yet; she can revoke it).`,
  join_unfinished: (p: { name: string; reason: string }) =>
    `This device could not finish joining (${clause(p.reason)}), so nothing was kept on it. Keep this screen open and press “Set my PIN and start” again. If it fails again, or once this screen is closed, the code cannot be used again: ask your admin to revoke “${p.name}” in Settings → Devices and to make a new code.`,
  enrolment_unopened: () => 'The enrolment answer could not be opened with this code. Ask your admin for a new code.',
  enrolment_too_old: () => 'This code was made by an older version of Footfall on the admin’s device. Ask your admin to update Footfall and make a new code.',
  site_set_by_admin: () =>
    'This device’s site is set by the admin. Ask her to move it in Settings on her laptop; it takes the new site when it next syncs.',
  site_unknown: () => 'Choose one of the organisation’s sites. A retired site cannot be chosen.',
  device_has_no_site: () => 'An admin device records at any site and an outreach phone at none: only a front-desk or casework device can be moved.',
  device_name_missing: () => 'Give the device a name, such as "Front desk tablet", so you can tell it apart in the list of devices.',
  person_name_missing: () => 'Enter her name, as colleagues know her.',
  person_roles_missing: () => 'Choose at least one thing she does.',
  person_gone: () => 'She is no longer one of the organisation’s people. Ask your admin.',
  person_not_here: (p: { name: string }) => `${p.name} does not work with this device. Ask your admin to add this device’s work or site to what she does.`,
  no_personal_code: () => 'There is no personal code for you waiting. Ask your admin to make you one.',
  personal_code_expired: () => 'Your personal code has expired. Ask your admin for a new one.',
  personal_code_used: () => 'This personal code has already set your PIN on this device. To change your PIN, unlock and choose "Change my PIN"; if you forgot it, ask your admin for a new code.',
  pin_mismatch: () => 'The two PINs are not the same. Enter them again.',
  pin_wrong: () => 'That is not your current PIN. Try again.',
  passphrase_missing: () => 'Type the organisation passphrase first.',
  org_key_locked: () => 'Unlock the organisation key with the passphrase first.',
  org_key_unfetched: (p: { message: string }) =>
    `The organisation key could not be fetched (${clause(p.message)}). Connect this device to the network once; after that, reports open offline too.`,
  passphrase_wrong: () =>
    'That passphrase did not open the organisation key. Check it (capitals and spaces count) and try again, or use the recovery code.',
  recovery_wrong: () => 'That recovery code did not open the organisation key. Check each group of four against the printed kit and try again.',
  other_org_key: () =>
    'This key is not the key of the organisation this device is enrolled with. Ask the other admins which passphrase belongs to it.',
  no_identity: () => 'This device has no identity. Reload the page.',
  not_admin_enrolled: () =>
    'This device is not enrolled with the organisation yet. Set up the organisation, or enrol this device with a code from another admin, in Settings → Organisation.',
  not_admin_device: () =>
    'Reports open only on a device enrolled as an admin device. Ask an admin to make a one-time code for an Admin device, then enrol this one in Settings → Organisation, or use an admin laptop.',
  archive_unknown_form: () =>
    'The reports archive on this device is not in a form this version understands. Use “Fetch everything again” to rebuild it.',
  archive_unreadable: () =>
    'A stored part of the reports archive could not be decrypted on this device. Use “Fetch everything again” to rebuild it from the server.',
  archive_changed_elsewhere: () =>
    'The reports archive was changed in another window at the same time. Close the other window, then try again.',
  audit_failed: (p: { message: string }) => `The audit log could not be updated: ${p.message}`,
  records_changed: () => 'One of these records has changed meanwhile. Search for them again.',
  merge_same: () => 'Choose two different records to merge.',
  woman_gone: () => 'She is no longer in the directory. Search for her again.',
  confirm_name: (p: { knownAs: string }) => `Type her known-as name, ${p.knownAs}, exactly as shown, to confirm.`,
  org_records_locked: () => 'Open the organisation’s records with the passphrase first: erasing re-seals them.',
  erased_not_compacted: (p: { who: string; what: string; reason: string }) =>
    `${p.who} erased from the directory here, and on every other device as it syncs, but ${p.what} still in the server’s sealed copies. ${p.reason} When the connection is back, use “Finish erasing on the server”.`,
  compaction_unfinished: (p: { reason: string }) => `${p.reason} Try again when the connection is back.`,
  copies_not_cleared: () => 'The server’s copies could not be cleared.',
  no_retention_rule: () => 'No retention rule is set. Set the number of years in the retention rule first.',
  retention_nobody: () => 'The rule applies to no one today: nothing to do.',
  retention_changed: () => 'The retention rule changed since you checked. Check again.',
  compaction_refused: (p: { message: string }) => `The server could not replace the stored records (${clause(p.message)}). Nothing has been lost.`,
  own_records_first: (p: { reason: string | null }) =>
    `This device’s own records must reach the server first, and could not${p.reason ? ` (${clause(p.reason)})` : ''}.`,
  choose_woman_outreach: () => 'Choose the woman: find her, register her as new, or choose Unknown.',
  import_unaudited: (p: { message: string }) =>
    `Nothing was imported: the organisation’s audit log could not be told (${p.message}). Try again when this device is online.`,
  import_unchecked: (p: { reason: string }) => `The file could not be checked against the organisation’s records: ${p.reason}`,
  out_of_space: () => 'Not saved: this device is out of storage space. Free some space and try again. Everything saved before is safe.',
} as const;

export type ProblemCode = keyof typeof PROBLEMS;
type ParamsOf<C extends ProblemCode> = Parameters<(typeof PROBLEMS)[C]>[0];

/** A problem from the catalogue: `code` for code, `message` for the person. */
export class ClientError<C extends ProblemCode = ProblemCode> extends Error {
  readonly code: C;
  constructor(code: C, ...params: ParamsOf<C> extends undefined ? [] : [ParamsOf<C>]) {
    super((PROBLEMS[code] as (p?: unknown) => string)(params[0]));
    this.name = 'ClientError';
    this.code = code;
  }
}

export function isProblem<C extends ProblemCode>(error: unknown, code: C): error is ClientError<C> {
  return error instanceof ClientError && error.code === code;
}

/** What to tell the person about any error: the catalogue's words, storage's own, or a plain fallback. */
export function messageOf(error: unknown): string {
  if (error instanceof Error && error.name === 'QuotaExceededError') return PROBLEMS.out_of_space();
  return error instanceof Error ? error.message : 'Something went wrong. Try again.';
}
