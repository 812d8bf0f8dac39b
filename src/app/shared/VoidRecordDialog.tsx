import { useState, type FormEvent } from 'react';
import { voidRecord } from './recordActions.ts';
import { useDraftOpen } from './useDraftWhile.ts';
import { Dialog } from './Dialog.tsx';
import { ErrorAlert, useAction } from './useAction.tsx';
import { useCore } from './useCore.ts';

/** Reasons are chosen, not typed: a record must never grow a narrative about a woman. */
const VOID_REASONS = ['Recorded twice', 'Recorded by mistake', 'Wrong details: recorded again', 'Test entry'];

interface Props {
  recordId: string;
  /** "the contact with Ana at 14:02" */
  what: string;
  onDone: (message: string | null) => void;
}

/** Voids a contact or session recorded today: it stays in the history and counts nowhere. */
export function VoidRecordDialog({ recordId, what, onDone }: Props) {
  const core = useCore();
  const [reason, setReason] = useState('');
  const { run, error, setError, busy } = useAction();
  useDraftOpen();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!reason) return setError('Choose a reason for voiding it.');
    if (await run(async () => (await voidRecord(core, recordId, reason), true))) onDone(`Voided ${what}. It no longer counts anywhere.`);
  }

  return (
    <Dialog title={`Void ${what}`} onClose={() => onDone(null)}>
      <form autoComplete="off" onSubmit={submit} noValidate>
        <p>A voided record stays in the history but counts nowhere.</p>
        <label>
          Reason
          <select autoComplete="off" value={reason} onChange={(e) => setReason(e.target.value)}>
            <option value="">Choose a reason</option>
            {VOID_REASONS.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <ErrorAlert message={error} />
        <button type="submit" className="danger" disabled={busy}>
          Void it
        </button>
      </form>
    </Dialog>
  );
}
