/**
 * Rows of the `archive` table: each sealed under the device keyring with its id as associated
 * data (`archive:<id>`), so a row cannot be moved to another id or table unnoticed.
 */
import { openJson, sealJson } from '../../../crypto/atRest.ts';
import type { Keyring } from '../../../crypto/keyring.ts';
import type { ArchiveRow } from '../../core/database.ts';

export async function sealArchiveRow(keyring: Keyring, id: string, value: unknown): Promise<ArchiveRow> {
  return { id, ...(await sealJson(keyring, `archive:${id}`, value)) };
}

/** The row's plain value; throws a message for the admin when it cannot be opened on this device. */
export async function openArchiveRow(keyring: Keyring, row: ArchiveRow): Promise<unknown> {
  try {
    return await openJson(keyring, `archive:${row.id}`, row);
  } catch {
    throw new Error(
      'A stored part of the reports archive could not be decrypted on this device. Use “Fetch everything again” to rebuild it from the server.',
    );
  }
}
