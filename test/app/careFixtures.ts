/** Shared by the directory, settings and care tests. */
import type { Enrolment, FootfallDb } from '../../src/app/core/database.ts';
import { generateOrgKeyPair } from '../../src/crypto/envelope.ts';
import { exportDevicePrivateKeys, generateDeviceKeys, publicJwk } from '../../src/crypto/signing.ts';
import { core } from './helpers.ts';
import { certifyAdminDevice } from '../../src/crypto/authority.ts';

/**
 * A stand-in enrolment with no server behind it: enough for the device to know it belongs to an
 * organisation, and as what. An admin device holds its certificate, as set-up gives it. Made on
 * the unlocked device.
 */
export async function enrolAs(db: FootfallDb, role: Enrolment['role']): Promise<void> {
  const keys = await generateDeviceKeys();
  const org = await generateOrgKeyPair();
  const orgId = crypto.randomUUID();
  const signingPublicKey = await publicJwk(keys.signing.publicKey);
  const since = new Date().toISOString();
  const deviceId = ((await db.device.get('identity')) as { deviceId: string } | undefined)?.deviceId ?? crypto.randomUUID();
  const certificate =
    role === 'admin' ? await certifyAdminDevice(org.privateKey, { orgId, deviceId, signingKey: signingPublicKey, issuedAt: since, authoritySince: since }) : undefined;
  // Sealed, as joining keeps them, and held by the unlocked core.
  await core().saveDeviceKeys(await exportDevicePrivateKeys(keys));
  await db.device.put({
    key: 'enrolment',
    orgId,
    role,
    orgPublicKey: org.publicJwk,
    signingPublicKey,
  });
  if (certificate) await core().keepAuthority({ certificate, authoritySince: since });
}
