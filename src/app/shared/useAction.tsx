/**
 * Runs a save or other async action for a screen, keeping its error message to show in an alert.
 * Errors are already written for the person at the desk (src/app/problems.ts).
 */
import { useCallback, useState } from 'react';
import { messageOf } from '../problems.ts';

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

export function ErrorAlert({ message }: { message: string | null }) {
  return message ? (
    <p role="alert" className="error">
      {message}
    </p>
  ) : null;
}
