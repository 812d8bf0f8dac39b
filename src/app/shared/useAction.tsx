/**
 * Runs a save or other async action for a screen, keeping its error message to show in an alert.
 * Errors from storage are already written for the person at the desk (see actions.ts).
 */
import { useCallback, useState } from 'react';

export function useAction() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = useCallback(async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await action();
    } catch (e) {
      setError(messageOf(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { run, error, setError, busy };
}

export function messageOf(error: unknown): string {
  if (error instanceof Error && error.name === 'QuotaExceededError') {
    return 'Not saved: this device is out of storage space. Free some space and try again. Everything saved before is safe.';
  }
  return error instanceof Error ? error.message : 'Something went wrong. Try again.';
}

export function ErrorAlert({ message }: { message: string | null }) {
  return message ? (
    <p role="alert" className="error">
      {message}
    </p>
  ) : null;
}
