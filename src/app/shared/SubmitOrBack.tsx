/** A form's two ways out: its primary action (disabled while it runs) and Back. */
export function SubmitOrBack({ busy, label, onBack }: { busy: boolean; label: string; onBack: () => void }) {
  return (
    <div className="actions">
      <button type="submit" className="primary" disabled={busy}>
        {label}
      </button>
      <button type="button" onClick={onBack}>
        Back
      </button>
    </div>
  );
}
