/**
 * Joining the organisation: setting it up on the admin's device, joining a device with a
 * one-time code, and revoking one (which rotates the team key for the rest). Whatever the admin's
 * laptop recorded before the organisation existed stays, and is uploaded once it does.
 */
import { z } from 'zod';
import { certifyAdminDevice } from '../../crypto/authority.ts';
import { openPackage, enrolmentKeys, generateEnrolmentCode, parseEnrolmentCode, sealPackage } from '../../crypto/enrolmentCode.ts';
import { exportTeamKey, generateOrgKeyPair, generateTeamKey, importTeamKey, jsonBytes, bytesJson, openWith, sealTo } from '../../crypto/envelope.ts';
import { generateRecoveryCode, normaliseRecoveryCode, passphraseProblem, unwrapOrgKey, wrapOrgKey } from '../../crypto/orgKey.ts';
import { exportDevicePrivateKeys, generateDeviceKeys, publicJwk, type DeviceKeys } from '../../crypto/signing.ts';
import { OrgConfig } from '../../domain/config.ts';
import { Person, peopleFor } from '../../domain/people.ts';
import { PublicJwk, type DeviceSummary, type Role } from '../../domain/protocol.ts';
import { confirmDevice, inviteDevice, showJoined, signRevocation } from '../admin/deviceStatements.ts';
import type { DeviceCore, UnlockedEnrolment } from '../core/core.ts';
import type { Enrolment } from '../core/database.ts';
import { adoptAnnouncedKeys } from '../core/orgKeys.ts';
import { patchEnrolment, readDirectoryAgain, readEnrolment, saveEnrolment } from '../core/device.ts';
import type { TeamKeys } from '../core/rows.ts';
import { refreshStatus } from '../core/syncStatus.ts';
import { ClientError } from '../problems.ts';
import type { DeviceCredentials, Outcome, SyncClient } from './client.ts';

/** What a new device receives, sealed under a key only the one-time code gives. */
const EnrolmentPackage = z.object({
  orgId: z.uuid(),
  orgPublicKey: PublicJwk,
  teamKeys: z.array(z.object({ version: z.number().int().min(1), raw: z.string() })).min(1),
  /** When the organisation began to sign authority (docs/security.md#authority); absent from an admin not yet certified. */
  authoritySince: z.iso.datetime().optional(),
  /** The newest organisation key's signed announcement, once the key has been rotated (checked before it is used). */
  orgKeyAnnouncement: z.string().min(1).max(4096).optional(),
  /**
   * What the admin chose for the device (its name, and its site unless it has none) with the
   * organisation's settings and the people who may use it: the device starts as one of the
   * organisation's. Absent from codes made by an earlier version.
   */
  device: z
    .object({ name: z.string().trim().min(1).max(60), siteKey: z.string().nullable(), config: OrgConfig, people: z.array(Person).max(500) })
    .optional(),
  /**
   * The admin's signed invitation and its secret (docs/security.md#devices): the device shows the
   * secret once joined, and is the organisation's as the invitation says. Absent from earlier codes:
   * the admin confirms such a device in Settings.
   */
  join: z.object({ inviteId: z.uuid(), proof: z.string().regex(/^[A-Za-z0-9_-]{43}$/) }).optional(),
});
type EnrolmentPackage = z.infer<typeof EnrolmentPackage>;

const ENROLMENT_LIFETIME_MS = 24 * 60 * 60_000;

/** Everything made for a new organisation, held until the admin proves she has the recovery kit. */
export interface PendingOrganisation {
  orgId: string;
  recoveryCode: string;
  orgPublicKey: PublicJwk;
  wrappedByPassphrase: string;
  wrappedByRecovery: string;
  teamKey: CryptoKey;
  device: DeviceKeys;
}

