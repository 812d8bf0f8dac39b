import { describe, expect, it } from 'vitest';
import { timelessPersonId } from '../../src/crypto/ids.ts';
import { EventId } from '../../src/domain/events.ts';

describe('a person’s id', () => {
  it('is accepted wherever people’s ids are, and holds no time', () => {
    const id = timelessPersonId();
    expect(EventId.safeParse(id).success).toBe(true);
    // A UUIDv7's first 48 bits are its milliseconds since 1970: here they are zero.
    expect(id.slice(0, 13)).toBe('00000000-0000');
    expect(id[14]).toBe('7');
    expect('89ab').toContain(id[19]);
  });

  it('is random in the rest', () => {
    const ids = new Set(Array.from({ length: 10_000 }, timelessPersonId));
    expect(ids.size).toBe(10_000);
  });
});
