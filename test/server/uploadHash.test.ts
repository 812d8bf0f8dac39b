/**
 * An upload's "same batch again" hash is taken from its signature's body hash when the body is
 * the canonical text, and computed from the parsed upload otherwise. Either way it must be the
 * canonical hash: a body that only looks canonical (same length, other bytes) must not pass.
 */
import { describe, expect, it } from 'vitest';
import { BatchUpload } from '../../src/domain/protocol.ts';
import { canonicalBatchHash, uploadHash } from '../../src/server/api/batchRoutes.ts';
import { isCanonicalUpload } from '../../src/server/api/uploadBody.ts';
import { bodySha256 } from '../../src/server/api/signature.ts';

const activity = 'eyJhbGciOiJFQ0RILUVTIn0.a2V5.aXY.Y2lwaGVydGV4dA.dGFn';
const directory = 'eyJhbGciOiJkaXIifQ..aXY.c2VhbGVk.dGFn';

function check(text: string): { canonical: boolean; hash: string } {
  const raw = Buffer.from(text, 'utf8');
  const batch = BatchUpload.parse(JSON.parse(text));
  return { canonical: isCanonicalUpload(raw, batch), hash: uploadHash(batch, raw, bodySha256(raw)) };
}

describe('uploadHash', () => {
  const expected = canonicalBatchHash({ seq: 1000, activity, directory });

  it('takes the body hash of the canonical text the app sends', () => {
    const text = JSON.stringify({ seq: 1000, activity, directory });
    expect(check(text)).toEqual({ canonical: true, hash: expected });
    expect(bodySha256(text)).toBe(expected);
  });

  it.each([
    ['other key order', `{"activity":"${activity}","seq":1000,"directory":"${directory}"}`],
    ['whitespace', `{ "seq": 1000, "activity": "${activity}", "directory": "${directory}" }`],
    ['a trailing line break', `{"seq":1000,"activity":"${activity}","directory":"${directory}"}\n`],
    // 1e3 is a byte shorter than 1000, and the space makes up for it: the same length.
    ['an exponent, with a space to keep the length', `{"seq":1e3,"activity":"${activity}", "directory":"${directory}"}`],
    // \u0041 is five bytes longer than the A it stands for; the shorter number takes back three.
    [
      'an escaped character, with a shorter number and fewer bytes elsewhere',
      `{"seq":1000,"activity":"${activity.replace('a', '\\u0061')}","directory":"${directory}"}`.replace('"seq":1000,', '"seq":1e3,'),
    ],
    ['a key sent twice', `{"seq":7,"activity":"${activity}","directory":"${directory}","seq":1000}`],
  ])('computes the canonical hash for %s', (_what, text) => {
    expect(check(text)).toEqual({ canonical: false, hash: expected });
  });

  it('computes it when no body hash was taken', () => {
    const text = JSON.stringify({ seq: 1000, activity, directory });
    expect(uploadHash(BatchUpload.parse(JSON.parse(text)), Buffer.from(text), null)).toBe(expected);
  });
});