/** Step one on the admin's device: keys, the passphrase wrap, and a recovery code to print. */
export async function prepareOrganisation(core: DeviceCore, passphrase: string, confirm: string): Promise<PendingOrganisation> {
  requireAdmin(core);
  const problem = passphraseProblem(passphrase) ?? (passphrase !== confirm ? 'The two passphrases are not the same. Type them again.' : null);
  if (problem) throw new ClientError('input', { message: problem });
  const orgKey = await generateOrgKeyPair();
  const recoveryCode = generateRecoveryCode();
  const [wrappedByPassphrase, wrappedByRecovery, teamKey, device] = await Promise.all([
    wrapOrgKey(orgKey.privateKey, passphrase),
    wrapOrgKey(orgKey.privateKey, normaliseRecoveryCode(recoveryCode)!),
    generateTeamKey(),
    generateDeviceKeys(),
  ]);
  return { orgId: crypto.randomUUID(), recoveryCode, orgPublicKey: orgKey.publicJwk, wrappedByPassphrase, wrappedByRecovery, teamKey, device };
}

/**
 * Step two: the admin types the recovery code back from the printed kit. It must unwrap the
 * organisation's key and open a record sealed to it, or the organisation is not created: a kit
 * that does not work would mean records lost for good.
 */
export async function createOrganisation(
  core: DeviceCore,
  client: SyncClient,
  pending: PendingOrganisation,
  typedRecoveryCode: string,
  setupToken?: string,
): Promise<void> {
  const typed = normaliseRecoveryCode(typedRecoveryCode);
  if (!typed) throw new ClientError('not_a_recovery_code');
  const key = await unwrapOrgKey(pending.wrappedByRecovery, typed);
  if (!key) throw new ClientError('recovery_code_wrong');
  const probe = crypto.randomUUID();
  const opened = bytesJson(await openWith(key, await sealTo(pending.orgPublicKey, jsonBytes(probe))));
  if (opened !== probe) throw new ClientError('kit_unproven');

  const { identity } = core;
  const result = await client.createOrg({
    orgId: pending.orgId,
    orgPublicKey: pending.orgPublicKey,
    adminDevice: await deviceKeysBody(identity.deviceId, identity.deviceName, pending.device),
    wrappedKeys: [
      { id: crypto.randomUUID(), kind: 'passphrase', wrapped: pending.wrappedByPassphrase },
      { id: crypto.randomUUID(), kind: 'recovery', wrapped: pending.wrappedByRecovery },
    ],
  }, setupToken?.trim() || undefined);
  if (result.kind === 'refused' && result.error === 'setup_token_required') throw new ClientError(setupToken ? 'setup_token_wrong' : 'setup_token_needed');
  expectOk(result, 'The organisation could not be created on the server');
  // The organisation's authority starts now: this laptop is its first certified admin device.
  const since = new Date().toISOString();
  const signingKey = await publicJwk(pending.device.signing.publicKey);
  const certificate = await certifyAdminDevice(key, {
    orgId: pending.orgId,
    deviceId: identity.deviceId,
    signingKey,
    issuedAt: since,
    authoritySince: since,
  });
  await joinOrganisation(
    core,
    { orgId: pending.orgId, role: 'admin', orgPublicKey: pending.orgPublicKey, device: pending.device, certificate, authoritySince: since },
    [{ version: 1, raw: await exportTeamKey(pending.teamKey) }],
  );
  // Its own records are bound to a signed statement like every device's (docs/security.md#devices).
  await confirmDevice(core, identity.deviceId, 'admin', null, signingKey);
}

export interface EnrolmentCode {
  code: string;
  expiresAt: string;
  /** Opens the app with the code filled in: for a QR code to scan. The part after # never reaches a server. */
  link: string;
}

/** What the admin chooses for a device she enrols: its name, what it is used for, and its site (none for outreach). */
export interface DevicePlan {
  name: string;
  role: Role;
  siteKey: string | null;
}

