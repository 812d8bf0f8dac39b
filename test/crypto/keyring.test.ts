import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../../src/crypto/bytes.ts';
import { PIN_KDF_ITERATIONS, createKeyring, unwrapRoot, wrapRoot, type Keyring } from '../../src/crypto/keyring.ts';
import { openJson, sealJson } from '../../src/crypto/atRest.ts';

// Most tests use a low iteration count for speed; one test below uses the default.
const FAST = 1_000;

/** Two keyrings are the same when each opens what the other sealed. */
async function sameKeys(a: Keyring, b: Keyring): Promise<boolean> {
  const sealed = await sealJson(a, 'women:x', { knownAs: 'Ana' });
  try {
    return JSON.stringify(await openJson(b, 'women:x', sealed)) === JSON.stringify({ knownAs: 'Ana' });
  } catch {
    return false;
  }
}

describe('createKeyring', () => {
  it('makes a fresh 256-bit root each time', async () => {
    const a = await createKeyring();
    const b = await createKeyring();
    expect(a.root).toBeInstanceOf(Uint8Array);
    expect(a.root.byteLength).toBe(32);
    expect(toBase64Url(a.root)).not.toBe(toBase64Url(b.root));
    expect(await sameKeys(a, b)).toBe(false);
  });

  it('derives non-extractable keys', async () => {
    const k = await createKeyring();
    expect(k.content.extractable).toBe(false);
    expect(k.index.extractable).toBe(false);
    expect(k.content.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
    expect(k.index.algorithm).toMatchObject({ name: 'HMAC' });
  });
});

describe('wrapRoot / unwrapRoot', () => {
  it('round-trips the root under the right PIN and staff id', async () => {
    const keyring = await createKeyring();
    const wrapped = await wrapRoot(keyring, '482915', 'staff-a', FAST);
    expect(wrapped).toMatchObject({ kdf: 'PBKDF2-SHA256', iterations: FAST });
    const back = await unwrapRoot(wrapped, '482915', 'staff-a');
    expect(back).not.toBeNull();
    expect(toBase64Url(back!.root)).toBe(toBase64Url(keyring.root));
    // The derived keys are the same keys, not just the same root bytes.
    expect(await sameKeys(keyring, back!)).toBe(true);
  });

  it('returns null for a wrong PIN', async () => {
    const keyring = await createKeyring();
    const wrapped = await wrapRoot(keyring, '482915', 'staff-a', FAST);
    expect(await unwrapRoot(wrapped, '482916', 'staff-a')).toBeNull();
    expect(await unwrapRoot(wrapped, '', 'staff-a')).toBeNull();
    expect(await unwrapRoot(wrapped, '4829150', 'staff-a')).toBeNull();
  });

  it('refuses a wrapped root moved onto another staff member', async () => {
    const keyring = await createKeyring();
    const wrapped = await wrapRoot(keyring, '482915', 'staff-a', FAST);
    expect(await unwrapRoot(wrapped, '482915', 'staff-b')).toBeNull();
    // ...and still opens for the person it belongs to.
    expect(await unwrapRoot(wrapped, '482915', 'staff-a')).not.toBeNull();
  });

  it('uses a fresh salt and IV for every wrap, so two wraps of one PIN differ', async () => {
    const keyring = await createKeyring();
    const a = await wrapRoot(keyring, '482915', 'staff-a', FAST);
    const b = await wrapRoot(keyring, '482915', 'staff-a', FAST);
    expect(a.salt).not.toBe(b.salt);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(fromBase64Url(a.salt).byteLength).toBe(16);
    expect(fromBase64Url(a.iv).byteLength).toBe(12);
    // 32 bytes of root plus a 16-byte GCM tag.
    expect(fromBase64Url(a.ciphertext).byteLength).toBe(48);
  });

  it('never stores the root or the PIN in the wrapped form', async () => {
    const keyring = await createKeyring();
    const wrapped = await wrapRoot(keyring, '482915', 'staff-a', FAST);
    const text = JSON.stringify(wrapped);
    expect(text).not.toContain(toBase64Url(keyring.root));
    expect(text).not.toContain('482915');
  });

  it('returns null when the wrapped bytes were tampered with', async () => {
    const keyring = await createKeyring();
    const wrapped = await wrapRoot(keyring, '482915', 'staff-a', FAST);
    const ct = fromBase64Url(wrapped.ciphertext);
    ct[0]! ^= 1;
    expect(await unwrapRoot({ ...wrapped, ciphertext: toBase64Url(ct) }, '482915', 'staff-a')).toBeNull();
    const salt = fromBase64Url(wrapped.salt);
    salt[0]! ^= 1;
    expect(await unwrapRoot({ ...wrapped, salt: toBase64Url(salt) }, '482915', 'staff-a')).toBeNull();
    // A lowered iteration count derives another key: it cannot be used to speed up guessing.
    expect(await unwrapRoot({ ...wrapped, iterations: FAST - 1 }, '482915', 'staff-a')).toBeNull();
    // A removed staff member's entry has its ciphertext emptied.
    expect(await unwrapRoot({ ...wrapped, ciphertext: '' }, '482915', 'staff-a')).toBeNull();
  });

  it('uses at least 600,000 PBKDF2 iterations by default', async () => {
    expect(PIN_KDF_ITERATIONS).toBeGreaterThanOrEqual(600_000);
    const keyring = await createKeyring();
    const wrapped = await wrapRoot(keyring, '730241', 'staff-a');
    expect(wrapped.iterations).toBe(PIN_KDF_ITERATIONS);
    const back = await unwrapRoot(wrapped, '730241', 'staff-a');
    expect(back && toBase64Url(back.root)).toBe(toBase64Url(keyring.root));
  });
});

describe('bytes', () => {
  it('base64url round-trips every byte value without padding or unsafe characters', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const text = toBase64Url(all);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect([...fromBase64Url(text)]).toEqual([...all]);
    for (let n = 0; n < 5; n++) expect(fromBase64Url(toBase64Url(all.subarray(0, n))).byteLength).toBe(n);
  });

  it('handles buffers larger than one chunk', () => {
    const big = new Uint8Array(100_000).map((_, i) => (i * 7919) % 256);
    expect(fromBase64Url(toBase64Url(big))).toEqual(big);
  });
});
