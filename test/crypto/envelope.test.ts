import { describe, expect, it } from 'vitest';
import { CompactEncrypt, decodeProtectedHeader } from 'jose';
import { fromBase64Url, toBase64Url, utf8 } from '../../src/crypto/bytes.ts';
import {
  bytesJson,
  exportTeamKey,
  generateOrgKeyPair,
  generateTeamKey,
  importTeamKey,
  jsonBytes,
  openWith,
  openWithTeamKey,
  paddedSize,
  padPlaintext,
  sealTo,
  sealWithTeamKey,
  unpadPlaintext,
} from '../../src/crypto/envelope.ts';
import { generateDeviceKeys, publicJwk } from '../../src/crypto/signing.ts';
import { PublicJwk } from '../../src/domain/protocol.ts';

const PART_NAMES = ['protected header', 'encrypted key', 'iv', 'ciphertext', 'tag'] as const;

/** The JWE with one bit of one decoded byte flipped in part `part` (so base64url slack bits don't hide it). */
function flipByte(jwe: string, part: number, at = 0): string {
  const parts = jwe.split('.');
  const bytes = fromBase64Url(parts[part]!);
  const i = Math.min(at, bytes.length - 1);
  bytes[i] = bytes[i]! ^ 0x01;
  parts[part] = toBase64Url(bytes);
  return parts.join('.');
}

function bytesOf(length: number, fill = 0x61): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

describe('padding', () => {
  it('frames as 4-byte big-endian length, data, zeros, to power-of-two buckets from 1 KiB', () => {
    const framed = padPlaintext(utf8.encode('hi'));
    expect(framed.length).toBe(1024);
    expect([...framed.subarray(0, 6)]).toEqual([0, 0, 0, 2, 0x68, 0x69]);
    expect(framed.subarray(6).every((b) => b === 0)).toBe(true);
    expect(paddedSize(0)).toBe(1024);
    expect(paddedSize(1020)).toBe(1024);
    expect(paddedSize(1021)).toBe(2048);
    expect(paddedSize(5000)).toBe(8192);
    expect(paddedSize(10, 4000)).toBe(4000);
    expect(paddedSize(5000, 4000)).toBe(8192); // padTo only counts when larger
    expect(() => paddedSize(1, 0)).toThrow(/padTo/);
    expect(() => paddedSize(1, 1.5)).toThrow(/padTo/);
  });

  it('round-trips and refuses bad frames', () => {
    const data = utf8.encode('some data');
    expect(utf8.decode(unpadPlaintext(padPlaintext(data)))).toBe('some data');
    expect(unpadPlaintext(padPlaintext(new Uint8Array(0))).length).toBe(0);
    expect(() => unpadPlaintext(new Uint8Array(3))).toThrow(/invalid padding/);
    const tooLong = padPlaintext(data);
    tooLong[1] = 0x01; // length 65,545 in a 1,024-byte frame
    expect(() => unpadPlaintext(tooLong)).toThrow(/invalid padding/);
    const dirty = padPlaintext(data);
    dirty[dirty.length - 1] = 1;
    expect(() => unpadPlaintext(dirty)).toThrow(/invalid padding/);
  });
});

describe('jsonBytes / bytesJson', () => {
  it('round-trips UTF-8 JSON', () => {
    const value = { knownAs: 'Zoë 👋', n: [1, 2, 3], nested: { ok: true } };
    const bytes = jsonBytes(value);
    expect(utf8.decode(bytes)).toBe(JSON.stringify(value));
    expect(bytesJson(bytes)).toEqual(value);
  });

  it('refuses invalid UTF-8 and JSON with clear errors', () => {
    expect(() => bytesJson(new Uint8Array([0xff, 0xfe]))).toThrow(/UTF-8/);
    expect(() => bytesJson(utf8.encode('{nope'))).toThrow(/JSON/);
    expect(() => jsonBytes(undefined)).toThrow(/JSON/);
  });
});

