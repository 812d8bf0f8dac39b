/**
 * The key a locked device signs its uploads with. The device's private keys are stored only
 * sealed, and opened at unlock (docs/security.md#device-keys); the signing key is then kept in this
 * page's memory after the app locks, so that what was sealed at lock still uploads while the screen
 * is locked. It is never written anywhere: once the page is closed or the browser restarts, a
 * locked device sends nothing until someone unlocks it again. Kept by device id, so a key can
 * only ever sign for the device it was opened on.
 */
const kept = new Map<string, CryptoKey>();

/** Called at unlock with the opened signing key. */
export function keepUploadSigner(deviceId: string, key: CryptoKey): void {
  kept.set(deviceId, key);
}

/** The device's signing key opened since this page loaded, or null: then uploads wait for an unlock. */
export function uploadSigner(deviceId: string): CryptoKey | null {
  return kept.get(deviceId) ?? null;
}
