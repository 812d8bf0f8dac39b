import { ErrorAlert } from './useAction.tsx';

interface Props {
  /** "Save contact" */
  label: string;
  onSave: () => void;
  error: string | null;
  busy: boolean;
}

/** The outreach and casework forms' last row: what went wrong, if anything, and Save, in reach of the thumb. */
export function SaveBar({ label, onSave, error, busy }: Props) {
  return (
    <div className="save-bar">
      <ErrorAlert message={error} />
      <button type="button" className="primary" onClick={onSave} disabled={busy}>
        {label}
      </button>
    </div>
  );
}
