/**
 * Held uploads as the device core keeps them (docs/sync.md#held-uploads): on by default on an
 * outreach phone only, a random time between 5 and 30 minutes drawn once something waits and kept
 * for the saves that follow, due at once when someone asks to send now, dropped once sent.
 */
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import { readEnrolment } from '../../src/app/core/device.ts';
import { allBatches, recordRefusal } from '../../src/app/core/outbox.ts';
import { chooseUploadHold, HOLD_MAX_MS, HOLD_MIN_MS, readUploadHold, settleUploadHold } from '../../src/app/core/uploadHold.ts';
import { registerWoman } from '../../src/app/directory/directoryActions.ts';
import { generateTeamKey } from '../../src/crypto/envelope.ts';
import type { FootfallDb } from '../../src/app/core/database.ts';
import { enrolAs } from './careFixtures.ts';
import { core, setUpFresh } from './helpers.ts';

const NOW = Date.parse('2026-03-02T10:00:00Z');
let db: FootfallDb;

beforeEach(async () => {
  db = await setUpFresh('hold');
});

async function outreachPhone(): Promise<void> {
  await enrolAs(db, 'outreach');
  await core().saveTeamKeys(new Map([[1, await generateTeamKey()]]));
}

describe('held uploads', () => {
  it('are on by default on an outreach phone only, and follow the choice made in Settings', async () => {
    expect(await readUploadHold()).toEqual({ on: false, chosen: null, sendAfter: null }); // not enrolled
    await enrolAs(db, 'frontDesk');
    expect((await readUploadHold()).on).toBe(false);
    await chooseUploadHold(true);
    expect(await readUploadHold()).toMatchObject({ on: true, chosen: true });

    db = await setUpFresh('hold-phone');
    await outreachPhone();
    expect(await readUploadHold()).toEqual({ on: true, chosen: null, sendAfter: null });
    await chooseUploadHold(false);
    expect(await readUploadHold()).toEqual({ on: false, chosen: false, sendAfter: null });
  });

  it('draw a time between 5 and 30 minutes once something waits, kept for the saves that follow', async () => {
    await outreachPhone();
    expect((await settleUploadHold('check', () => 0.5, NOW)).sendAfter).toBeNull(); // nothing waits

    await registerWoman(core(), 'Rosa', {});
    expect((await settleUploadHold('check', () => 0, NOW)).sendAfter).toBe(NOW + HOLD_MIN_MS);
    await registerWoman(core(), 'Amira', {});
    // Another save, another round, later: the time drawn first stands.
    expect((await settleUploadHold('check', () => 0.99, NOW + 60_000)).sendAfter).toBe(NOW + HOLD_MIN_MS);
    expect((await readUploadHold()).sendAfter).toBe(NOW + HOLD_MIN_MS);
    expect(HOLD_MIN_MS).toBe(5 * 60_000);

    // Sent, but something saved meanwhile still waits: it gets a time of its own.
    const later = NOW + HOLD_MIN_MS;
    expect((await settleUploadHold('sent', () => 1, later)).sendAfter).toBe(later + HOLD_MAX_MS);
    expect(HOLD_MAX_MS).toBe(30 * 60_000);
  });

  it('on a page started again, draw from when the oldest waiting record was made: days-old records are due at once', async () => {
    await outreachPhone();
    await registerWoman(core(), 'Rosa', {});
    await chooseUploadHold(false); // the page's time dropped, as in a page started again
    await chooseUploadHold(true);
    expect((await readUploadHold()).sendAfter).toBeNull(); // nothing stored: a new page knows no time
    const twoDaysAgo = new Date(NOW - 2 * 24 * 60 * 60_000).toISOString();
    const hold = await settleUploadHold('check', () => 0.5, NOW, async () => twoDaysAgo);
    expect(hold.sendAfter).toBe(Date.parse(twoDaysAgo) + HOLD_MIN_MS + 0.5 * (HOLD_MAX_MS - HOLD_MIN_MS));
    expect(hold.sendAfter!).toBeLessThan(NOW); // due now, no new wait
    expect(await db.device.get('uploadHold')).toEqual({ key: 'uploadHold', chosen: true });
  });

  it('on a page started locked, draw from now, then again from the oldest record once someone unlocks: earlier only', async () => {
    await outreachPhone();
    await registerWoman(core(), 'Rosa', {});
    await chooseUploadHold(false); // a page started again
    await chooseUploadHold(true);
    const locked = async () => null; // when the oldest record was made is sealed: unknown until unlocked
    expect((await settleUploadHold('check', () => 0, NOW, locked)).sendAfter).toBe(NOW + HOLD_MIN_MS);
    expect((await settleUploadHold('check', () => 0.99, NOW + 1_000, locked)).sendAfter).toBe(NOW + HOLD_MIN_MS);

    // Unlocked: the records were made two days ago, and are due at once.
    const twoDaysAgo = new Date(NOW - 2 * 24 * 60 * 60_000).toISOString();
    const unlocked = await settleUploadHold('check', () => 0.5, NOW + 2_000, async () => twoDaysAgo);
    expect(unlocked.sendAfter).toBe(Date.parse(twoDaysAgo) + HOLD_MIN_MS + 0.5 * (HOLD_MAX_MS - HOLD_MIN_MS));
    // Drawn from the oldest record, the time then stands like any other.
    expect((await settleUploadHold('check', () => 0, NOW + 3_000, async () => new Date(NOW).toISOString())).sendAfter).toBe(unlocked.sendAfter);

    // Sent, and the page locked again with a record made a minute ago: a blind draw is never moved later.
    await settleUploadHold('sent', () => 0, NOW + 4_000, locked);
    expect((await settleUploadHold('check', () => 0.5, NOW + 5_000, locked)).sendAfter).toBe(NOW + 4_000 + HOLD_MIN_MS);
    const aMinuteAgo = new Date(NOW + 5_000 - 60_000).toISOString();
    expect((await settleUploadHold('check', () => 0.99, NOW + 6_000, async () => aMinuteAgo)).sendAfter).toBe(NOW + 4_000 + HOLD_MIN_MS);
  });

  it('are due at once when someone asks to send now, and dropped when switched off', async () => {
    await outreachPhone();
    await registerWoman(core(), 'Rosa', {});
    await settleUploadHold('check', () => 0.5, NOW);
    expect((await settleUploadHold('sendNow', () => 0.5, NOW + 1_000)).sendAfter).toBe(NOW + 1_000);

    await chooseUploadHold(false);
    expect((await readUploadHold()).sendAfter).toBeNull();
    expect((await settleUploadHold('check', () => 0.5, NOW + 2_000)).sendAfter).toBeNull();
  });

  it('hold a sealed batch waiting for the server, but not one set aside, which no round sends', async () => {
    await outreachPhone();
    await registerWoman(core(), 'Rosa', {});
    await core().sealWaiting((await readEnrolment())!);
    expect((await settleUploadHold('check', () => 0, NOW)).sendAfter).toBe(NOW + HOLD_MIN_MS);

    const [batch] = await allBatches();
    await recordRefusal(batch!, 'refused', true);
    expect((await settleUploadHold('check', () => 0, NOW + 1_000)).sendAfter).toBeNull();
  });
});
