/**
 * The keys a locked device uploads with. The device's private keys are stored only sealed, and
 * opened at unlock (docs/security.md#device-keys); the signing key, and the keyring's upload key
 * (which opens each batch's sequence number and seals the last-synced time, and no record), are
 * then kept in this page's memory after the app locks, so that what was sealed at lock still
 * uploads while the screen is locked. They are never written anywhere: once the page is closed or
 * the browser restarts, a locked device sends nothing until someone unlocks it again. Kept by
 * device id, so a key can only ever sign for the device it was opened on.
 */
import type { SealingKey } from '../../crypto/atRest.ts';

export interface UploadKeys {
  signing: CryptoKey;
  /** The keyring's upload key, as sealJson takes a key (marks.ts). */
  upload: SealingKey;
}

const kept = new Map<string, UploadKeys>();

/** Called at unlock with the opened signing key and the keyring's upload key. */
export function keepUploadKeys(deviceId: string, keys: UploadKeys): void {
  kept.set(deviceId, keys);
}

/** The device's upload keys opened since this page loaded, or null: then uploads wait for an unlock. */
export function uploadKeys(deviceId: string): UploadKeys | null {
  return kept.get(deviceId) ?? null;
}