/** On the admin's device: a one-time code that joins one device to the organisation, as planned. */
export async function createEnrolmentCode(core: DeviceCore, client: SyncClient, plan: DevicePlan): Promise<EnrolmentCode> {
  requireAdmin(core);
  if (!plan.name.trim()) throw new ClientError('device_name_missing');
  const { enrolment, credentials } = await enrolled(core);
  // The code carries an invitation every device checks for an admin's signature: made on an admin
  // device not yet certified, the device that joins with it would have its records set aside.
  if (!enrolment.certificate) throw new ClientError('admin_uncertified');
  const { role } = plan;
  const siteKey = role === 'outreach' ? null : plan.siteKey;
  const roster = (await core.vault.loadDirectoryState())?.people;
  const code = generateEnrolmentCode();
  const { lookup, packageKey } = await enrolmentKeys(code);
  const teamKeys = await exportTeamKeys(core.teamKeys);
  const expiresAt = new Date(Date.now() + ENROLMENT_LIFETIME_MS).toISOString();
  const join = await inviteDevice(core, role, siteKey);
  const pkg = await sealPackage(packageKey, {
    orgId: enrolment.orgId,
    orgPublicKey: enrolment.orgPublicKey,
    teamKeys,
    ...(enrolment.authoritySince && { authoritySince: enrolment.authoritySince }),
    ...(enrolment.sealingKey && { orgKeyAnnouncement: enrolment.sealingKey.announcement }),
    device: { name: plan.name.trim(), siteKey, config: core.session.config, people: roster ? peopleFor(roster, role, siteKey) : [] },
    join,
  } satisfies EnrolmentPackage);
  expectOk(await client.createEnrolment(credentials, { lookup, role, package: pkg, expiresAt, deviceName: plan.name.trim() }), 'The code could not be registered with the server');
  return { code, expiresAt, link: new URL(`/#enrol=${encodeURIComponent(code)}`, client.baseUrl).href };
}

/**
 * A code claimed for a new device (docs/security.md#joining): the server has enrolled the device's
 * keys, and the package says what the device is and who may use it. Held in memory until the
 * first person sets her PIN (lock/access.ts finishJoin).
 */
export interface JoinOffer {
  deviceId: string;
  role: Role;
  keys: DeviceKeys;
  pkg: EnrolmentPackage & { device: NonNullable<EnrolmentPackage['device']> };
}

/** On a device not yet set up: claims the admin's one-time code and opens what it carries. */
export async function claimJoin(client: SyncClient, typed: string): Promise<JoinOffer> {
  const deviceId = crypto.randomUUID();
  // The server lists it under the name the admin gave it with the code; this one stands only for codes from older apps.
  const claimed = await claimPackage(client, typed, deviceId, 'New device');
  if (!claimed.pkg.device) throw new ClientError('enrolment_too_old');
  return { deviceId, role: claimed.role, keys: claimed.keys, pkg: { ...claimed.pkg, device: claimed.pkg.device } };
}

/** The organisation's keys for a device that has just joined and been set up: from now on it syncs. */
export async function completeJoin(core: DeviceCore, offer: JoinOffer): Promise<void> {
  const { pkg } = offer;
  await joinOrganisation(core, { orgId: pkg.orgId, role: offer.role, orgPublicKey: pkg.orgPublicKey, device: offer.keys, authoritySince: pkg.authoritySince }, pkg.teamKeys);
  // Its first records are sealed to the organisation's newest key, once its signature is checked.
  if (pkg.orgKeyAnnouncement) await adoptAnnouncedKeys(core.keyring, pkg, [pkg.orgKeyAnnouncement]);
  if (pkg.join) await showJoined(core, pkg.join, await publicJwk(offer.keys.signing.publicKey));
}

async function claimPackage(client: SyncClient, typed: string, deviceId: string, deviceName: string): Promise<{ role: Role; keys: DeviceKeys; pkg: EnrolmentPackage }> {
  const parsed = parseEnrolmentCode(typed);
  if (!parsed.ok) throw new ClientError('input', { message: parsed.message });
  const { lookup, packageKey } = await enrolmentKeys(parsed.code);
  const keys = await generateDeviceKeys();
  const claimed = await client.claimEnrolment({ lookup, device: await deviceKeysBody(deviceId, deviceName, keys) });
  // The claim may have reached the server before the connection dropped: the code may be spent.
  if (claimed.kind === 'unreachable') throw new ClientError('join_unreachable', { reason: claimed.message });
  const response = expectOk(claimed, 'This device could not be enrolled');
  try {
    return { role: response.role, keys, pkg: EnrolmentPackage.parse(await openPackage(packageKey, response.package)) };
  } catch {
    throw new ClientError('enrolment_unopened');
  }
}

