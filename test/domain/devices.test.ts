import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { joinProofCheck, makeJoinProof } from '../../src/crypto/enrolmentCode.ts';
import { foldDevices, joinsIn, statementAt } from '../../src/domain/devices.ts';
import type { EventOf, FootfallEvent } from '../../src/domain/events.ts';
import { generateDeviceKeys, publicJwk } from '../../src/crypto/signing.ts';

const ADMIN = 'admin-laptop';
const grace = uuidv7();
const stamp = (at: string, deviceId = ADMIN) => ({ id: uuidv7(), at, deviceId, staffId: grace });

async function checksOf(events: FootfallEvent[]): Promise<Map<string, string>> {
  return new Map(await Promise.all(joinsIn(events).map(async (j) => [j.id, await joinProofCheck(j.proof)] as const)));
}

describe('the organisation’s devices as admins signed them', () => {
  it('enrols the first device to show an invitation’s secret, as the invitation says, from when it joined', async () => {
    const { proof, check } = await makeJoinProof();
    const inviteId = crypto.randomUUID();
    const invited: EventOf<'device.invited'> = { ...stamp('2026-01-01T09:00:00.000Z'), type: 'device.invited', inviteId, role: 'frontDesk', siteKey: 'drop-in', proofCheck: check };
    const joined: EventOf<'device.joined'> = { ...stamp('2026-01-01T10:00:00.000Z', 'tablet'), type: 'device.joined', inviteId, proof };
    // A second device showing the same secret later, and one that guessed a secret.
    const again: EventOf<'device.joined'> = { ...stamp('2026-01-01T11:00:00.000Z', 'copycat'), type: 'device.joined', inviteId, proof };
    const guessed: EventOf<'device.joined'> = { ...stamp('2026-01-01T09:30:00.000Z', 'guesser'), type: 'device.joined', inviteId, proof: (await makeJoinProof()).proof };
    const events = [invited, joined, again, guessed];
    const checks = await checksOf(events);
    const registry = foldDevices(events, checks);
    expect([...registry.keys()]).toEqual(['tablet']);
    expect(registry.get('tablet')).toEqual({ statements: [{ from: { at: joined.at, id: joined.id }, role: 'frontDesk', siteKey: 'drop-in' }], revoked: null, key: null });
    fc.assert(
      fc.property(fc.shuffledSubarray(events, { minLength: events.length }), (order) => {
        expect(foldDevices(order, checks)).toEqual(registry);
      }),
    );
    // Without the invitation (a server cannot make one), the join proves nothing.
    expect(foldDevices([joined], checks).size).toBe(0);
  });

  it('reads a device as it was when a record was made, and its earliest statement for a record made before any', () => {
    const first: EventOf<'device.enrolled'> = { ...stamp('2026-01-10T09:00:00.000Z'), type: 'device.enrolled', subjectId: 'tablet', role: 'frontDesk', siteKey: 'drop-in' };
    const later: EventOf<'device.enrolled'> = { ...stamp('2026-03-01T09:00:00.000Z'), type: 'device.enrolled', subjectId: 'tablet', role: 'casework', siteKey: 'drop-in' };
    const revocations: EventOf<'device.revoked'>[] = [
      { ...stamp('2026-05-01T09:00:00.000Z'), type: 'device.revoked', subjectId: 'tablet' },
      { ...stamp('2026-04-01T09:00:00.000Z'), type: 'device.revoked', subjectId: 'tablet' },
    ];
    const tablet = foldDevices([later, ...revocations, first], new Map()).get('tablet')!;
    expect(tablet.revoked?.at).toBe('2026-04-01T09:00:00.000Z');
    const at = (when: string) => statementAt(tablet, { at: when, id: uuidv7() })?.role;
    expect(at('2026-01-01T09:00:00.000Z')).toBe('frontDesk');
    expect(at('2026-02-01T09:00:00.000Z')).toBe('frontDesk');
    expect(at('2026-03-02T09:00:00.000Z')).toBe('casework');
  });

  it('moves a signed device to another site from the move on, in the role it had; a move alone signs nothing', () => {
    const enrolled: EventOf<'device.enrolled'> = { ...stamp('2026-01-10T09:00:00.000Z'), type: 'device.enrolled', subjectId: 'tablet', role: 'frontDesk', siteKey: 'drop-in' };
    const moved: EventOf<'device.moved'> = { ...stamp('2026-02-01T09:00:00.000Z'), type: 'device.moved', subjectId: 'tablet', siteKey: 'annexe' };
    const recast: EventOf<'device.enrolled'> = { ...stamp('2026-03-01T09:00:00.000Z'), type: 'device.enrolled', subjectId: 'tablet', role: 'casework', siteKey: 'drop-in' };
    const movedAgain: EventOf<'device.moved'> = { ...stamp('2026-04-01T09:00:00.000Z'), type: 'device.moved', subjectId: 'tablet', siteKey: 'annexe' };
    const stranger: EventOf<'device.moved'> = { ...stamp('2026-02-01T09:00:00.000Z'), type: 'device.moved', subjectId: 'unsigned', siteKey: 'annexe' };
    const laptop: EventOf<'device.enrolled'> = { ...stamp('2026-01-01T09:00:00.000Z'), type: 'device.enrolled', subjectId: ADMIN, role: 'admin', siteKey: null };
    const laptopMoved: EventOf<'device.moved'> = { ...stamp('2026-01-02T09:00:00.000Z'), type: 'device.moved', subjectId: ADMIN, siteKey: 'annexe' };
    const events = [movedAgain, stranger, laptopMoved, moved, recast, enrolled, laptop];
    const registry = foldDevices(events, new Map());
    fc.assert(fc.property(fc.shuffledSubarray(events, { minLength: events.length }), (order) => {
      expect(foldDevices(order, new Map())).toEqual(registry);
    }));
    const tablet = registry.get('tablet')!;
    const at = (when: string) => statementAt(tablet, { at: when, id: uuidv7() });
    expect(at('2026-01-20T09:00:00.000Z')).toMatchObject({ role: 'frontDesk', siteKey: 'drop-in' });
    expect(at('2026-02-02T09:00:00.000Z')).toMatchObject({ role: 'frontDesk', siteKey: 'annexe' });
    expect(at('2026-03-02T09:00:00.000Z')).toMatchObject({ role: 'casework', siteKey: 'drop-in' });
    expect(at('2026-04-02T09:00:00.000Z')).toMatchObject({ role: 'casework', siteKey: 'annexe' });
    expect(registry.has('unsigned')).toBe(false);
    expect(registry.get(ADMIN)!.statements.map((s) => s.siteKey)).toEqual([null]);
  });

  it('takes the key a device signs its parts with from the latest statement naming one', async () => {
    const [own, confirmed] = [await signingKey(), await signingKey()];
    const { proof, check } = await makeJoinProof();
    const inviteId = crypto.randomUUID();
    const invited: EventOf<'device.invited'> = { ...stamp('2026-01-01T09:00:00.000Z'), type: 'device.invited', inviteId, role: 'frontDesk', siteKey: 'drop-in', proofCheck: check };
    const joined: EventOf<'device.joined'> = { ...stamp('2026-01-01T10:00:00.000Z', 'tablet'), type: 'device.joined', inviteId, proof, signingKey: own };
    const events = [invited, joined];
    const checks = await checksOf(events);
    // Named at its join: no part of it may lack a signature.
    expect(foldDevices(events, checks).get('tablet')!.key).toEqual({ signingKey: own, from: { at: joined.at, id: joined.id }, unsignedBefore: null });
    // An admin's later confirmation naming a key decides from then on.
    const confirm: EventOf<'device.enrolled'> = { ...stamp('2026-02-01T09:00:00.000Z'), type: 'device.enrolled', subjectId: 'tablet', role: 'frontDesk', siteKey: 'drop-in', signingKey: confirmed };
    expect(foldDevices([confirm, ...events], checks).get('tablet')!.key?.signingKey).toEqual(confirmed);

    // A device joined with an earlier version names no key; a confirmation naming one later lets its earlier unsigned parts stand.
    const old: EventOf<'device.enrolled'> = { ...stamp('2026-01-05T09:00:00.000Z'), type: 'device.enrolled', subjectId: 'old', role: 'frontDesk', siteKey: null };
    expect(foldDevices([old], new Map()).get('old')!.key).toBeNull();
    const named: EventOf<'device.enrolled'> = { ...old, ...stamp('2026-03-01T09:00:00.000Z'), signingKey: own };
    expect(foldDevices([named, old], new Map()).get('old')!.key).toEqual({ signingKey: own, from: { at: named.at, id: named.id }, unsignedBefore: named.at });
  });
});

async function signingKey() {
  return publicJwk((await generateDeviceKeys()).signing.publicKey);
}
