/**
 * Importing a revoked device's records file (docs/sync.md#a-revoked-device) on an admin device.
 * Each batch in the file is opened as the archive opens batches, and screened by the one
 * authority rule as if the revoked device had uploaded it: it may carry only records it made,
 * and none of the changes only an admin may make. What is accepted goes through this device's
 * outbox, signed as its own, and the archive keeps one copy of each id: a file imported twice,
 * or holding records the device did send before it was revoked, adds nothing twice.
 */
import { z } from 'zod';
import { isRecordsFileBy, recordsFileClaims } from '../../../crypto/authority.ts';
import { bytesJson, openWithTeamKey } from '../../../crypto/envelope.ts';
import { openWithOrgKeys } from '../../../crypto/orgKeyring.ts';
import type { FootfallEvent } from '../../../domain/events.ts';
import { RecordsFile, RecordsFileContent } from '../../../domain/protocol.ts';
import type { DeviceCore } from '../../core/core.ts';
import { ClientError } from '../../problems.ts';
import { keySeal } from '../../../domain/partSeals.ts';
import { readEvents } from '../../sync/parts.ts';
import { listDevices } from '../../sync/organisation.ts';
import { certifiedAdminDevice, defaultClient } from '../adminDevice.ts';
import { archiveKeys } from '../archive/archiveReader.ts';
import { heldEventIdsFresh, writeImported, type ImportOptions } from './importRecords.ts';

export interface RecordsFileImport {
  /** Records added now. */
  added: number;
  /** Records the organisation already held (sent before, or imported before). */
  alreadyHeld: number;
  /** Records the device had no authority to send: left out, as the archive leaves them out. */
  setAside: number;
  /** Parts of the file that could not be opened (damaged, or not for this organisation's keys). */
  unreadable: number;
}

export async function importRecordsFile(core: DeviceCore, text: string, options: ImportOptions = {}): Promise<RecordsFileImport> {
  const { enrolment } = await certifiedAdminDevice(core);
  const orgKeys = core.orgKeys;
  if (!orgKeys) throw new ClientError('org_key_locked');
  const file = parseFile(text);
  if (file.orgId !== enrolment.orgId) throw new ClientError('records_file_other_org');
  // Only a device the organisation has revoked hands over a file, and only one signed with the key it was enrolled with.
  const client = options.client ?? (await defaultClient());
  const device = (await listDevices(core, client)).find((d) => d.deviceId === file.deviceId);
  if (!device?.revokedAt || !(await isRecordsFileBy(device.signingKey, file.signed))) throw new ClientError('records_file_unverified');

  const keys = archiveKeys(core, enrolment, orgKeys);
  const byId = new Map<string, FootfallEvent>();
  let setAside = 0;
  let unreadable = 0;
  for (const batch of file.batches) {
    for (const opened of [openWithOrgKeys(orgKeys, batch.activity), openWithTeamKey(keys.teamKeys, batch.directory)]) {
      // No receipt time: the endpoint never received it, so the rule applies in full.
      const read = await opened.then((bytes) => readEvents(bytes, { deviceId: file.deviceId, receivedAt: null }, keys)).catch(() => null);
      // A file carries no authority: a part signed as an admin's is not taken from one.
      if (!read || read.signedBy) {
        unreadable++;
        continue;
      }
      setAside += Object.values(read.setAside).reduce((n, k) => n + k, 0);
      // A part signed by a device is taken only when signed with the key the file is (docs/security.md#device-signed-parts).
      if (read.seal?.startsWith('key:') && read.seal !== keySeal(device.signingKey)) {
        setAside += read.accepted.length;
        continue;
      }
      for (const e of read.accepted) if (!byId.has(e.id)) byId.set(e.id, e);
    }
  }
  const held = await heldEventIdsFresh(core, [...byId.keys()], options);
  const fresh = [...byId.values()].filter((e) => !held.has(e.id));
  const written = await writeImported(core, fresh, options);
  return { added: written.length, alreadyHeld: byId.size - written.length, setAside, unreadable };
}

/** The file's content, not yet checked against its device's key, with the signed text that is checked. */
function parseFile(text: string): RecordsFileContent & { signed: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ClientError('records_file_unreadable', { reason: 'it is not JSON' });
  }
  const file = RecordsFile.safeParse(json);
  if (!file.success) throw new ClientError('records_file_unreadable', { reason: describe(file.error) });
  const claims = recordsFileClaims(file.data.signed);
  let content: unknown = null;
  try {
    content = claims && bytesJson(claims);
  } catch {
    // reported below
  }
  const parsed = RecordsFileContent.safeParse(content);
  if (!parsed.success) throw new ClientError('records_file_unreadable', { reason: content === null ? 'its signed content is damaged' : describe(parsed.error) });
  return { ...parsed.data, signed: file.data.signed };
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return issue.path.length ? `${issue.path.join('.')} ${issue.message}` : issue.message;
}
