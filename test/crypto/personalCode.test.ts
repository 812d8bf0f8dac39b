import { describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { generatePersonalCode, personalCodeCheck, verifyPersonalCode } from '../../src/crypto/personalCode.ts';

describe('personal codes', () => {
  it('a code proves itself for its person only, typed forgivingly', async () => {
    const anna = uuidv7();
    const code = generatePersonalCode();
    const check = await personalCodeCheck(code, anna);
    expect(check).toMatch(/^[\w-]{43}$/);
    expect(await verifyPersonalCode(code.toLowerCase().replace(/-/g, ' '), anna, check)).toEqual({ ok: true });
    expect(await verifyPersonalCode(code, uuidv7(), check)).toMatchObject({ ok: false, message: expect.stringContaining('not your personal code') });
    expect(await verifyPersonalCode(generatePersonalCode(), anna, check)).toMatchObject({ ok: false });
  });

  it('says what is wrong with a mistyped code, as a personal code', async () => {
    const code = generatePersonalCode();
    expect(await verifyPersonalCode(code.slice(0, -3), uuidv7(), 'x'.repeat(43))).toEqual({
      ok: false,
      message: 'A personal code has 17 characters; this one has 15. Check it against what the admin gave you.',
    });
    expect(await verifyPersonalCode('', uuidv7(), 'x'.repeat(43))).toEqual({ ok: false, message: 'Type the personal code the admin gave you.' });
  });
});
