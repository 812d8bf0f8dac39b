/**
 * "Import": historic records from CSV (docs/counting.md#import), a tab of its own on the
 * organisation's admin device, as the only device that holds its records. A file is checked
 * against those records, so the organisation key is opened first, with the same form as Reports.
 * The Reports screen opens its records again whenever it is shown, imported ones included.
 */
import { useState } from 'react';
import { ErrorAlert, useAction } from '../../shared/useAction.tsx';
import { useCore } from '../../shared/useCore.ts';
import { importRecordsFile } from './recordsFileImport.ts';
import { useOrgKey } from '../orgKey.ts';
import { UnlockOrgKey } from '../UnlockOrgKey.tsx';
import { ImportPanel } from './ImportPanel.tsx';
// The unlock form's switch and the preview's table look as they do on the Reports screen.
import '../reports/reports.css';

export function ImportScreen() {
  const core = useCore();
  const key = useOrgKey(core);
  return (
    <section aria-labelledby="import-title">
      <h1 id="import-title">Import records</h1>
      <p>
        Records kept before Footfall, in a spreadsheet saved as CSV, or exported from another Footfall organisation. Imported records count in
        reports at once and reach the server at the next sync.
      </p>
      {key ? (
        <>
          <ImportPanel />
          <RecordsFilePanel />
        </>
      ) : (
        <UnlockOrgKey purpose="import" />
      )}
    </section>
  );
}

/** A removed device's records, saved there as a sealed file (src/app/sync/recordsFile.ts). */
function RecordsFilePanel() {
  const core = useCore();
  const { run, error, busy } = useAction();
  const [done, setDone] = useState<string | null>(null);
  async function choose(file: File | undefined) {
    if (!file) return;
    setDone(null);
    const result = await run(async () => importRecordsFile(core, await file.text()));
    if (result) {
      const parts = [`${result.added} ${result.added === 1 ? 'record' : 'records'} added`, `${result.alreadyHeld} already held`];
      if (result.setAside) parts.push(`${result.setAside} set aside (the device had no authority to send them)`);
      if (result.unreadable) parts.push(`${result.unreadable} parts could not be opened`);
      setDone(`${parts.join(', ')}. They reach the server at the next sync.`);
    }
  }
  return (
    <section aria-labelledby="records-file-title">
      <h2 id="records-file-title">Records from a removed device</h2>
      <p>A device that was revoked offers the records it could not send as a file. Import it here; each record counts once.</p>
      <label>
        Records file (.json)
        <input autoComplete="off" type="file" accept=".json,application/json" disabled={busy} onChange={(e) => void choose(e.target.files?.[0])} />
      </label>
      <ErrorAlert message={error} />
      {done && <p role="status">{done}</p>}
    </section>
  );
}
