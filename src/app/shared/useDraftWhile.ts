/**
 * Whether a form holds unsaved answers: an app update is not offered meanwhile. This is state of
 * the screen, not of the device, so it has its own small store beside the core's view.
 */
import { useEffect } from 'react';
import { create } from 'zustand';

export const useDrafts = create<{ open: boolean }>(() => ({ open: false }));

/** While a dialog (a check-in, a registration) is open, an app update is not offered. */
export function useDraftOpen(): void {
  useEffect(() => {
    useDrafts.setState({ open: true });
    return () => useDrafts.setState({ open: false });
  }, []);
}

/**
 * While a form that stays on screen (outreach, casework) holds unsaved answers, an app update is
 * not offered, as for a dialog; an empty form never holds an update back.
 */
export function useDraftWhile(dirty: boolean): void {
  // Said again after every render: a dialog over the form (registering a woman) clears the flag as it closes.
  useEffect(() => {
    if (dirty && !useDrafts.getState().open) useDrafts.setState({ open: true });
  });
  useEffect(() => {
    if (!dirty) return;
    return () => useDrafts.setState({ open: false });
  }, [dirty]);
}
