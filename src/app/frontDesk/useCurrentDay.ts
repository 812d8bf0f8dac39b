import { useEffect } from 'react';
import { useCore } from '../shared/useCore.ts';
import { refreshDay } from './visitActions.ts';

/** How often an open front-desk screen checks that its day is still today. */
const DAY_CHECK_MS = 60_000;

/**
 * Keeps a front-desk screen on today (docs/counting.md#visits): the day is read again when it
 * opens and each minute, so past midnight last night's visits leave it, and nothing is added to
 * them as if they were today's.
 */
export function useCurrentDay(): void {
  const core = useCore();
  useEffect(() => {
    const refresh = () => void refreshDay(core).catch(() => undefined);
    refresh();
    const timer = setInterval(refresh, DAY_CHECK_MS);
    return () => clearInterval(timer);
  }, [core]);
}