/** The admin's view of the organisation's devices. */
export async function listDevices(core: DeviceCore, client: SyncClient): Promise<DeviceSummary[]> {
  const { credentials } = await enrolled(core);
  return expectOk(await client.listDevices(credentials), 'The device list could not be fetched').devices;
}

/**
 * Revokes a device: the server refuses it from now on, and a new team key is sealed to every
 * remaining device, so directory entries written from now on are closed to the revoked one. If the
 * new key cannot be shared, the revocation still stands and the change of key is remembered as
 * due: the admin is told plainly, and rotateTeamKey tries again.
 */
export async function revokeDevice(core: DeviceCore, client: SyncClient, deviceId: string, name = 'The device'): Promise<void> {
  requireAdmin(core);
  const { credentials } = await enrolled(core);
  expectOk(await client.revokeDevice(credentials, deviceId), 'The device could not be revoked');
  // The signed revocation, not the endpoint's, decides which of its records count (docs/security.md#devices).
  await signRevocation(core, deviceId);
  await patchEnrolment({ rotationDue: true });
  await rotateTeamKey(core, client).catch((error: unknown) => {
    throw new ClientError('rotation_due', { name, reason: error instanceof Error ? error.message : '' });
  });
}

/** Whether a revocation's change of team key is still due on this admin device. */
export async function rotationDue(): Promise<boolean> {
  return Boolean((await readEnrolment())?.rotationDue);
}

/** Makes the next team key, seals it to every device not revoked, and shares it. */
export async function rotateTeamKey(core: DeviceCore, client: SyncClient): Promise<void> {
  requireAdmin(core);
  const { credentials } = await enrolled(core);
  // A try cut short after the server stored its key left that version there: take it first, so
  // the next version is new to every device (a version is never given two keys).
  await receiveTeamKeys(client, core, { required: true });
  const version = Math.max(0, ...core.teamKeys.keys()) + 1;
  const key = await generateTeamKey();
  const raw = await exportTeamKey(key);
  const devices = (await listDevices(core, client)).filter((d) => !d.revokedAt);
  const envelopes = await Promise.all(
    devices.map(async (d) => ({ deviceId: d.deviceId, sealed: await sealTo(d.encryptionKey, jsonBytes({ version, raw })) })),
  );
  expectOk(await client.putTeamKeys(credentials, { version, envelopes }), 'The new team key could not be shared');
  await core.saveTeamKeys(new Map(core.teamKeys).set(version, key));
  await patchEnrolment({ rotationDue: false });
  // Every device listed has every key now; one that joins later with an older code does not.
  await core.keepTeamKeysShared(devices.map((d) => d.deviceId), { changed: true });
}

/** How often an admin device's rounds look for devices that lack a team key (a request for the device list). */
const SHARING_CHECK_MS = 5 * 60_000;
const sharingChecked = new WeakMap<DeviceCore, number>();

/**
 * On an admin device, from its sync rounds (every few minutes at most): seals every team key it
 * holds to each device not revoked that has not been given them since the key last changed
 * (docs/security.md#revocation-and-team-key-rotation). A device that joins with a code made before
 * a revocation holds only the keys its package carried, and without this would never open what
 * the organisation shares after it: a removal, an erasure, a woman registered elsewhere.
 */
export async function shareTeamKeys(core: DeviceCore, client: SyncClient): Promise<void> {
  const now = Date.now();
  if (now - (sharingChecked.get(core) ?? -Infinity) < SHARING_CHECK_MS) return;
  sharingChecked.set(core, now);
  const { enrolment, credentials } = await enrolled(core);
  if (enrolment.role !== 'admin' || !core.isAdmin) return;
  const shared = await core.teamKeysSharedWith();
  const lacking = (await listDevices(core, client)).filter((d) => !d.revokedAt && !shared.has(d.deviceId) && d.deviceId !== credentials.deviceId);
  if (!lacking.length) return;
  for (const [version, key] of core.teamKeys) {
    const raw = await exportTeamKey(key);
    const envelopes = await Promise.all(lacking.map(async (d) => ({ deviceId: d.deviceId, sealed: await sealTo(d.encryptionKey, jsonBytes({ version, raw })) })));
    expectOk(await client.putTeamKeys(credentials, { version, envelopes }), 'The team keys could not be shared');
  }
  await core.keepTeamKeysShared(lacking.map((d) => d.deviceId));
}

