/**
 * "Import": historic records from CSV (docs/counting.md#import), a tab of its own on the
 * organisation's admin device, as the only device that holds its records. A file is checked
 * against those records, so the organisation key is opened first, with the same form as Reports.
 * The Reports screen opens its records again whenever it is shown, imported ones included.
 */
import { useCore } from '../../shared/useCore.ts';
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
      {key ? <ImportPanel /> : <UnlockOrgKey purpose="import" />}
    </section>
  );
}
