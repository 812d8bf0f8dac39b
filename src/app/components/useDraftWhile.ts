import { useEffect } from 'react';
import { useFootfall } from '../store.ts';

/**
 * While a form that stays on screen (outreach, casework) holds unsaved answers, an app update is
 * not offered, as for a dialog (useDraftOpen); an empty form never holds an update back.
 */
export function useDraftWhile(dirty: boolean): void {
  useEffect(() => {
    if (!dirty) return;
    useFootfall.setState({ draftOpen: true });
    return () => useFootfall.setState({ draftOpen: false });
  }, [dirty]);
}