/**
 * On every device, each sync: picks up team keys issued since (after a revocation). True when one
 * came. A round goes on without them; `required` throws instead, for a step that must know them all.
 */
export async function receiveTeamKeys(client: SyncClient, core: DeviceCore, { required = false } = {}): Promise<boolean> {
  const { enrolment, credentials } = await enrolled(core);
  const outcome = await client.teamKeys(credentials);
  if (outcome.kind !== 'ok') {
    if (required) expectOk(outcome, 'The team keys could not be fetched');
    return false;
  }
  const held = core.teamKeys;
  const fresh = new Map(held);
  for (const { version, sealed } of outcome.value.envelopes) {
    if (held.has(version)) continue;
    const opened = z.object({ version: z.number().int(), raw: z.string() }).parse(bytesJson(await openWith(core.deviceKeys().encryption, sealed)));
    fresh.set(opened.version, await importTeamKey(opened.raw));
  }
  if (fresh.size === held.size) return false;
  await core.saveTeamKeys(fresh);
  await readDirectoryAgain();
  return true;
}

interface Member {
  orgId: string;
  role: Role;
  orgPublicKey: PublicJwk;
  device: DeviceKeys;
  certificate?: string;
  authoritySince?: string | undefined;
}

async function joinOrganisation(core: DeviceCore, member: Member, teamKeys: TeamKeys['keys']): Promise<void> {
  const enrolment: Enrolment = {
    key: 'enrolment',
    orgId: member.orgId,
    role: member.role,
    orgPublicKey: member.orgPublicKey,
    signingPublicKey: await publicJwk(member.device.signing.publicKey),
  };
  // The private keys are sealed before the enrolment that needs them is written.
  await core.saveDeviceKeys(await exportDevicePrivateKeys(member.device));
  await core.saveTeamKeys(new Map(await Promise.all(teamKeys.map(async (k) => [k.version, await importTeamKey(k.raw)] as const))));
  // Sealed: the certificate carries its issue time (docs/security.md#what-a-copy-of-a-locked-device-shows).
  // Batches are numbered from 0, and everything recorded before enrolment is sealed and uploaded too.
  await core.keepAuthority({ ...(member.certificate && { certificate: member.certificate }), ...(member.authoritySince && { authoritySince: member.authoritySince }) });
  await saveEnrolment(enrolment);
  await refreshStatus();
}

async function exportTeamKeys(keys: ReadonlyMap<number, CryptoKey>): Promise<TeamKeys['keys']> {
  return Promise.all([...keys].sort(([a], [b]) => a - b).map(async ([version, key]) => ({ version, raw: await exportTeamKey(key) })));
}

async function deviceKeysBody(deviceId: string, name: string, keys: DeviceKeys) {
  return { deviceId, name, signingKey: await publicJwk(keys.signing.publicKey), encryptionKey: await publicJwk(keys.encryption.publicKey) };
}

async function enrolled(core: DeviceCore): Promise<{ enrolment: UnlockedEnrolment; credentials: DeviceCredentials }> {
  const enrolment = await core.enrolment();
  if (!enrolment) throw new ClientError('not_enrolled');
  return { enrolment, credentials: { orgId: enrolment.orgId, deviceId: core.identity.deviceId, signingKey: core.deviceKeys().signing } };
}

function requireAdmin(core: DeviceCore): void {
  if (!core.isAdmin) throw new ClientError('admin_only');
}

function expectOk<T>(outcome: Outcome<T>, what: string): T {
  if (outcome.kind === 'ok') return outcome.value;
  throw new ClientError('server_said', { what, message: outcome.message });
}
