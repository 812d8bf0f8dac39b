/**
 * The organisation's private key on the admin's device, for reports.
 *
 * The server keeps wrapped copies of it (one per admin passphrase, one per recovery code), which
 * only an admin device may fetch. A copy of those wrapped copies is kept sealed at rest on the
 * device, so reports open offline next time. Unwrapped, the key is imported non-extractable and
 * held in memory only: it is dropped the moment the app locks, and never written anywhere.
 */
import { useSyncExternalStore } from 'react';
import { z } from 'zod';
import { certifyAdminDevice, isKeyPair } from '../../crypto/authority.ts';
import { normaliseRecoveryCode, unwrapOrgKey } from '../../crypto/orgKey.ts';
import { WrappedOrgKey, type PublicJwk } from '../../domain/protocol.ts';
import type { DeviceCore } from '../core/core.ts';
import type { Enrolment } from '../core/database.ts';
import { patchEnrolment, readEnrolment } from '../core/device.ts';
import { ClientError } from '../problems.ts';
import type { SyncClient } from '../sync/client.ts';
import { adminDevice, defaultClient } from './adminDevice.ts';
import { confirmDevice } from './deviceStatements.ts';

export type Secret = 'passphrase' | 'recovery';

const STORED_ID = 'adminKeys';
const StoredCopies = z.object({ orgId: z.uuid(), keys: z.array(WrappedOrgKey) });
type StoredCopies = z.infer<typeof StoredCopies>;

/** The organisation's key while it is unlocked on this device, for screens: they re-render when it comes or goes. */
export function useOrgKey(core: DeviceCore): CryptoKey | null {
  return useSyncExternalStore(
    (listener) => core.onOrgKeyChange(listener),
    () => core.orgKey,
  );
}

/** Drops the key from memory (the screen's "Close reports"; locking does it too). */
export function forgetOrgKey(core: DeviceCore): void {
  core.holdOrgKey(null);
}

// ---------------------------------------------------------------------------------------------
// Unlocking

/**
 * Unwraps the organisation's key with a passphrase or recovery code and holds it in memory.
 * Tries the copies kept on this device first, then the server's (a passphrase may have been
 * added since). Throws a message for the admin when the secret is wrong or the copies cannot be
 * had; nothing is changed or lost by a wrong attempt.
 */
export async function unlockOrgKey(core: DeviceCore, secret: string, kind: Secret, client?: SyncClient): Promise<void> {
  const typed = kind === 'recovery' ? normaliseRecoveryCode(secret) : secret;
  if (kind === 'recovery' && !typed) throw new ClientError('not_a_recovery_code_grouped');
  if (!typed) throw new ClientError('passphrase_missing');
  const { enrolment, credentials } = await adminDevice(core);
  const api = client ?? (await defaultClient());
  const tried = new Set<string>();
  const attempt = async (copies: WrappedOrgKey[]): Promise<CryptoKey | null> => {
    for (const copy of copies) {
      if (copy.kind !== kind || tried.has(copy.wrapped)) continue;
      tried.add(copy.wrapped);
      const key = await unwrapOrgKey(copy.wrapped, typed).catch(() => null);
      if (key) return key;
    }
    return null;
  };

  const stored = await readStoredCopies(core, enrolment.orgId);
  let key = stored ? await attempt(stored.keys) : null;
  if (!key) {
    const outcome = await api.adminKeys(credentials);
    if (outcome.kind === 'ok') {
      await core.archive.put(STORED_ID, StoredCopies.parse({ orgId: enrolment.orgId, keys: outcome.value.keys }));
      key = await attempt(outcome.value.keys);
    } else if (!stored) {
      throw new ClientError('org_key_unfetched', { message: outcome.message });
    }
  }
  if (!key) throw new ClientError(kind === 'passphrase' ? 'passphrase_wrong' : 'recovery_wrong');
  const held = await inMemoryOnly(key, enrolment.orgPublicKey);
  if (!enrolment.certificate) await certifyThisDevice(core, api, enrolment, key);
  // The app may have locked while the key was being unwrapped: the core refuses it once closed.
  core.holdOrgKey(held);
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
  await confirmDevice(core, core.identity.deviceId, 'admin', null);
}

/**
 * The unwrapped key comes back extractable (so that it can be wrapped again). Here it is only
 * used to open batches: it is checked against the organisation's public key, then imported again
 * as non-extractable, so no code on the page can read its bytes from now on.
 */
async function inMemoryOnly(key: CryptoKey, orgPublicKey: PublicJwk): Promise<CryptoKey> {
  const jwk = await crypto.subtle.exportKey('jwk', key);
  if (jwk.x !== orgPublicKey.x || jwk.y !== orgPublicKey.y) {
    throw new ClientError('other_org_key');
  }
  return crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d }, { name: 'ECDH', namedCurve: 'P-256' }, false, [
    'deriveBits',
  ]);
}

async function readStoredCopies(core: DeviceCore, orgId: string): Promise<StoredCopies | null> {
  const parsed = StoredCopies.safeParse(await core.archive.read(STORED_ID).catch(() => null));
  // A copy that cannot be read, or that belongs to an earlier enrolment, is fetched again.
  return parsed.success && parsed.data.orgId === orgId ? parsed.data : null;
}
