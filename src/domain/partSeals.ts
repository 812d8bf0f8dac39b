/**
 * Whether a record came in a part its device signed (docs/security.md#device-signed-parts).
 *
 * Anyone who knows the organisation's public key (the server included) can seal a part, so a
 * part's record counts on the admin's device only when the part was signed by the key an admin
 * signed for the device that made it (src/domain/devices.ts). The signature itself is checked
 * once per part, when the part is read (src/crypto/authority.ts readPart), against the key the
 * part names; the archive then keeps, beside each record, how its part was sealed (a PartSeal),
 * and this module compares that with the device's statements once they are all known, since a
 * device's key may be stated in a part read after its records (its confirmation comes later, or
 * in a later page).
 */
import type { DeviceRegistry, SignedDevice } from './devices.ts';
import type { FootfallEvent } from './events.ts';
import type { Unbound } from './people.ts';
import type { PublicJwk } from './protocol.ts';

/**
 * How the part a record came in was sealed, as the archive keeps it:
 * - `admin`: signed by a certified admin device that uploaded it (it vouches for what it carries);
 * - `key:<x>.<y>`: signed by the device that uploaded it, with this public key;
 * - `none:<receivedAt>`: not signed (a build before device signing), received then ('' when not known).
 * Null: not known (rows kept before device signing, this device's own waiting records, and
 * records a compaction wrote back, all screened when they were first read).
 */
export type PartSeal = string | null;

export const ADMIN_SEAL = 'admin';

export function keySeal(signingKey: PublicJwk): string {
  return `key:${signingKey.x}.${signingKey.y}`;
}

export function unsignedSeal(receivedAt: string | null): string {
  return `none:${receivedAt ?? ''}`;
}

/**
 * Whether a record's part fails its device's statements: signed by a key other than the one they
 * name, or not signed by a device whose statements name a key. A part without a device's signature
 * from a device that named its key only through an admin's later confirmation stands when the
 * endpoint received it before that confirmation (it came from an earlier build). A device whose
 * statements name no key (joined or confirmed by an earlier version) cannot be checked: its parts
 * stand as they did.
 */
export function failsSeal(seal: PartSeal, device: SignedDevice | undefined): boolean {
  if (seal === null || seal === ADMIN_SEAL || !device?.key) return false;
  if (seal.startsWith('key:')) return seal !== keySeal(device.key.signingKey);
  const receivedAt = seal.startsWith('none:') ? seal.slice('none:'.length) : '';
  const before = device.key.unsignedBefore;
  return !(before !== null && receivedAt !== '' && Date.parse(receivedAt) < Date.parse(before));
}

/**
 * The records whose parts hold up against their devices' statements, and per device how many do
 * not (reason `unsigned_part`), shown like every record set aside. `seals[i]` is the seal of
 * `events[i]`'s part (missing: not known).
 */
export function screenSeals(
  events: readonly FootfallEvent[],
  seals: readonly (PartSeal | undefined)[],
  devices: DeviceRegistry,
): { sealed: FootfallEvent[]; unsealed: Unbound[] } {
  const sealed: FootfallEvent[] = [];
  const unsealed = new Map<string, Unbound>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (!failsSeal(seals[i] ?? null, devices.get(e.deviceId))) {
      sealed.push(e);
      continue;
    }
    const had = unsealed.get(e.deviceId);
    if (had) had.events++;
    else unsealed.set(e.deviceId, { deviceId: e.deviceId, reason: 'unsigned_part', events: 1 });
  }
  return { sealed, unsealed: [...unsealed.values()] };
}
