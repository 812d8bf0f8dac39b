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
import { normaliseRecoveryCode, unwrapOrgKey } from '../../crypto/orgKey.ts';
import { WrappedOrgKey, type PublicJwk } from '../../domain/protocol.ts';
import { requireSession, useFootfall } from '../store.ts';
import type { SyncClient } from '../sync/client.ts';
import { adminDevice, defaultClient } from './adminDevice.ts';
import { openArchiveRow, sealArchiveRow } from './archive/archiveRows.ts';

export type Secret = 'passphrase' | 'recovery';

const STORED_ID = 'adminKeys';
const StoredCopies = z.object({ orgId: z.uuid(), keys: z.array(WrappedOrgKey) });
type StoredCopies = z.infer<typeof StoredCopies>;

// ---------------------------------------------------------------------------------------------
// The key in memory

let held: CryptoKey | null = null;
const listeners = new Set<() => void>();

function setHeld(key: CryptoKey | null): void {
  if (held === key) return;
  held = key;
  for (const listener of listeners) listener();
}

/** The organisation's private key while it is unlocked on this device, else null. */
export function orgKey(): CryptoKey | null {
  return held;
}

/** The same, for screens: they re-render when it is unlocked or dropped. */
export function useOrgKey(): CryptoKey | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    orgKey,
  );
}

/** Drops the key from memory (the screen's "Close reports"; locking does it too). */
export function forgetOrgKey(): void {
  setHeld(null);
}

// Whoever signs in next must type the passphrase again: the key goes as the app locks.
useFootfall.subscribe((state) => {
  if (state.phase.kind !== 'unlocked') forgetOrgKey();
});

// ---------------------------------------------------------------------------------------------
// Unlocking

/**
 * Unwraps the organisation's key with a passphrase or recovery code and holds it in memory.
 * Tries the copies kept on this device first, then the server's (a passphrase may have been
 * added since). Throws a message for the admin when the secret is wrong or the copies cannot be
 * had; nothing is changed or lost by a wrong attempt.
 */
export async function unlockOrgKey(secret: string, kind: Secret, client?: SyncClient): Promise<void> {
  const typed = kind === 'recovery' ? normaliseRecoveryCode(secret) : secret;
  if (kind === 'recovery' && !typed) {
    throw new Error('That is not a recovery code: it has 24 letters and digits, in groups of four, as on the printed kit.');
  }
  if (!typed) throw new Error('Type the organisation passphrase first.');
  const { enrolment, credentials } = await adminDevice();
  const tried = new Set<string>();
  const attempt = async (copies: WrappedOrgKey[]): Promise<CryptoKey | null> => {
    for (const copy of copies) {
      if (copy.kind !== kind || tried.has(copy.wrapped)) continue;
      tried.add(copy.wrapped);
      const key = await unwrapOrgKey(copy.wrapped, typed).catch(() => null);
      if (key) return inMemoryOnly(key, enrolment.orgPublicKey);
    }
    return null;
  };

  const stored = await readStoredCopies(enrolment.orgId);
  let key = stored ? await attempt(stored.keys) : null;
  if (!key) {
    const outcome = await (client ?? (await defaultClient())).adminKeys(credentials);
    if (outcome.kind === 'ok') {
      await storeCopies({ orgId: enrolment.orgId, keys: outcome.value.keys });
      key = await attempt(outcome.value.keys);
    } else if (!stored) {
      throw new Error(
        `The organisation key could not be fetched (${outcome.message.replace(/\.$/, '')}). Connect this device to the network once; after that, reports open offline too.`,
      );
    }
  }
  if (!key) {
    throw new Error(
      kind === 'passphrase'
        ? 'That passphrase did not open the organisation key. Check it (capitals and spaces count) and try again, or use the recovery code.'
        : 'That recovery code did not open the organisation key. Check each group of four against the printed kit and try again.',
    );
  }
  // The app may have locked while the key was being unwrapped: it must not outlive the session.
  if (useFootfall.getState().phase.kind !== 'unlocked') return;
  setHeld(key);
}

/**
 * The unwrapped key comes back extractable (so that it can be wrapped again). Here it is only
 * used to open batches: it is checked against the organisation's public key, then imported again
 * as non-extractable, so no code on the page can read its bytes from now on.
 */
async function inMemoryOnly(key: CryptoKey, orgPublicKey: PublicJwk): Promise<CryptoKey> {
  const jwk = await crypto.subtle.exportKey('jwk', key);
  if (jwk.x !== orgPublicKey.x || jwk.y !== orgPublicKey.y) {
    throw new Error('This key is not the key of the organisation this device is enrolled with. Ask the other admins which passphrase belongs to it.');
  }
  return crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d }, { name: 'ECDH', namedCurve: 'P-256' }, false, [
    'deriveBits',
  ]);
}

async function readStoredCopies(orgId: string): Promise<StoredCopies | null> {
  const { vault } = requireSession();
  const row = await vault.db.archive.get(STORED_ID);
  if (!row) return null;
  const parsed = StoredCopies.safeParse(await openArchiveRow(vault.keyring, row).catch(() => null));
  // A copy that cannot be read, or that belongs to an earlier enrolment, is fetched again.
  return parsed.success && parsed.data.orgId === orgId ? parsed.data : null;
}

async function storeCopies(copies: StoredCopies): Promise<void> {
  const { vault } = requireSession();
  await vault.db.archive.put(await sealArchiveRow(vault.keyring, STORED_ID, StoredCopies.parse(copies)));
}
