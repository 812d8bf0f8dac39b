/** Byte helpers shared by the crypto modules. Base64url keeps ciphertext JSON- and URL-safe. */

export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const utf8 = {
  encode: (text: string): Uint8Array<ArrayBuffer> => encoder.encode(text) as Uint8Array<ArrayBuffer>,
  decode: (bytes: BufferSource): string => decoder.decode(bytes),
};

let kept = new Uint8Array(0);

/**
 * The UTF-8 bytes of `text`, written into one buffer kept for it: valid only until the next call,
 * for a caller that hands them at once to something that copies what it is given (WebCrypto's
 * digest, the Blob constructor). A request body is over a megabyte when it carries a batch; in a
 * browser, encoding it into fresh memory costs tens of milliseconds where encoding it into memory
 * already in use costs well under one (docs/sync.md#signed-requests). The buffer grows to the
 * largest text (at most an upload's size) and holds only what was sent to the endpoint.
 */
export function keptUtf8(text: string): Uint8Array<ArrayBuffer> {
  if (kept.length < text.length) kept = new Uint8Array(text.length);
  let encoded = encoder.encodeInto(text, kept);
  // Text outside ASCII takes more bytes than characters: at most three per UTF-16 unit.
  if (encoded.read < text.length) {
    kept = new Uint8Array(text.length * 3);
    encoded = encoder.encodeInto(text, kept);
  }
  return kept.subarray(0, encoded.written);
}
