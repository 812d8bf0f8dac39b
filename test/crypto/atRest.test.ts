import { beforeAll, describe, expect, it } from 'vitest';
import { blindTag, openJson, openJsonText, paddedLength, sealJson, type Sealed } from '../../src/crypto/atRest.ts';
import { utf8 } from '../../src/crypto/bytes.ts';
import { createKeyring, type Keyring } from '../../src/crypto/keyring.ts';

let keyring: Keyring;
let other: Keyring;
beforeAll(async () => {
  keyring = await createKeyring();
  other = await createKeyring();
});

const woman = { id: 'A', knownAs: 'Zofia Kowalska-Nowak', details: { ageBand: '25-34', exploitation: ['trafficking'] } };

function flipped(bytes: ArrayBuffer | Uint8Array, at: number): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes.slice(0));
  copy[at]! ^= 0x01;
  return copy;
}

describe('sealJson / openJson', () => {
  it('round-trips JSON values', async () => {
    for (const value of [woman, [1, 2, 3], 'text with ünïcödé ✓', 0, null, { nested: { deep: [true, false] } }]) {
      const sealed = await sealJson(keyring, 'women:A', value);
      expect(await openJson(keyring, 'women:A', sealed)).toEqual(value);
    }
  });

  it('pads to size buckets, so lengths say little about the content', async () => {
    const short = await sealJson(keyring, 'women:A', { knownAs: 'Jo' });
    const longer = await sealJson(keyring, 'women:A', woman);
    expect(short.ct.byteLength).toBe(longer.ct.byteLength);
    expect(short.ct.byteLength).toBe(512 + 16); // the smallest bucket and the GCM tag
    const big = await sealJson(keyring, 'women:A', { notes: 'x'.repeat(3000) });
    expect(big.ct.byteLength).toBe(4096 + 16);
    expect(await openJson(keyring, 'women:A', big)).toEqual({ notes: 'x'.repeat(3000) });
    const huge = { notes: 'y'.repeat(200_000) };
    const sealedHuge = await sealJson(keyring, 'archive:x', huge);
    expect(sealedHuge.ct.byteLength).toBe(4 * 64 * 1024 + 16);
    expect(await openJson(keyring, 'archive:x', sealedHuge)).toEqual(huge);
  });

  it('openJsonText gives the JSON exactly as sealed, as text and as UTF-8, without its padding', async () => {
    // Whitespace and non-ASCII inside the value stay; only the padding goes, whatever the bucket.
    for (const value of [woman, { knownAs: 'Ámà  ', note: ' x\u00a0' }, ['a ', ' '], 'ünïcödé ✓ ', 7, { notes: 'z '.repeat(40_000) }]) {
      const json = JSON.stringify(value);
      const { text, bytes } = await openJsonText(keyring, 'events:A', await sealJson(keyring, 'events:A', value));
      expect(text).toBe(json);
      expect(utf8.decode(bytes)).toBe(json);
      expect(bytes.byteLength).toBe(utf8.encode(json).byteLength);
    }
    await expect(openJsonText(keyring, 'events:B', await sealJson(keyring, 'events:A', woman))).rejects.toThrow();
  });

  it('uses a fresh 96-bit IV for every seal', async () => {
    const a = await sealJson(keyring, 'women:A', woman);
    const b = await sealJson(keyring, 'women:A', woman);
    expect(a.iv.byteLength).toBe(12);
    expect(Buffer.from(a.iv).equals(Buffer.from(b.iv))).toBe(false);
    expect(Buffer.from(a.ct).equals(Buffer.from(b.ct))).toBe(false);
  });

  it('does not contain the plaintext', async () => {
    const sealed = await sealJson(keyring, 'women:A', woman);
    const bytes = Buffer.from(sealed.ct);
    expect(bytes.includes(Buffer.from('Zofia'))).toBe(false);
    expect(bytes.includes(Buffer.from('trafficking'))).toBe(false);
    expect(bytes.toString('latin1')).not.toContain('knownAs');
    // The length is the plaintext's size bucket plus a 16-byte tag, not its own size.
    expect(bytes.byteLength).toBe(paddedLength(utf8.encode(JSON.stringify(woman)).byteLength) + 16);
  });

  it('throws when the ciphertext is tampered with', async () => {
    const sealed = await sealJson(keyring, 'women:A', woman);
    for (const at of [0, 5, sealed.ct.byteLength - 1]) {
      await expect(openJson(keyring, 'women:A', { iv: sealed.iv, ct: flipped(sealed.ct, at).buffer })).rejects.toThrow();
    }
    await expect(openJson(keyring, 'women:A', { iv: sealed.iv, ct: sealed.ct.slice(0, sealed.ct.byteLength - 1) })).rejects.toThrow();
  });

  it('throws when the IV is tampered with', async () => {
    const sealed = await sealJson(keyring, 'women:A', woman);
    await expect(openJson(keyring, 'women:A', { iv: flipped(sealed.iv, 0), ct: sealed.ct })).rejects.toThrow();
    await expect(openJson(keyring, 'women:A', { iv: flipped(sealed.iv, 11), ct: sealed.ct })).rejects.toThrow();
  });

  it('cannot open a row sealed for another row or table', async () => {
    const sealed = await sealJson(keyring, 'women:A', woman);
    await expect(openJson(keyring, 'women:B', sealed)).rejects.toThrow();
    await expect(openJson(keyring, 'visits:A', sealed)).rejects.toThrow();
    await expect(openJson(keyring, 'women:A ', sealed)).rejects.toThrow();
    expect(await openJson(keyring, 'women:A', sealed)).toEqual(woman);
  });

  it('cannot be opened with another device keyring', async () => {
    const sealed: Sealed = await sealJson(keyring, 'women:A', woman);
    await expect(openJson(other, 'women:A', sealed)).rejects.toThrow();
  });
});

describe('blindTag', () => {
  it('is equal for equal input and 32 lower-case hex characters', async () => {
    const a = await blindTag(keyring, '2025-04-01');
    const b = await blindTag(keyring, '2025-04-01');
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
  });

  it('differs for different input', async () => {
    const tags = await Promise.all(['2025-04-01', '2025-04-02', '2025-05-01', ''].map((d) => blindTag(keyring, d)));
    expect(new Set(tags).size).toBe(tags.length);
    for (const t of tags) expect(t).toMatch(/^[0-9a-f]{32}$/);
  });

  it('differs across keyrings and does not reveal the input', async () => {
    const a = await blindTag(keyring, '2025-04-01');
    const b = await blindTag(other, '2025-04-01');
    expect(a).not.toBe(b);
    expect(a).not.toContain('2025');
    // Not a plain hash of the date either: it needs the key.
    const plain = Buffer.from(await crypto.subtle.digest('SHA-256', utf8.encode('2025-04-01'))).toString('hex').slice(0, 32);
    expect(a).not.toBe(plain);
  });
});
