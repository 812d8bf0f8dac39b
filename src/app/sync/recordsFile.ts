/**
 * A revoked device's way out (docs/sync.md#a-revoked-device): the server refuses it for good, so
 * what it holds unsent is saved as a file for the admin, who imports it on her laptop. The file
 * holds the device's batches exactly as they would have been uploaded: sealed to the
 * organisation's key and the team key, readable only on an admin device. The records stay on
 * this device too, counted as waiting, until the device is wiped.
 */
import { signRecordsFile } from '../../crypto/authority.ts';
import { jsonBytes } from '../../crypto/envelope.ts';
import type { RecordsFile, RecordsFileContent } from '../../domain/protocol.ts';
import type { DeviceCore } from '../core/core.ts';
import { readEnrolment } from '../core/device.ts';
import { allBatches } from '../core/outbox.ts';
import { ClientError } from '../problems.ts';

/** Seals whatever is not yet in a batch, then writes every batch on this device into one file. */
export async function waitingRecordsFile(core: DeviceCore): Promise<{ fileName: string; text: string }> {
  const enrolment = await readEnrolment();
  if (!enrolment) throw new ClientError('not_enrolled');
  await core.sealWaiting(enrolment);
  const batches = await allBatches();
  const madeAt = new Date().toISOString();
  const content: RecordsFileContent = {
    orgId: enrolment.orgId,
    deviceId: core.identity.deviceId,
    madeAt,
    batches: batches.map((b) => ({ batchId: b.batchId, activity: b.activity, directory: b.directory })),
  };
  // Signed with this device's own key, which the organisation enrolled: the admin can tell it is this device's.
  const file: RecordsFile = { format: 'footfall-records', v: 1, signed: await signRecordsFile(core.deviceKeys().signing, jsonBytes(content)) };
  // The date and the device's own id only: a file name says nothing about what is inside.
  return { fileName: `footfall-records-${core.identity.deviceId.slice(0, 8)}-${madeAt.slice(0, 10)}.json`, text: JSON.stringify(file) };
}
