import { describe, expect, it } from 'vitest';
import type { LockState } from '../../src/app/core/database.ts';
import { OPEN_LOCK } from '../../src/app/core/lockSnapshot.ts';
import {
  FREE_TRIES,
  HOLD_AFTER,
  afterWrongPin,
  formatWait,
  pinProblem,
  waitAfter,
  waitRemaining,
  wrongPinMessage,
} from '../../src/app/lock/lockPolicy.ts';

const T0 = 1_000; // the page's monotonic clock, in ms
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** The lock state after each of `n` wrong PINs, each tried as soon as it was allowed. */
function sequence(n: number): { state: LockState; at: number }[] {
  const out: { state: LockState; at: number }[] = [];
  let state = OPEN_LOCK;
  let now = T0;
  for (let i = 0; i < n; i++) {
    now += waitRemaining(state, now) + SECOND;
    state = afterWrongPin(state);
    out.push({ state, at: now });
  }
  return out;
}

describe('afterWrongPin and waitRemaining', () => {
  it('starts open, with no time stored', () => {
    expect(OPEN_LOCK).toEqual({ key: 'lock', failures: 0, held: false });
    expect(waitRemaining(OPEN_LOCK, T0)).toBe(0);
    expect(FREE_TRIES).toBe(4);
    expect(HOLD_AFTER).toBe(10);
  });

  it('gives the first few wrong PINs free, then doubles the wait up to a cap, and holds after 10', () => {
    const steps = sequence(12);
    expect(steps.map(({ state }) => waitAfter(state.failures))).toEqual([
      0,
      0,
      0,
      0,
      30 * SECOND,
      60 * SECOND,
      2 * MINUTE,
      4 * MINUTE,
      8 * MINUTE,
      0, // the tenth holds the device, and the admin called over may try at once
      15 * MINUTE, // her wrong PINs then wait again: 32 minutes, capped
      15 * MINUTE,
    ]);
    expect(steps.map((s) => s.state.failures)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(steps.map((s) => s.state.held)).toEqual([false, false, false, false, false, false, false, false, false, true, true, true]);
    for (const s of steps) expect(Object.keys(s.state).sort()).toEqual(['failures', 'held', 'key']);
  });

  it('counts the wait down on the page’s clock from when the page first saw the count, and never below zero', () => {
    const fifth = afterWrongPin({ key: 'lock', failures: 4, held: false });
    const at = T0 + 10 * MINUTE;
    expect(waitRemaining(fifth, at)).toBe(30 * SECOND);
    expect(waitRemaining(fifth, at + 10 * SECOND)).toBe(20 * SECOND);
    expect(waitRemaining(fifth, at + 30 * SECOND)).toBe(0);
    expect(waitRemaining(fifth, at + 10 * MINUTE)).toBe(0);
  });

  it('waits the whole wait again when it finds the count grown (another tab’s wrong PIN) or sees it first (a page started again)', () => {
    const sixth = afterWrongPin({ key: 'lock', failures: 5, held: false });
    const at = T0 + 30 * MINUTE;
    expect(waitRemaining(sixth, at)).toBe(60 * SECOND);
    const seventh = afterWrongPin(sixth); // tried elsewhere meanwhile
    expect(waitRemaining(seventh, at + 50 * SECOND)).toBe(2 * MINUTE);
  });

  it('stays held once held, whatever the counter says', () => {
    const held: LockState = { key: 'lock', failures: 0, held: true };
    expect(afterWrongPin(held).held).toBe(true);
  });

  it('does not change the state it is given', () => {
    const before = { ...OPEN_LOCK };
    afterWrongPin(OPEN_LOCK);
    expect(OPEN_LOCK).toEqual(before);
  });
});

describe('wrongPinMessage', () => {
  it('says how many tries are left, then how long to wait, then that an admin is needed', () => {
    const messages = sequence(11).map(({ state, at }) => wrongPinMessage(state, at));
    expect(messages[0]).toBe('That PIN is not right. 3 more tries before a wait.');
    expect(messages[1]).toBe('That PIN is not right. 2 more tries before a wait.');
    expect(messages[2]).toBe('That PIN is not right. 1 more try before a wait.');
    expect(messages[3]).toBe('That PIN is not right. One more wrong PIN and you will have to wait before trying again.');
    expect(messages[3]).not.toMatch(/\b0 more/);
    expect(messages[3]).toMatch(/wait/i);
    expect(messages[4]).toBe('That PIN is not right. Wait 30 seconds before trying again.');
    expect(messages[5]).toBe('That PIN is not right. Wait 1 minute before trying again.');
    expect(messages[6]).toBe('That PIN is not right. Wait 2 minutes before trying again.');
    expect(messages[7]).toBe('That PIN is not right. Wait 4 minutes before trying again.');
    expect(messages[8]).toBe('That PIN is not right. Wait 8 minutes before trying again.');
    for (const m of messages.slice(9)) {
      expect(m).toMatch(/until an admin unlocks it/);
      expect(m).toMatch(/Nothing on it has been deleted/);
    }
  });

  it('after a wait has passed, says the PIN was wrong without a wait', () => {
    const fifth = sequence(5)[4]!;
    expect(wrongPinMessage(fifth.state, fifth.at)).toMatch(/Wait 30 seconds/); // said as it was tried
    expect(wrongPinMessage(fifth.state, fifth.at + 31 * SECOND)).toMatch(/^That PIN is not right\./);
    expect(wrongPinMessage(fifth.state, fifth.at + 31 * SECOND)).not.toMatch(/Wait \d/);
  });
});

describe('formatWait', () => {
  it('reads naturally in seconds and minutes, rounding up', () => {
    expect(formatWait(1)).toBe('1 second');
    expect(formatWait(1000)).toBe('1 second');
    expect(formatWait(1001)).toBe('2 seconds');
    expect(formatWait(30_000)).toBe('30 seconds');
    expect(formatWait(59_000)).toBe('59 seconds');
    expect(formatWait(60_000)).toBe('1 minute');
    expect(formatWait(61_000)).toBe('2 minutes');
    expect(formatWait(15 * 60_000)).toBe('15 minutes');
  });
});

describe('pinProblem', () => {
  it('accepts 6 to 12 digits that are not a trivial pattern', () => {
    for (const pin of ['482915', '1928374', '90817263', '271828182845', '102938']) expect(pinProblem(pin)).toBeNull();
  });

  it('refuses anything but digits', () => {
    for (const pin of ['48291a', 'abcdef', '4829 15', ' 482915', '482915\n', '48-29-15', '４８２９１５']) {
      expect(pinProblem(pin)).toBe('A PIN is digits only.');
    }
    expect(pinProblem('')).toBe('Enter a PIN of 6 to 12 digits.');
  });

  it('refuses PINs that are too short or too long', () => {
    expect(pinProblem('48291')).toBe('A PIN needs at least 6 digits.');
    expect(pinProblem('4')).toBe('A PIN needs at least 6 digits.');
    expect(pinProblem('4829154829154')).toBe('A PIN is at most 12 digits.');
  });

  it('refuses repeated and consecutive digits', () => {
    const easy = 'That PIN is too easy to guess. Avoid repeated or consecutive digits.';
    for (const pin of ['111111', '000000', '99999999', '123456', '654321', '012345', '890123', '987654', '1234567890', '210987']) {
      expect(pinProblem(pin), pin).toBe(easy);
    }
  });
});
