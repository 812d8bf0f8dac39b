/**
 * The organisation's devices as its admins signed them (docs/security.md#devices): what the
 * admin's device binds each record to, never the endpoint's list of devices, which the server
 * could change. A device is the organisation's when a certified admin device signed for it, in one
 * of two ways:
 *
 * - she made an enrolment code (`device.invited`: the role and site she chose, and the digest of a
 *   secret sealed in the code's package), and a device showed the secret (`device.joined`): the
 *   first device to show it is enrolled as the invitation says, from when it joined;
 * - she confirmed a device herself (`device.enrolled`: its role and site).
 *
 * A signed device can then be moved to another site (`device.moved`): from the move on it is at
 * the new site, in the role it had. A move says nothing about a device no admin signed for, and
 * an admin or outreach device has no site to move (admin devices record at any site).
 *
 * A join and a confirmation name the key the device signs its parts with (docs/security.md#device-signed-parts):
 * the latest statement naming one says which (src/domain/partSeals.ts checks parts against it).
 *
 * A revocation (`device.revoked`) is final. Every statement has its time, so a record is bound to
 * the device as it was when the record was made. Only events that passed the authority screen
 * (src/domain/authority.ts) reach this fold: invitations, confirmations and revocations from a
 * certified admin device, a join from the device itself.
 */
import { compareEvents, type EventOf, type FootfallEvent } from './events.ts';
import type { Stamp } from './directory.ts';
import type { PublicJwk, Role } from './protocol.ts';

/** What an admin signed a device as, from when. */
export interface DeviceStatement {
  /** When it took effect (the join, or the confirmation). */
  from: Stamp;
  role: Role;
  /** Its site; null: none (outreach), or any (admin devices). */
  siteKey: string | null;
}

/** The key a device's statements name for its parts, and since when. */
export interface StatedKey {
  signingKey: PublicJwk;
  /** The statement that named it (the latest naming one). */
  from: Stamp;
  /**
   * When a key was first named, if by an admin's confirmation rather than the device's own join:
   * parts without a device's signature received before then are from a build before device
   * signing, and stand as they did. Null when the device named its key at its join: it signed
   * every part it ever sealed, so none may lack a signature.
   */
  unsignedBefore: string | null;
}

export interface SignedDevice {
  /** Oldest first. */
  statements: DeviceStatement[];
  revoked: Stamp | null;
  /** Null when no statement names a key (a device joined or confirmed by an earlier version). */
  key: StatedKey | null;
}

export type DeviceRegistry = ReadonlyMap<string, SignedDevice>;

/**
 * Folds the device events among `events` (others are ignored), whatever their order. `proofChecks`
 * gives the digest of each `device.joined` event's proof, by event id (computed by the caller:
 * src/crypto/enrolmentCode.ts joinProofCheck), so the fold itself stays synchronous.
 */
