import { useEffect } from 'react';
import { useFootfall } from '../store.ts';

/**
 * While a form that stays on screen (outreach, casework) holds unsaved answers, an app update is
 * not offered, as for a dialog (useDraftOpen); an empty form never holds an update back.
 */
export function useDraftWhile(dirty: boolean): void {
  // Said again after every render: a dialog over the form (registering a woman) clears the flag as it closes.
  useEffect(() => {
    if (dirty && !useFootfall.getState().draftOpen) useFootfall.setState({ draftOpen: true });
  });
  useEffect(() => {
    if (!dirty) return;
    return () => useFootfall.setState({ draftOpen: false });
  }, [dirty]);
}
