/**
 * Rotating the organisation key from Settings (docs/security.md#rotating-the-organisation-key).
 *
 * On a certified admin device, with the passphrase and the recovery kit: a new key pair is made,
 * its private key wrapped under the passphrase and the kit's code, and its copies stored on the
 * server before anything else, so no device is ever told of a key no admin could open. Then its
 * announcement, signed by the organisation's first key, goes to every device through the shared
 * directory; each seals new records to the new key once it has checked the signature. The old keys
 * stay wrapped on the server: reports open every batch with the key its header names.
 */
import { announceOrgKey } from '../../crypto/authority.ts';
import { bytesJson, generateOrgKeyPair, jsonBytes, openWith, sealTo } from '../../crypto/envelope.ts';
import { normaliseRecoveryCode, unwrapOrgKey, wrapOrgKey } from '../../crypto/orgKey.ts';
import { keyId, openOnly } from '../../crypto/orgKeyring.ts';
import type { EventOf } from '../../domain/events.ts';
import type { DeviceCore } from '../core/core.ts';
import { adoptAnnouncedKeys } from '../core/orgKeys.ts';
import { ClientError, isProblem } from '../problems.ts';
import type { SyncClient } from '../sync/client.ts';
import { syncRound } from '../sync/engine.ts';
import { certifiedAdminDevice } from './adminDevice.ts';
import { keepCopies, unwrapOrgKeys } from './orgKey.ts';

/** Makes, stores and announces a new organisation key. Returns its version (the first key is 1). */
export async function rotateOrgKey(core: DeviceCore, client: SyncClient, passphrase: string, typedRecoveryCode: string): Promise<number> {
  await certifiedAdminDevice(core);
  const recoveryCode = normaliseRecoveryCode(typedRecoveryCode);
  if (!recoveryCode) throw new ClientError('not_a_recovery_code_grouped');
  // What other admins did first: a key rotated meanwhile is the one this rotation follows.
  await syncRound(client, core);
  const { enrolment, credentials, keys } = await unwrapOrgKeys(core, passphrase, 'passphrase', client);
  const firstKid = await keyId(enrolment.orgPublicKey);
  const first = keys.get(firstKid);
  if (!first) throw new ClientError('passphrase_wrong');
  // The kit must open the organisation's key too: the new key is wrapped under its code, so the
  // one printed kit goes on opening every key (and a mistyped code would lose the new one).
  const kit = await unwrapOrgKeys(core, recoveryCode, 'recovery', client).catch((error: unknown) => {
    if (isProblem(error, 'recovery_wrong')) return null;
    throw error;
  });
  if (!kit?.keys.has(firstKid)) throw new ClientError('recovery_wrong');

  const pair = await generateOrgKeyPair();
  const [byPassphrase, byRecovery] = await Promise.all([wrapOrgKey(pair.privateKey, passphrase), wrapOrgKey(pair.privateKey, recoveryCode)]);
  // Proven as at set-up: the kit's copy opens the new key, and the key opens what is sealed to it.
  const reopened = await unwrapOrgKey(byRecovery, recoveryCode);
  const probe = crypto.randomUUID();
  if (!reopened || bytesJson(await openWith(reopened, await sealTo(pair.publicJwk, jsonBytes(probe)))) !== probe) throw new ClientError('kit_unproven');

  const stored = await client.addAdminKeys(credentials, [
    { id: crypto.randomUUID(), kind: 'passphrase', wrapped: byPassphrase },
    { id: crypto.randomUUID(), kind: 'recovery', wrapped: byRecovery },
  ]);
  if (stored.kind !== 'ok') throw new ClientError('rotation_offline', { message: stored.message });
  const listed = await client.adminKeys(credentials);
  if (listed.kind === 'ok') await keepCopies(core, enrolment.orgId, listed.value.keys);

  const version = (enrolment.sealingKey?.version ?? 1) + 1;
  const announcement = await announceOrgKey(first, { orgId: enrolment.orgId, version, publicKey: pair.publicJwk, issuedAt: new Date().toISOString() });
  await core.serially(async () => {
    const event: EventOf<'org.keyRotated'> = { ...core.stamp(), type: 'org.keyRotated', announcement };
    await core.foldDirectory([event], [event]);
  });
  await adoptAnnouncedKeys(core.keyring, enrolment, [announcement]);
  const held = await openOnly(new Map(keys).set(await keyId(pair.publicJwk), pair.privateKey), firstKid);
  core.holdOrgKeys(held);
  // Shared now when online; otherwise with the next round.
  await syncRound(client, core);
  return version;
}
