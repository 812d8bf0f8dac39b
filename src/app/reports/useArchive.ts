/**
 * The reports screen's data: the copy on this device opened at once (so reports show offline),
 * then refreshed from the server with progress, then opened again if anything new came.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { FootfallEvent } from '../../domain/events.ts';
import { messageOf } from '../components/useAction.tsx';
import { loadHistory, refreshArchive, type ArchiveProgress, type ArchiveSummary } from './archiveStore.ts';

export interface ArchiveView {
  /** Null until the copy on this device has been opened. */
  events: FootfallEvent[] | null;
  summary: ArchiveSummary | null;
  unreadableRows: number;
  /** What the refresh running now has fetched; null when none is running. */
  progress: ArchiveProgress | null;
  /** Why the last refresh stopped short: reports still show the copy on this device. */
  error: string | null;
  refresh: (options?: { fromStart?: boolean }) => Promise<void>;
  /** Opens the copy on this device again (after an import, say); a failure is shown as `error`. */
  reload: () => Promise<void>;
}

export function useArchive(): ArchiveView {
  const [events, setEvents] = useState<FootfallEvent[] | null>(null);
  const [summary, setSummary] = useState<ArchiveSummary | null>(null);
  const [unreadableRows, setUnreadableRows] = useState(0);
  const [progress, setProgress] = useState<ArchiveProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const mounted = useRef(true);

  const open = useCallback(async () => {
    const history = await loadHistory();
    if (!mounted.current) return;
    setEvents(history.events);
    setSummary(history.summary);
    setUnreadableRows(history.unreadableRows);
  }, []);

  const reload = useCallback(async () => {
    try {
      await open();
    } catch (e) {
      if (mounted.current) setError(messageOf(e));
    }
  }, [open]);

  const refresh = useCallback(
    async (options: { fromStart?: boolean } = {}) => {
      setError(null);
      setProgress({ batches: 0, events: 0 });
      try {
        const result = await refreshArchive((p) => mounted.current && setProgress(p), options);
        if (!mounted.current) return;
        setSummary(result.summary);
        if (result.fetched.batches > 0 || options.fromStart) await open();
      } catch (e) {
        if (mounted.current) setError(messageOf(e));
      } finally {
        if (mounted.current) setProgress(null);
      }
    },
    [open],
  );

  useEffect(() => {
    mounted.current = true;
    void reload().then(() => refresh());
    return () => {
      mounted.current = false;
    };
  }, [reload, refresh]);

  return { events, summary, unreadableRows, progress, error, refresh, reload };
}
