/**
 * The reports screen's data hook (src/app/admin/archive/useArchive.ts) around its refresh, with the
 * archive store played by stubs: what it shows while a refresh keeps what it resolved, and what
 * stays of the records set aside when a refresh finds nothing new.
 */
import { act, renderHook, waitFor } from '@testing-library/react';
import { createElement, type ReactNode } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeviceCore } from '../../src/app/core/core.ts';
import { CoreContext } from '../../src/app/shared/useCore.ts';
import { defaultConfig } from '../../src/domain/config.ts';
import { resolveHistory } from '../../src/domain/report.ts';
import type { ArchiveSummary, RefreshOptions, RefreshResult, ReportHistory } from '../../src/app/admin/archive/archiveStore.ts';

const store = vi.hoisted(() => ({
  loadReportHistory: vi.fn(),
  refreshArchive: vi.fn(),
}));
vi.mock('../../src/app/admin/archive/archiveStore.ts', () => store);

const { useArchive } = await import('../../src/app/admin/archive/useArchive.ts');
const { useFootfall } = await import('../../src/app/store.ts');

const CONFIG = defaultConfig({ key: 'north', name: 'North Centre' });
const PERIOD = { kind: 'financialYear', startYear: 2026 } as const;
const wrapper = ({ children }: { children: ReactNode }) => createElement(CoreContext.Provider, { value: {} as DeviceCore }, children);

/** What was set aside when the archive was read: one batch's records, and one device's records bound to no one. */
const READ_SUMMARY: ArchiveSummary = {
  batches: 4,
  events: 12,
  unreadable: 0,
  setAside: [
    { deviceId: 'tablet', reason: 'not_admin', events: 1 },
    { deviceId: 'laptop', reason: 'removed_person', events: 2 },
  ],
  refreshedAt: '2026-12-07T10:00:00.000Z',
};

function opened(summary: ArchiveSummary, events = summary.events, waiting = 0): ReportHistory {
  return { history: resolveHistory([], CONFIG), events, waiting, summary, unreadableRows: 0, resolvedNow: false, keeping: Promise.resolve() };
}

beforeEach(() => {
  store.loadReportHistory.mockReset();
  store.refreshArchive.mockReset();
  useFootfall.setState({ unsynced: null });
});

describe('the reports’ data around a refresh', () => {
  it('keeps what the opening set aside when a refresh finds nothing new', async () => {
    store.loadReportHistory.mockResolvedValue(opened(READ_SUMMARY));
    // The refresh's own summary is read from the stored state: it knows nothing of records bound to no one.
    const refreshed: RefreshResult = {
      fetched: { batches: 0, events: 0 },
      summary: { ...READ_SUMMARY, setAside: [READ_SUMMARY.setAside[0]!], refreshedAt: '2026-12-07T11:00:00.000Z' },
      resolved: null,
    };
    store.refreshArchive.mockResolvedValue(refreshed);
    const { result } = renderHook(() => useArchive(CONFIG, PERIOD), { wrapper });
    await waitFor(() => expect(store.refreshArchive).toHaveBeenCalled());
    await waitFor(() => expect(result.current.summary?.refreshedAt).toBe('2026-12-07T11:00:00.000Z'));
    expect(result.current.summary?.setAside).toEqual(READ_SUMMARY.setAside);
    expect(store.loadReportHistory).toHaveBeenCalledTimes(1);
  });

  it('opens the copy again when a refresh fetched batches without a record it could resolve, so the set-aside notice stays whole', async () => {
    // A new batch set aside whole (or of directory records alone): fetched, stored, nothing resolved.
    const after: ArchiveSummary = { ...READ_SUMMARY, batches: 5, setAside: [...READ_SUMMARY.setAside, { deviceId: 'phone', reason: 'not_admin', events: 3 }] };
    store.loadReportHistory.mockResolvedValueOnce(opened(READ_SUMMARY)).mockResolvedValueOnce(opened(after));
    store.refreshArchive.mockResolvedValue({
      fetched: { batches: 1, events: 0 },
      // The refresh's own summary leaves out the records bound to no one.
      summary: { ...after, setAside: [READ_SUMMARY.setAside[0]!, after.setAside[2]!] },
      resolved: null,
    } satisfies RefreshResult);
    const { result } = renderHook(() => useArchive(CONFIG, PERIOD), { wrapper });
    await waitFor(() => expect(store.loadReportHistory).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(result.current.summary).toEqual(after));
  });

  it('refreshes once a sync has sent records that waited here when the copy was opened, and only then', async () => {
    const nothingNew: RefreshResult = { fetched: { batches: 0, events: 0 }, summary: READ_SUMMARY, resolved: null };
    useFootfall.setState({ unsynced: 47 });
    store.loadReportHistory.mockResolvedValue(opened(READ_SUMMARY, 12, 47));
    store.refreshArchive.mockResolvedValue(nothingNew);
    const { result } = renderHook(() => useArchive(CONFIG, PERIOD), { wrapper });
    await waitFor(() => expect(result.current.waiting).toBe(47));
    await waitFor(() => expect(result.current.progress).toBeNull());
    expect(store.refreshArchive).toHaveBeenCalledTimes(1);
    // A record saved meanwhile: more wait, nothing was sent.
    act(() => useFootfall.setState({ unsynced: 48 }));
    expect(store.refreshArchive).toHaveBeenCalledTimes(1);
    // A sync sent them: the copy is refreshed, and its batches say they no longer wait.
    const sent = opened({ ...READ_SUMMARY, batches: 5, events: 59 }, 60, 1);
    store.refreshArchive.mockResolvedValueOnce({ fetched: { batches: 1, events: 47 }, summary: sent.summary, resolved: sent } satisfies RefreshResult);
    act(() => useFootfall.setState({ unsynced: 1 }));
    await waitFor(() => expect(result.current.waiting).toBe(1));
    expect(store.refreshArchive).toHaveBeenCalledTimes(2);
    // With the copy and the count agreeing, nothing more is asked.
    act(() => useFootfall.setState({ unsynced: 1 }));
    expect(store.refreshArchive).toHaveBeenCalledTimes(2);
  });

  it('shows what a refresh resolved as soon as it is, while it is being kept, with its summary', async () => {
    store.loadReportHistory.mockResolvedValue(opened(READ_SUMMARY));
    const resolved = opened({ ...READ_SUMMARY, batches: 5, events: 15 });
    let kept!: (result: RefreshResult) => void;
    store.refreshArchive.mockImplementation((_core: DeviceCore, _progress: unknown, options: RefreshOptions) => {
      options.onResolved?.(resolved);
      return new Promise<RefreshResult>((res) => (kept = res));
    });
    const { result } = renderHook(() => useArchive(CONFIG, PERIOD), { wrapper });
    // The refresh has not returned (its keeping goes on), and the new history already shows.
    await waitFor(() => expect(result.current.events).toBe(15));
    expect(result.current.summary).toEqual(resolved.summary);
    expect(result.current.progress).not.toBeNull();
    await act(async () => kept({ fetched: { batches: 1, events: 3 }, summary: { ...resolved.summary, setAside: [] }, resolved }));
    await waitFor(() => expect(result.current.progress).toBeNull());
    expect(result.current.summary).toEqual(resolved.summary);
    expect(store.loadReportHistory).toHaveBeenCalledTimes(1);
  });
});
