/**
 * The organisation's private keys on the admin's device, for reports: the first, and each made by
 * a rotation since (docs/security.md#rotating-the-organisation-key).
 *
 * The server keeps wrapped copies of each (one per admin passphrase, one per recovery code), which
 * only an admin device may fetch. A copy of those wrapped copies is kept sealed at rest on the
 * device, so reports open offline next time. Unwrapped, the key is imported non-extractable and
 * held in memory only: it is dropped the moment the app locks, and never written anywhere.
 */
import { useSyncExternalStore } from 'react';
import { z } from 'zod';
import { certifyAdminDevice, isKeyPair } from '../../crypto/authority.ts';
import { normaliseRecoveryCode } from '../../crypto/orgKey.ts';
import { keyId, openOnly, unwrapEach, type OrgKeyring } from '../../crypto/orgKeyring.ts';
import { WrappedOrgKey } from '../../domain/protocol.ts';
import type { DeviceCore } from '../core/core.ts';
import type { Enrolment } from '../core/database.ts';
import { patchEnrolment, readEnrolment } from '../core/device.ts';
import { ClientError } from '../problems.ts';
import type { SyncClient } from '../sync/client.ts';
import { adminDevice, defaultClient, type AdminDevice } from './adminDevice.ts';
import { confirmDevice } from './deviceStatements.ts';

export type Secret = 'passphrase' | 'recovery';

const STORED_ID = 'adminKeys';
const StoredCopies = z.object({ orgId: z.uuid(), keys: z.array(WrappedOrgKey) });
type StoredCopies = z.infer<typeof StoredCopies>;

/** The organisation's key while it is unlocked on this device, for screens: they re-render when it comes or goes. */
export function useOrgKey(core: DeviceCore): OrgKeyring | null {
  return useSyncExternalStore(
    (listener) => core.onOrgKeyChange(listener),
    () => core.orgKeys,
  );
}

/** Drops the key from memory (the screen's "Close reports"; locking does it too). */
export function forgetOrgKey(core: DeviceCore): void {
  core.holdOrgKeys(null);
}

// ---------------------------------------------------------------------------------------------
// Unlocking

/**
 * Unwraps the organisation's keys (the first, and each made by a rotation since) with a passphrase
 * or recovery code and holds them in memory. Tries the copies kept on this device first, then the
 * server's when those lack a key (a passphrase added, or a key rotated, since). Throws a message
 * for the admin when the secret is wrong or the copies cannot be had; nothing is changed or lost
 * by a wrong attempt.
 */
export async function unlockOrgKey(core: DeviceCore, secret: string, kind: Secret, client?: SyncClient): Promise<void> {
  const api = client ?? (await defaultClient());
  const { enrolment, keys } = await unwrapOrgKeys(core, secret, kind, api);
  const firstKid = await keyId(enrolment.orgPublicKey);
  const held = await openOnly(keys, firstKid);
  if (!held) throw new ClientError('other_org_key');
  if (!enrolment.certificate) await certifyThisDevice(core, api, enrolment, keys.get(firstKid)!);
  // The app may have locked while the keys were being unwrapped: the core refuses them once closed.
  core.holdOrgKeys(held);
}

/**
 * Every organisation key a secret opens, extractable (to sign, or to be wrapped again): the
 * copies kept on this device, then the server's when those lack the first key or the newest.
 * Throws when the secret opens none.
 */
export async function unwrapOrgKeys(core: DeviceCore, secret: string, kind: Secret, api: SyncClient): Promise<AdminDevice & { keys: Map<string, CryptoKey> }> {
  const typed = kind === 'recovery' ? normaliseRecoveryCode(secret) : secret;
  if (kind === 'recovery' && !typed) throw new ClientError('not_a_recovery_code_grouped');
  if (!typed) throw new ClientError('passphrase_missing');
  const admin = await adminDevice(core);
  const { enrolment, credentials } = admin;
  const wanted = [await keyId(enrolment.orgPublicKey), ...(enrolment.sealingKey ? [enrolment.sealingKey.kid] : [])];
  const tried = new Set<string>();
  const keys = new Map<string, CryptoKey>();
  const attempt = async (copies: WrappedOrgKey[]) => {
    const fresh = copies.filter((c) => c.kind === kind && !tried.has(c.wrapped)).map((c) => c.wrapped);
    for (const copy of fresh) tried.add(copy);
    for (const [kid, key] of await unwrapEach(fresh, typed)) keys.set(kid, key);
  };

  const stored = await readStoredCopies(core, enrolment.orgId);
  if (stored) await attempt(stored.keys);
  if (!wanted.every((kid) => keys.has(kid))) {
    const outcome = await api.adminKeys(credentials);
    if (outcome.kind === 'ok') {
      await keepCopies(core, enrolment.orgId, outcome.value.keys);
      await attempt(outcome.value.keys);
    } else if (!stored) {
      throw new ClientError('org_key_unfetched', { message: outcome.message });
    }
  }
  if (!keys.size) throw new ClientError(kind === 'passphrase' ? 'passphrase_wrong' : 'recovery_wrong');
  return { ...admin, keys };
}

/** Keeps the server's wrapped copies on this device, sealed at rest, so reports open offline. */
export async function keepCopies(core: DeviceCore, orgId: string, keys: WrappedOrgKey[]): Promise<void> {
  await core.archive.put(STORED_ID, StoredCopies.parse({ orgId, keys }));
}

/**
 * An admin device set up before signed authority (docs/security.md#authority) certifies itself the
 * first time its admin opens the organisation's key, and the organisation's authority starts then.
 * Its signing key's public half comes from the endpoint on such a device, so it is checked to be
 * this device's own before it is certified.
 */
async function certifyThisDevice(core: DeviceCore, client: SyncClient, enrolment: Enrolment, orgKey: CryptoKey): Promise<void> {
  let signingKey = enrolment.signingPublicKey;
  if (!signingKey) {
    const listed = await client.listDevices({ orgId: enrolment.orgId, deviceId: core.identity.deviceId, signingKey: core.deviceKeys().signing });
    if (listed.kind !== 'ok') return; // offline: certified the next time the key is opened online
    signingKey = listed.value.devices.find((d) => d.deviceId === core.identity.deviceId)?.signingKey;
  }
  if (!signingKey || !(await isKeyPair(core.deviceKeys().signing, signingKey))) return;
  const now = new Date().toISOString();
  // Read again: a sync round may have learnt when signing began while the key was being unwrapped.
  const since = (await readEnrolment())?.authoritySince ?? now;
  const certificate = await certifyAdminDevice(orgKey, { orgId: enrolment.orgId, deviceId: core.identity.deviceId, signingKey, issuedAt: now, authoritySince: since });
  await patchEnrolment({ certificate, authoritySince: since, signingPublicKey: signingKey });
  // From its next batch on it signs; its own records are bound to a signed statement like every device's.
  await confirmDevice(core, core.identity.deviceId, 'admin', null, signingKey);
}

async function readStoredCopies(core: DeviceCore, orgId: string): Promise<StoredCopies | null> {
  const parsed = StoredCopies.safeParse(await core.archive.read(STORED_ID).catch(() => null));
  // A copy that cannot be read, or that belongs to an earlier enrolment, is fetched again.
  return parsed.success && parsed.data.orgId === orgId ? parsed.data : null;
}
