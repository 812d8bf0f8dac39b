import { describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import type { SignedDevice } from '../../src/domain/devices.ts';
import type { EventOf } from '../../src/domain/events.ts';
import { ADMIN_SEAL, failsSeal, keySeal, screenSeals, unsignedSeal } from '../../src/domain/partSeals.ts';
import type { PublicJwk } from '../../src/domain/protocol.ts';

const key = (c: string): PublicJwk => ({ kty: 'EC', crv: 'P-256', x: c.repeat(43), y: c.repeat(43) });
const OWN = key('a');
const OTHER = key('b');
const CONFIRMED_AT = '2026-03-01T09:00:00.000Z';

function device(k: PublicJwk | null, unsignedBefore: string | null = null): SignedDevice {
  return { statements: [], revoked: null, key: k && { signingKey: k, from: { at: CONFIRMED_AT, id: uuidv7() }, unsignedBefore } };
}

describe('a record’s part against its device’s statements', () => {
  it('stands when signed with the key the statements name, and fails with any other', () => {
    expect(failsSeal(keySeal(OWN), device(OWN))).toBe(false);
    expect(failsSeal(keySeal(OTHER), device(OWN))).toBe(true);
  });

  it('fails without a signature once the device named its key at its join', () => {
    expect(failsSeal(unsignedSeal('2026-01-01T09:00:00.000Z'), device(OWN))).toBe(true);
    expect(failsSeal(unsignedSeal(null), device(OWN))).toBe(true);
  });

  it('lets an unsigned part stand when received before an admin first named the key, not after or when not known', () => {
    const old = device(OWN, CONFIRMED_AT);
    expect(failsSeal(unsignedSeal('2026-02-28T09:00:00.000Z'), old)).toBe(false);
    expect(failsSeal(unsignedSeal('2026-03-01T09:00:01.000Z'), old)).toBe(true);
    expect(failsSeal(unsignedSeal(null), old)).toBe(true);
    expect(failsSeal(keySeal(OTHER), old)).toBe(true);
  });

  it('cannot check a device whose statements name no key, an admin’s part, or a record whose seal is not known', () => {
    expect(failsSeal(unsignedSeal(null), device(null))).toBe(false);
    expect(failsSeal(keySeal(OTHER), device(null))).toBe(false);
    expect(failsSeal(keySeal(OTHER), undefined)).toBe(false);
    expect(failsSeal(ADMIN_SEAL, device(OWN))).toBe(false);
    expect(failsSeal(null, device(OWN))).toBe(false);
  });

  it('sets aside per device what fails, keeping the rest in order', () => {
    const visit = (deviceId: string): EventOf<'visit.checkedIn'> => ({
      id: uuidv7(),
      at: '2026-04-01T09:00:00.000Z',
      deviceId,
      staffId: uuidv7(),
      type: 'visit.checkedIn',
      occurredAt: '2026-04-01T09:00:00.000Z',
      womanId: null,
      siteId: 'drop-in',
      services: ['meal'],
    });
    const [honest, forged, unknown] = [visit('tablet'), visit('tablet'), visit('tablet')];
    const { sealed, unsealed } = screenSeals([honest, forged, unknown], [keySeal(OWN), keySeal(OTHER)], new Map([['tablet', device(OWN)]]));
    expect(sealed).toEqual([honest, unknown]);
    expect(unsealed).toEqual([{ deviceId: 'tablet', reason: 'unsigned_part', events: 1 }]);
  });
});
