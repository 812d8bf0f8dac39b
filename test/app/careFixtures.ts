/** Shared by the directory, settings and care tests. */
import type { Enrolment, FootfallDb } from '../../src/app/core/database.ts';
import { generateOrgKeyPair } from '../../src/crypto/envelope.ts';
import { generateDeviceKeys } from '../../src/crypto/signing.ts';

/**
 * A stand-in enrolment with no server behind it: enough for the device to know it belongs to an
 * organisation, and as what.
 */
export async function enrolAs(db: FootfallDb, role: Enrolment['role']): Promise<void> {
  const keys = await generateDeviceKeys();
  const org = await generateOrgKeyPair();
  await db.device.put({
    key: 'enrolment',
    orgId: crypto.randomUUID(),
    role,
    orgPublicKey: org.publicJwk,
    signingKey: keys.signing.privateKey,
    encryptionKey: keys.encryption.privateKey,
    nextSeq: 0,
    sealedThrough: 0,
  });
}
