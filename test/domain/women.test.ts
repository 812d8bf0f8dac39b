import { describe, it, expect } from 'vitest';
import { resolveWomen } from '../../src/domain/women.ts';
import { erased, registered, updated } from './reportFixture.ts';
import { merge, newId } from './fixtures.ts';

describe('resolveWomen', () => {
  it('fills each field latest-wins, whatever order the events arrive in', () => {
    const w = newId();
    const events = [
      updated(w, '2025-01-03T10:00:00Z', { housing: 'hostel' }, 'Jojo'),
      registered(w, '2025-01-01T10:00:00Z', { ageBand: '18-24', housing: 'rough-sleeping' }, 'Jo'),
      updated(w, '2025-01-02T10:00:00Z', { ageBand: 'not-known' }),
    ];
    expect(resolveWomen(events).get(w)).toEqual({
      id: w,
      knownAs: 'Jojo',
      details: { ageBand: 'not-known', housing: 'hostel' },
      registeredAt: '2025-01-01T10:00:00Z',
    });
  });

  it('folds a merged-away entry into the one she was merged into, which wins where both say something', () => {
    const [a, b, c] = [newId(), newId(), newId()];
    const women = resolveWomen([
      registered(a, '2025-01-01T10:00:00Z', { ageBand: '18-24', housing: 'hostel', nationality: 'uk' }, 'Ann'),
      registered(b, '2025-02-01T10:00:00Z', { ageBand: '25-34', ethnicity: 'white' }, 'Annie'),
      registered(c, '2025-03-01T10:00:00Z', { ethnicity: 'mixed' }, 'Anna'),
      merge(a, b, '2025-04-01T10:00:00Z'),
      merge(b, c, '2025-05-01T10:00:00Z'),
      updated(a, '2025-06-01T10:00:00Z', { housing: 'temporary' }), // an update to a merged-away id reaches her
    ]);
    expect([...women.keys()]).toEqual([c]);
    expect(women.get(c)).toEqual({
      id: c,
      knownAs: 'Anna',
      details: { ageBand: '25-34', ethnicity: 'mixed', housing: 'temporary', nationality: 'uk' },
      registeredAt: '2025-01-01T10:00:00Z',
    });
  });

  it('drops an erased woman, and one merged into an erased woman', () => {
    const [a, b, c] = [newId(), newId(), newId()];
    const women = resolveWomen([
      registered(a, '2025-01-01T10:00:00Z'),
      registered(b, '2025-01-01T10:00:00Z'),
      registered(c, '2025-01-01T10:00:00Z'),
      erased(b, '2025-02-01T10:00:00Z'),
      merge(a, b, '2025-03-01T10:00:00Z'),
    ]);
    expect([...women.keys()]).toEqual([c]);
  });

  it('ignores a merge of two women who are already one, and events delivered twice', () => {
    const [a, b] = [newId(), newId()];
    const reg = registered(a, '2025-01-01T10:00:00Z', { ageBand: '18-24' });
    const women = resolveWomen([
      reg,
      reg,
      registered(b, '2025-01-01T11:00:00Z'),
      merge(a, b, '2025-02-01T10:00:00Z'),
      merge(b, a, '2025-03-01T10:00:00Z'),
    ]);
    expect([...women.values()]).toEqual([{ id: b, knownAs: 'Jo', details: { ageBand: '18-24' }, registeredAt: '2025-01-01T10:00:00Z' }]);
  });
});