describe('generateOrgKeyPair', () => {
  it('gives a schema-valid public JWK and an extractable ECDH private key', async () => {
    const { publicJwk: jwk, privateKey } = await generateOrgKeyPair();
    expect(PublicJwk.safeParse(jwk).success).toBe(true);
    expect(Object.keys(jwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(privateKey.type).toBe('private');
    expect(privateKey.algorithm).toMatchObject({ name: 'ECDH', namedCurve: 'P-256' });
    expect(privateKey.extractable).toBe(true);
  });
});

describe('sealTo / openWith', () => {
  it('round-trips bytes of many sizes', async () => {
    const org = await generateOrgKeyPair();
    for (const size of [0, 1, 1020, 1021, 5000]) {
      const data = crypto.getRandomValues(new Uint8Array(size));
      const opened = await openWith(org.privateKey, await sealTo(org.publicJwk, data));
      expect(toBase64Url(opened)).toBe(toBase64Url(data));
    }
  });

  it('seals to a device ECDH key made by generateDeviceKeys (non-extractable private key)', async () => {
    const device = await generateDeviceKeys();
    const jwe = await sealTo(await publicJwk(device.encryption.publicKey), utf8.encode('team key v2'));
    expect(utf8.decode(await openWith(device.encryption.privateKey, jwe))).toBe('team key v2');
  });

  it('says ECDH-ES+A256KW / A256GCM in the header, with an ephemeral key and a fresh content key each time', async () => {
    const org = await generateOrgKeyPair();
    const a = await sealTo(org.publicJwk, utf8.encode('same'));
    const b = await sealTo(org.publicJwk, utf8.encode('same'));
    const header = decodeProtectedHeader(a);
    expect(header.alg).toBe('ECDH-ES+A256KW');
    expect(header.enc).toBe('A256GCM');
    expect(header.zip).toBeUndefined();
    expect(header.epk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect((header.epk as { d?: string }).d).toBeUndefined();
    expect(a.split('.')).toHaveLength(5);
    // Fresh ephemeral key, wrapped content key, iv and ciphertext each time.
    const [pa, ka, iva, ca] = a.split('.');
    const [pb, kb, ivb, cb] = b.split('.');
    expect(pa).not.toBe(pb);
    expect(ka).not.toBe(kb);
    expect(iva).not.toBe(ivb);
    expect(ca).not.toBe(cb);
    expect(fromBase64Url(ka!).length).toBe(40); // AES-KW of a 32-byte key
  });

  it('does not contain the plaintext', async () => {
    const org = await generateOrgKeyPair();
    const secret = 'Known-as: Marguerite, visited the drop-in at 10:32';
    const jwe = await sealTo(org.publicJwk, utf8.encode(secret));
    expect(jwe).not.toContain('Marguerite');
    expect(jwe).not.toContain(toBase64Url(utf8.encode('Marguerite')));
    expect(jwe).not.toContain(toBase64Url(utf8.encode(secret)).slice(0, 20));
  });

  it('hides sizes: 1 and 900 bytes give equal-length JWEs, 2,000 bytes a longer one', async () => {
    const org = await generateOrgKeyPair();
    const one = await sealTo(org.publicJwk, bytesOf(1));
    const nineHundred = await sealTo(org.publicJwk, bytesOf(900));
    const twoThousand = await sealTo(org.publicJwk, bytesOf(2000));
    expect(one.length).toBe(nineHundred.length);
    expect(twoThousand.length).toBeGreaterThan(nineHundred.length);
    expect(fromBase64Url(one.split('.')[3]!).length).toBe(1024);
    expect(fromBase64Url(twoThousand.split('.')[3]!).length).toBe(2048);
  });

  it('pads to padTo when it is larger than the bucket', async () => {
    const org = await generateOrgKeyPair();
    const jwe = await sealTo(org.publicJwk, bytesOf(10), { padTo: 16_384 });
    expect(fromBase64Url(jwe.split('.')[3]!).length).toBe(16_384);
    expect((await openWith(org.privateKey, jwe)).length).toBe(10);
    const small = await sealTo(org.publicJwk, bytesOf(3000), { padTo: 100 });
    expect(fromBase64Url(small.split('.')[3]!).length).toBe(4096);
  });

  it('refuses a JWE with a byte flipped in any of its five parts', async () => {
    const org = await generateOrgKeyPair();
    const jwe = await sealTo(org.publicJwk, utf8.encode('an activity batch'));
    for (let part = 0; part < 5; part++) {
      for (const at of [0, 7, 1_000_000]) {
        await expect(openWith(org.privateKey, flipByte(jwe, part, at)), `${PART_NAMES[part]} @${at}`).rejects.toThrow(/could not be opened/);
      }
    }
  });

  it('refuses the wrong private key with a clear message', async () => {
    const org = await generateOrgKeyPair();
    const other = await generateOrgKeyPair();
    const jwe = await sealTo(org.publicJwk, utf8.encode('x'));
    await expect(openWith(other.privateKey, jwe)).rejects.toThrow('could not be opened: it was altered, or it was sealed for a different key');
  });

  it('refuses malformed and wrong-kind JWEs', async () => {
    const org = await generateOrgKeyPair();
    const jwe = await sealTo(org.publicJwk, utf8.encode('x'));
    await expect(openWith(org.privateKey, 'not a jwe')).rejects.toThrow(/not a sealed/);
    await expect(openWith(org.privateKey, jwe.split('.').slice(0, 4).join('.'))).rejects.toThrow(/not a sealed/);
    await expect(openWith(org.privateKey, jwe + '.x')).rejects.toThrow(/not a sealed/);
    const team = await sealWithTeamKey({ version: 1, key: await generateTeamKey() }, utf8.encode('x'));
    await expect(openWith(org.privateKey, team)).rejects.toThrow(/not sealed to a key/);
  });

  it('refuses a compressed JWE (compression would leak sizes)', async () => {
    const org = await generateOrgKeyPair();
    const jwe = await sealTo(org.publicJwk, utf8.encode('x'));
    const parts = jwe.split('.');
    const header = JSON.parse(utf8.decode(fromBase64Url(parts[0]!))) as Record<string, unknown>;
    parts[0] = toBase64Url(utf8.encode(JSON.stringify({ ...header, zip: 'DEF' })));
    await expect(openWith(org.privateKey, parts.join('.'))).rejects.toThrow(/compressed/);
  });

  it('refuses a genuinely sealed JWE whose padding is wrong', async () => {
    const org = await generateOrgKeyPair();
    const seal = (bytes: Uint8Array) =>
      new CompactEncrypt(bytes).setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM' }).encrypt(org.publicJwk);
    const dirty = padPlaintext(utf8.encode('x'));
    dirty[100] = 7;
    await expect(openWith(org.privateKey, await seal(dirty))).rejects.toThrow(/invalid padding: the padding bytes are not zero/);
    await expect(openWith(org.privateKey, await seal(utf8.encode('unframed')))).rejects.toThrow(/invalid padding/);
  });

  it('refuses an invalid recipient key', async () => {
    const org = await generateOrgKeyPair();
    await expect(sealTo({ ...org.publicJwk, y: org.publicJwk.x }, utf8.encode('x'))).rejects.toThrow(/not a valid P-256/);
    await expect(sealTo({ ...org.publicJwk, crv: 'P-384' } as unknown as PublicJwk, utf8.encode('x'))).rejects.toThrow(/P-256/);
  });
});

describe('team key', () => {
  it('is AES-GCM 256, extractable, and exports/imports as 43 base64url characters', async () => {
    const key = await generateTeamKey();
    expect(key.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
    expect(key.extractable).toBe(true);
    const raw = await exportTeamKey(key);
    expect(raw).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = await importTeamKey(raw);
    expect(await exportTeamKey(again)).toBe(raw);
    const jwe = await sealWithTeamKey({ version: 1, key }, utf8.encode('directory'));
    expect(utf8.decode(await openWithTeamKey(new Map([[1, again]]), jwe))).toBe('directory');
  });

  it('refuses a malformed raw key', async () => {
    await expect(importTeamKey('')).rejects.toThrow(/32 bytes/);
    await expect(importTeamKey(toBase64Url(new Uint8Array(16)))).rejects.toThrow(/32 bytes/);
    await expect(importTeamKey('!'.repeat(43))).rejects.toThrow(/32 bytes/);
  });

  it('labels the JWE dir / A256GCM / team-vN and hides the plaintext', async () => {
    const key = await generateTeamKey();
    const jwe = await sealWithTeamKey({ version: 7, key }, utf8.encode('Known-as: Marguerite'));
    const header = decodeProtectedHeader(jwe);
    expect(header).toEqual({ alg: 'dir', enc: 'A256GCM', kid: 'team-v7' });
    expect(jwe.split('.')[1]).toBe(''); // no encrypted key with "dir"
    expect(jwe).not.toContain('Marguerite');
    expect(jwe).not.toContain(toBase64Url(utf8.encode('Marguerite')));
  });

  it('pads like sealTo', async () => {
    const team = { version: 1, key: await generateTeamKey() };
    const one = await sealWithTeamKey(team, bytesOf(1));
    const nineHundred = await sealWithTeamKey(team, bytesOf(900));
    const twoThousand = await sealWithTeamKey(team, bytesOf(2000));
    expect(one.length).toBe(nineHundred.length);
    expect(twoThousand.length).toBeGreaterThan(nineHundred.length);
  });

  it('opens each version with its own key and says which version is missing', async () => {
    const v1 = await generateTeamKey();
    const v2 = await generateTeamKey();
    const old = await sealWithTeamKey({ version: 1, key: v1 }, utf8.encode('old'));
    const current = await sealWithTeamKey({ version: 2, key: v2 }, utf8.encode('new'));
    const both = new Map([
      [1, v1],
      [2, v2],
    ]);
    expect(utf8.decode(await openWithTeamKey(both, old))).toBe('old');
    expect(utf8.decode(await openWithTeamKey(both, current))).toBe('new');
    await expect(openWithTeamKey(new Map([[1, v1]]), current)).rejects.toThrow(
      'sealed with team key version 2, which this device does not hold',
    );
    await expect(openWithTeamKey(new Map(), old)).rejects.toThrow('sealed with team key version 1, which this device does not hold');
  });

  it('refuses the wrong key under the right version number', async () => {
    const jwe = await sealWithTeamKey({ version: 3, key: await generateTeamKey() }, utf8.encode('x'));
    await expect(openWithTeamKey(new Map([[3, await generateTeamKey()]]), jwe)).rejects.toThrow(/altered, or it was sealed for a different key/);
  });

  it('refuses a JWE with a byte flipped in any part (the kid is authenticated)', async () => {
    const key = await generateTeamKey();
    const jwe = await sealWithTeamKey({ version: 1, key }, utf8.encode('directory entry'));
    const keys = new Map([[1, key]]);
    for (const part of [0, 2, 3, 4]) {
      for (const at of [0, 5, 1_000_000]) {
        await expect(openWithTeamKey(keys, flipByte(jwe, part, at)), `${PART_NAMES[part]} @${at}`).rejects.toThrow(/could not be opened/);
      }
    }
    // A forged kid pointing at another held version still fails.
    const parts = jwe.split('.');
    parts[0] = toBase64Url(utf8.encode(JSON.stringify({ alg: 'dir', enc: 'A256GCM', kid: 'team-v2' })));
    await expect(openWithTeamKey(new Map([[1, key], [2, key]]), parts.join('.'))).rejects.toThrow(/could not be opened/);
  });

  it('refuses JWEs without a team kid or of the wrong kind', async () => {
    const key = await generateTeamKey();
    const keys = new Map([[1, key]]);
    const jwe = await sealWithTeamKey({ version: 1, key }, utf8.encode('x'));
    const parts = jwe.split('.');
    parts[0] = toBase64Url(utf8.encode(JSON.stringify({ alg: 'dir', enc: 'A256GCM' })));
    await expect(openWithTeamKey(keys, parts.join('.'))).rejects.toThrow(/does not say which team key/);
    const org = await generateOrgKeyPair();
    await expect(openWithTeamKey(keys, await sealTo(org.publicJwk, utf8.encode('x')))).rejects.toThrow(/not sealed with a team key/);
    await expect(openWithTeamKey(keys, 'x.y')).rejects.toThrow(/not a sealed/);
  });

  it('refuses a bad version number when sealing', async () => {
    const key = await generateTeamKey();
    for (const version of [0, -1, 1.5, Number.NaN]) {
      await expect(sealWithTeamKey({ version, key }, utf8.encode('x'))).rejects.toThrow(/version/);
    }
  });
});
