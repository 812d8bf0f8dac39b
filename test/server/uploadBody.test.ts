/**
 * An upload's body read straight from its bytes (src/server/api/uploadBody.ts) must be exactly
 * what JSON.parse makes of it, or not read at all (then JSON.parse reads it).
 */
import { describe, expect, it } from 'vitest';
import { readCanonicalUpload } from '../../src/server/api/uploadBody.ts';

const activity = 'eyJhbGciOiJFQ0RILUVTIn0.a2V5.aXY.Y2lwaGVydGV4dA.dGFn';
const directory = 'eyJhbGciOiJkaXIifQ..aXY.c2VhbGVk.dGFn';

function read(text: string) {
  return readCanonicalUpload(Buffer.from(text, 'utf8'));
}

describe('readCanonicalUpload', () => {
  it.each([0, 7, 1000, 999_999_999_999_999])('reads the canonical text the app sends, seq %d, as JSON.parse does', (seq) => {
    const text = JSON.stringify({ seq, activity, directory });
    const value = read(text);
    expect(value).toEqual(JSON.parse(text));
    expect(Object.keys(value!)).toEqual(['seq', 'activity', 'directory']);
  });

  it('reads empty parts as JSON.parse does (the schema refuses them afterwards)', () => {
    const text = JSON.stringify({ seq: 1, activity: '', directory: '' });
    expect(read(text)).toEqual(JSON.parse(text));
  });

  it.each([
    ['other key order', `{"activity":"${activity}","seq":1000,"directory":"${directory}"}`],
    ['whitespace', `{ "seq": 1000, "activity": "${activity}", "directory": "${directory}" }`],
    ['a trailing line break', `{"seq":1000,"activity":"${activity}","directory":"${directory}"}\n`],
    ['an exponent', `{"seq":1e3,"activity":"${activity}","directory":"${directory}"}`],
    ['a fraction', `{"seq":1.5,"activity":"${activity}","directory":"${directory}"}`],
    ['a negative seq', `{"seq":-1,"activity":"${activity}","directory":"${directory}"}`],
    ['a leading zero (not JSON)', `{"seq":01,"activity":"${activity}","directory":"${directory}"}`],
    ['a seq of 16 digits', `{"seq":1234567890123456,"activity":"${activity}","directory":"${directory}"}`],
    ['a string seq', `{"seq":"1","activity":"${activity}","directory":"${directory}"}`],
    ['an escaped character', `{"seq":1000,"activity":"${activity.replace('a', '\\u0061')}","directory":"${directory}"}`],
    ['an escaped quote', `{"seq":1000,"activity":"a\\",\\"directory\\":\\"b","directory":"${directory}"}`],
    ['an escaped quote in the last part', `{"seq":1000,"activity":"${activity}","directory":"a\\"b"}`],
    ['a character outside ASCII', `{"seq":1000,"activity":"${activity}é","directory":"${directory}"}`],
    ['a control character (not JSON)', `{"seq":1000,"activity":"${activity}\t","directory":"${directory}"}`],
    ['a part with a space', `{"seq":1000,"activity":"a b","directory":"${directory}"}`],
    ['a key sent twice', `{"seq":7,"activity":"${activity}","directory":"${directory}","seq":1000}`],
    ['another field after', `{"seq":7,"activity":"${activity}","directory":"${directory}","x":"y"}`],
    ['a truncated body', `{"seq":7,"activity":"${activity}","directory":"${directory}`],
    ['an array', `[{"seq":7,"activity":"${activity}","directory":"${directory}"}]`],
    ['nothing', ''],
  ])('leaves %s to JSON.parse', (_what, text) => {
    expect(read(text)).toBeNull();
  });
});
