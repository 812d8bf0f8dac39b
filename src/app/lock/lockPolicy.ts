/**
 * Wrong-PIN rate limiting. A few slips are free; then each wrong PIN doubles a wait; past the
 * limit the device is held until an admin's PIN releases it. Nothing is ever wiped: unsynced
 * records matter more than a locked screen.
 *
 * The wait follows from the number of wrong PINs alone and runs on the page's own monotonic clock
 * from when it first saw that number: no time is stored (a copy of the device would date the last
 * wrong PIN), moving the device's clock shortens nothing, and a page started again, or another tab
 * that finds the count has grown, waits the whole wait again (docs/security.md#lock-policy).
 */
import type { LockState, StaffRow } from '../core/database.ts';

export const FREE_TRIES = 4;
export const HOLD_AFTER = 10;
const FIRST_WAIT_MS = 30_000;
const MAX_WAIT_MS = 15 * 60_000;

export function afterWrongPin(state: LockState): LockState {
  const failures = state.failures + 1;
  return { key: 'lock', failures, held: state.held || failures >= HOLD_AFTER };
}

/** How long `failures` wrong PINs make the next try wait, in ms. */
export function waitAfter(failures: number): number {
  const overFree = failures - FREE_TRIES;
  // The wrong PIN that holds the device starts no wait: the admin called over can try at once.
  // Her own wrong PINs after that wait as before, so a held device is no easier to guess.
  if (overFree <= 0 || failures === HOLD_AFTER) return 0;
  return Math.min(FIRST_WAIT_MS * 2 ** (overFree - 1), MAX_WAIT_MS);
}

/** When this page first saw the device at its present count of wrong PINs, on the page's monotonic clock. */
let seen: { failures: number; at: number } | null = null;

/**
 * Milliseconds before another PIN may be tried; 0 when one may be tried now. `now` is the page's
 * monotonic clock (performance.now()), never the wall clock.
 */
export function waitRemaining(state: LockState, now = performance.now()): number {
  if (seen?.failures !== state.failures) seen = { failures: state.failures, at: now };
  return Math.max(0, waitAfter(state.failures) - (now - seen.at));
}

/** What the lock screen tells the person after a wrong PIN. */
export function wrongPinMessage(state: LockState, now = performance.now()): string {
  if (state.held) {
    return 'Too many wrong PINs. This device stays locked until an admin unlocks it with her PIN. Nothing on it has been deleted.';
  }
  const wait = waitRemaining(state, now);
  if (wait > 0) return `That PIN is not right. Wait ${formatWait(wait)} before trying again.`;
  const left = FREE_TRIES - state.failures;
  if (left <= 0) return 'That PIN is not right. One more wrong PIN and you will have to wait before trying again.';
  return `That PIN is not right. ${left} more ${left === 1 ? 'try' : 'tries'} before a wait.`;
}

export function formatWait(ms: number): string {
  const s = Math.ceil(ms / 1000);
  const [n, unit] = s < 60 ? [s, 'second'] : [Math.ceil(s / 60), 'minute'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** PINs are digits only, 6 to 12 of them, and not a trivial pattern. Returns the problem, or null. */
export function pinProblem(pin: string): string | null {
  if (pin === '') return 'Enter a PIN of 6 to 12 digits.';
  if (!/^\d+$/.test(pin)) return 'A PIN is digits only.';
  if (pin.length < 6) return 'A PIN needs at least 6 digits.';
  if (pin.length > 12) return 'A PIN is at most 12 digits.';
  if (/^(\d)\1+$/.test(pin) || '01234567890123456789'.includes(pin) || '98765432109876543210'.includes(pin)) {
    return 'That PIN is too easy to guess. Avoid repeated or consecutive digits.';
  }
  return null;
}

/** Who may unlock a device held after too many wrong PINs: an admin of the device or of the organisation. */
export function mayRelease(staff: Pick<StaffRow, 'role' | 'orgAdmin'>): boolean {
  return staff.role === 'admin' || staff.orgAdmin === true;
}
