/**
 * The reports screen's data: the copy on this device opened at once (so reports show offline),
 * then refreshed from the server with progress, then opened again if anything new came. What is
 * opened is the resolved history (archiveStore.loadReportHistory), once per opening; each period
 * the admin picks is then only counted. A first opening counts the period the screen opens on in
 * the report worker and shows it before the history has come over (`counted`). Records that waited
 * here when it was opened are refreshed from their batches once a sync has sent them.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { OrgConfig } from '../../../domain/config.ts';
import type { Period } from '../../../domain/periods.ts';
import { withConfig, type ExactReport, type History } from '../../../domain/report.ts';
import { messageOf } from '../../problems.ts';
import { loadReportHistory, refreshArchive, type ArchiveProgress, type ArchiveSummary, type OpeningProgress, type ReportHistory } from './archiveStore.ts';
import { useCore } from '../../shared/useCore.ts';
import { useFootfall } from '../../store.ts';

export interface ArchiveView {
  /** Null until the copy on this device has been opened (and while it is opened again in a new time zone). */
  history: History | null;
  /** How many events the history holds; null until opened. */
  events: number | null;
  /** How many of them were saved here and wait to upload (in no batch); 0 until opened. */
  waiting: number;
  summary: ArchiveSummary | null;
  unreadableRows: number;
  /** How far a first opening (every stored event resolved) has read; null when none is under way. */
  opening: OpeningProgress | null;
  /** What the refresh running now has fetched; null when none is running. */
  progress: ArchiveProgress | null;
  /** Why the last refresh stopped short: reports still show the copy on this device. */
  error: string | null;
  refresh: (options?: { fromStart?: boolean }) => Promise<void>;
  /**
   * The report of the period the screen opened on, counted from the history being opened (or just
   * opened) in the configuration it was opened in; null once another history replaces it.
   */
  counted: CountedReport | null;
}

export interface CountedReport {
  period: Period;
  config: OrgConfig;
  report: ExactReport;
}

/**
 * `config` is the organisation's configuration now: the history is opened in its time zone and
 * carries it. `opensOn` is the period the screen shows now: a first opening counts it early.
 */
export function useArchive(config: OrgConfig, opensOn: Period): ArchiveView {
  const core = useCore();
  const [opened, setOpened] = useState<ReportHistory | null>(null);
  const [summary, setSummary] = useState<ArchiveSummary | null>(null);
  const [opening, setOpening] = useState<OpeningProgress | null>(null);
  const [progress, setProgress] = useState<ArchiveProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [counted, setCounted] = useState<CountedReport | null>(null);
  const mounted = useRef(true);
  const latestConfig = useRef(config);
  latestConfig.current = config;
  const latestPeriod = useRef(opensOn);
  latestPeriod.current = opensOn;

  const open = useCallback(async () => {
    const [config, period] = [latestConfig.current, latestPeriod.current];
    setCounted(null);
    const result = await loadReportHistory(core, config, (p) => mounted.current && setOpening(p), {
      period,
      counted: (report) => mounted.current && setCounted({ period, config, report }),
    }).finally(() => mounted.current && setOpening(null));
    if (!mounted.current) return;
    setOpened(result);
    setSummary(result.summary);
  }, [core]);

  /** Opens the copy on this device again; a failure is shown as `error`. */
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
      // A refresh that stored something new resolves it, in the session's configuration: shown as
      // soon as it is, while it is kept, with its summary, which says what it set aside too.
      const show = (resolved: ReportHistory) => {
        if (!mounted.current || resolved.history.config.timeZone !== latestConfig.current.timeZone) return false;
        setCounted(null);
        setOpened(resolved);
        setSummary(resolved.summary);
        return true;
      };
      try {
        const result = await refreshArchive(core, (p) => mounted.current && setProgress(p), { ...options, onResolved: show });
        if (!mounted.current) return;
        if (result.resolved && show(result.resolved)) return;
        // No batch fetched: the records the opening set aside, bound to no one of the
        // organisation's, are as it found them (the refresh's own summary leaves them out).
        // Batches fetched but not resolved here (none held a record it could read) may have
        // changed them: the copy is opened again, which says them in full.
        const unchanged = result.fetched.batches === 0 && !options.fromStart;
        setSummary((shown) => (unchanged && shown ? { ...result.summary, setAside: shown.setAside } : result.summary));
        if (!unchanged) await open();
      } catch (e) {
        if (mounted.current) setError(messageOf(e));
      } finally {
        if (mounted.current) setProgress(null);
      }
    },
    [core, open],
  );

  useEffect(() => {
    mounted.current = true;
    void reload().then(() => refresh());
    return () => {
      mounted.current = false;
    };
  }, [reload, refresh]);

  // Records that waited here when the copy was opened go up with a sync: once fewer wait than it
  // says, it is refreshed, so they count from their batches and are no longer said to wait here.
  // Once for each pair of counts: a refresh that changes neither is not asked for again.
  const unsynced = useFootfall((s) => s.unsynced);
  const refreshedFor = useRef<string | null>(null);
  useEffect(() => {
    if (unsynced === null || progress !== null || !opened || opened.waiting <= unsynced) return;
    const counts = `${opened.waiting}/${unsynced}`;
    if (refreshedFor.current === counts) return;
    refreshedFor.current = counts;
    void refresh();
  }, [unsynced, progress, opened, refresh]);

  // Every record is dated in the organisation's time zone: a new one means opening it again.
  // Anything else in the configuration (names, labels) only changes how figures are shown.
  const sameZone = opened !== null && opened.history.config.timeZone === config.timeZone;
  useEffect(() => {
    if (opened !== null && !sameZone) void reload();
  }, [opened, sameZone, reload]);
  const history = useMemo(() => (opened && sameZone ? withConfig(opened.history, config) : null), [opened, sameZone, config]);

  return { history, events: opened?.events ?? null, waiting: opened?.waiting ?? 0, summary, unreadableRows: opened?.unreadableRows ?? 0, opening, progress, error, refresh, counted };
}