export function foldDevices(events: Iterable<FootfallEvent>, proofChecks: ReadonlyMap<string, string>): DeviceRegistry {
  const invites = new Map<string, EventOf<'device.invited'>>();
  const joins: EventOf<'device.joined'>[] = [];
  const moves: EventOf<'device.moved'>[] = [];
  const registry = new Map<string, SignedDevice>();
  const device = (id: string) => {
    let d = registry.get(id);
    if (!d) registry.set(id, (d = { statements: [], revoked: null, key: null }));
    return d;
  };
  const firstKeyed = new Map<string, { stamp: Stamp; byJoin: boolean }>();
  const stateKey = (id: string, e: FootfallEvent, signingKey: PublicJwk | undefined, byJoin: boolean) => {
    if (!signingKey) return;
    const d = device(id);
    if (!d.key || compareEvents(d.key.from, e) < 0) d.key = { signingKey, from: stampOf(e), unsignedBefore: null };
    const first = firstKeyed.get(id);
    if (!first || compareEvents(first.stamp, e) > 0) firstKeyed.set(id, { stamp: stampOf(e), byJoin });
  };
  for (const e of events) {
    if (e.type === 'device.invited') invites.set(e.inviteId, e);
    else if (e.type === 'device.joined') joins.push(e);
    else if (e.type === 'device.moved') moves.push(e);
    else if (e.type === 'device.enrolled') {
      device(e.subjectId).statements.push({ from: stampOf(e), role: e.role, siteKey: e.siteKey });
      stateKey(e.subjectId, e, e.signingKey, false);
    }
    else if (e.type === 'device.revoked') {
      const d = device(e.subjectId);
      if (!d.revoked || compareEvents(e, d.revoked) < 0) d.revoked = stampOf(e);
    }
  }
  for (const [j, invite] of matchJoins(invites, joins, proofChecks)) {
    device(j.deviceId).statements.push({ from: stampOf(j), role: invite.role, siteKey: invite.siteKey });
    stateKey(j.deviceId, j, j.signingKey, true);
  }
  for (const [id, d] of registry) {
    d.statements.sort((a, b) => compareEvents(a.from, b.from));
    const first = firstKeyed.get(id);
    if (d.key && first && !first.byJoin) d.key.unsignedBefore = first.stamp.at;
  }
  // Oldest first, so each move keeps the role in force when it was made, a role an earlier move kept included.
  for (const m of moves.sort(compareEvents)) {
    const d = registry.get(m.subjectId);
    const role = d && statementAt(d, m)?.role;
    if (!d || !role || role === 'admin' || role === 'outreach') continue;
    d.statements.push({ from: stampOf(m), role, siteKey: m.siteKey });
    d.statements.sort((a, b) => compareEvents(a.from, b.from));
  }
  return registry;
}

/**
 * The statement in force when `at` was made: the latest from before it, or else the first (a
 * device records before an admin confirms it, and those records count once she does).
 */
export function statementAt(device: SignedDevice, at: Stamp): DeviceStatement | null {
  let found = device.statements[0] ?? null;
  for (const s of device.statements) if (compareEvents(s.from, at) <= 0) found = s;
  return found;
}

/**
 * The invitations among `events` no device has joined with yet, oldest first: on the admin's
 * device, a device the endpoint lists that joined after one of them most likely holds it, and is
 * signed for once its join is read (src/app/admin/signedDevices.ts says so; binding never guesses).
 */
export function openInvitations(events: Iterable<FootfallEvent>, proofChecks: ReadonlyMap<string, string>): EventOf<'device.invited'>[] {
  const invites = new Map<string, EventOf<'device.invited'>>();
  const joins: EventOf<'device.joined'>[] = [];
  for (const e of events) {
    if (e.type === 'device.invited') invites.set(e.inviteId, e);
    else if (e.type === 'device.joined') joins.push(e);
  }
  for (const [, invite] of matchJoins(invites, joins, proofChecks)) invites.delete(invite.inviteId);
  return [...invites.values()].sort(compareEvents);
}

/** One invitation, one device: the first to show its secret. */
function matchJoins(
  invites: ReadonlyMap<string, EventOf<'device.invited'>>,
  joins: EventOf<'device.joined'>[],
  proofChecks: ReadonlyMap<string, string>,
): [EventOf<'device.joined'>, EventOf<'device.invited'>][] {
  const used = new Set<string>();
  const matched: [EventOf<'device.joined'>, EventOf<'device.invited'>][] = [];
  for (const j of [...joins].sort(compareEvents)) {
    const invite = invites.get(j.inviteId);
    if (!invite || used.has(j.inviteId) || proofChecks.get(j.id) !== invite.proofCheck) continue;
    used.add(j.inviteId);
    matched.push([j, invite]);
  }
  return matched;
}

/** The `device.joined` events among `events`: their proofs are what the caller digests for foldDevices. */
export function joinsIn(events: Iterable<FootfallEvent>): EventOf<'device.joined'>[] {
  const joins: EventOf<'device.joined'>[] = [];
  for (const e of events) if (e.type === 'device.joined') joins.push(e);
  return joins;
}

function stampOf(e: FootfallEvent): Stamp {
  return { at: e.at, id: e.id };
}
