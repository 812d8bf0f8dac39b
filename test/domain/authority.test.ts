import { describe, expect, it } from 'vitest';
import { screenPart } from '../../src/domain/authority.ts';
import type { FootfallEvent } from '../../src/domain/events.ts';
import { defaultConfig } from '../../src/domain/config.ts';

const TABLET = '0190f5d2-7c2a-7b4e-8f00-aaaaaaaaaaaa';
const ADMIN = '0190f5d2-7c2a-7b4e-8f00-bbbbbbbbbbbb';
const SINCE = '2026-06-01T00:00:00.000Z';
let n = 0;
const id = () => `0190f5d2-7c2a-7b4e-8f00-${(++n).toString(16).padStart(12, '0')}`;
const by = (deviceId: string) => ({ id: id(), at: '2026-07-01T10:00:00.000Z', deviceId, staffId: 's1' });

const registration = (deviceId: string): FootfallEvent => {
  const base = by(deviceId);
  return { ...base, type: 'woman.registered', womanId: base.id, knownAs: 'Rosa', details: {} };
};
const visit = (deviceId: string): FootfallEvent => ({
  ...by(deviceId),
  type: 'visit.checkedIn',
  occurredAt: '2026-07-01T10:00:00.000Z',
  womanId: null,
  siteId: 'centre',
  services: [],
});
const erasure = (deviceId: string): FootfallEvent => ({ ...by(deviceId), type: 'woman.erased', womanId: id() });
const settings = (deviceId: string): FootfallEvent => ({ ...by(deviceId), type: 'org.configured', config: defaultConfig({ key: 'centre', name: 'Centre' }) });

describe('screenPart', () => {
  it('accepts whole a part a certified admin device signed and uploaded, others’ records and authority included', () => {
    const events = [settings(ADMIN), erasure(ADMIN), visit(TABLET)];
    expect(screenPart(events, { uploader: ADMIN, signedBy: ADMIN, receivedAt: '2026-07-01T10:00:00.000Z' }, SINCE)).toEqual({ accepted: events, setAside: {} });
  });

  it('sets aside authority from a device that is not a certified admin’s, and records in another device’s name', () => {
    const own = [registration(TABLET), visit(TABLET)];
    const events = [...own, settings(TABLET), erasure(TABLET), visit(ADMIN)];
    expect(screenPart(events, { uploader: TABLET, signedBy: null, receivedAt: '2026-07-01T10:00:00.000Z' }, SINCE)).toEqual({
      accepted: own,
      setAside: { not_admin: 2, other_device: 1 },
    });
  });

  it('treats an admin’s signed part uploaded by another device as that device’s own, unsigned', () => {
    const events = [settings(ADMIN)];
    expect(screenPart(events, { uploader: TABLET, signedBy: ADMIN, receivedAt: '2026-07-01T10:00:00.000Z' }, SINCE)).toEqual({
      accepted: [],
      setAside: { other_device: 1 },
    });
  });

  it('reads an unsigned part from before signing began as it was read then', () => {
    const events = [settings(TABLET), visit(ADMIN)].map((e) => ({ ...e, at: '2026-05-31T09:00:00.000Z' }));
    expect(screenPart(events, { uploader: TABLET, signedBy: null, receivedAt: '2026-05-31T23:59:59.999Z' }, SINCE).accepted).toEqual(events);
    expect(screenPart(events, { uploader: TABLET, signedBy: null, receivedAt: null }, SINCE).accepted).toEqual([]);
  });

  it('reads every part as before on a device that has not yet learnt when signing began', () => {
    const events = [{ ...settings(TABLET), at: '2026-07-01T09:59:00.000Z' }];
    expect(screenPart(events, { uploader: TABLET, signedBy: null, receivedAt: '2026-07-01T10:00:00.000Z' }, null).accepted).toEqual(events);
  });
});

describe('screenPart, from before signing began', () => {
  it('sets aside a change only an admin may make that is dated after the server received it, and keeps the rest', () => {
    const received = '2026-05-01T10:00:00.000Z';
    const ahead = { ...settings(TABLET), at: '2099-01-01T00:00:00.000Z' };
    const withinClock = { ...erasure(TABLET), at: '2026-05-01T10:04:00.000Z' };
    const aheadVisit = { ...visit(TABLET), at: '2099-01-01T00:00:00.000Z' };
    expect(screenPart([ahead, withinClock, aheadVisit], { uploader: TABLET, signedBy: null, receivedAt: received }, SINCE)).toEqual({
      accepted: [withinClock, aheadVisit],
      setAside: { dated_ahead: 1 },
    });
  });
});
