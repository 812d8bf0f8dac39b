/**
 * Import of historic records from CSV (docs/counting.md#import): choose a file, see every line that needs
 * fixing or what importing it would add, then confirm. Nothing is written before the confirm,
 * and a file with any bad line cannot be imported at all.
 */
import { useId, useRef, useState, type ChangeEvent } from 'react';
import { RECORD_COLUMNS, type ImportError } from '../../../domain/recordsCsv.ts';
import { ErrorAlert, useAction } from '../../shared/useAction.tsx';
import type { SyncClient } from '../../sync/client.ts';
import { checkImport, commitImport, type ImportPreview } from './importRecords.ts';

/** Enough to fix a file in one go without making the page unusable; the count says how many more. */
const ERRORS_SHOWN = 200;

type Checked = { name: string; errors: ImportError[] } | { name: string; preview: ImportPreview };

export function ImportPanel({ onImported, client }: { onImported?: () => void; client?: SyncClient }) {
  const [checked, setChecked] = useState<Checked | null>(null);
  const [done, setDone] = useState('');
  const { run, error, busy } = useAction();
  const input = useRef<HTMLInputElement>(null);
  const id = useId();

  function choose(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    setChecked(null);
    setDone('');
    if (!file) return;
    void run(async () => {
      const result = await checkImport(await file.text(), client ? { client } : {});
      setChecked(result.ok ? { name: file.name, preview: result.preview } : { name: file.name, errors: result.errors });
    });
  }

  function confirm(preview: ImportPreview) {
    void run(async () => {
      const added = await commitImport(preview, client ? { client } : {});
      setChecked(null);
      if (input.current) input.current.value = '';
      const women = preview.newWomen ? ` and ${plural(preview.newWomen, 'new woman', 'new women')}` : '';
      setDone(
        added === 0
          ? 'Nothing new was imported: every record in the file was already here.'
          : `Imported ${plural(added, 'record')}${women}. They count in reports now and reach the server at the next sync.`,
      );
      onImported?.();
    });
  }

  const preview = checked && 'preview' in checked ? checked.preview : null;
  const errors = checked && 'errors' in checked ? checked.errors : null;
  const toAdd = preview ? preview.visits + preview.outreachContacts + preview.caseworkSessions : 0;

  return (
    <section aria-labelledby={`${id}-title`} className="card no-print">
      <h2 id={`${id}-title`}>Import records</h2>
      <p className="hint" id={`${id}-hint`}>
        A CSV file with a header row and the columns {RECORD_COLUMNS.join(', ')}, as the raw records export writes them. The file is checked in
        full first; nothing is written until you confirm.
      </p>
      <label>
        CSV file of records
        <input ref={input} type="file" accept=".csv,text/csv" onChange={choose} disabled={busy} aria-describedby={`${id}-hint`} />
      </label>
      {busy && (
        <p role="status" className="muted">
          {preview ? 'Importing…' : 'Checking the file…'}
        </p>
      )}

      {errors && (
        <div role="alert" className="warning">
          <p>
            {checked?.name} cannot be imported: {plural(new Set(errors.map((e) => e.line)).size, 'line needs', 'lines need')} fixing. Nothing has
            been written. Correct the file and choose it again.
          </p>
          <ul aria-label="Lines to fix">
            {errors.slice(0, ERRORS_SHOWN).map((e, i) => (
              <li key={i}>
                Line {e.line}: {e.message}
              </li>
            ))}
          </ul>
          {errors.length > ERRORS_SHOWN && <p>…and {(errors.length - ERRORS_SHOWN).toLocaleString('en-GB')} more.</p>}
        </div>
      )}

      {preview && (
        <>
          <table className="figures-table">
            <caption>What importing {checked?.name} adds</caption>
            <tbody>
              {(
                [
                  ['Records in the file', preview.rows],
                  ['New visits', preview.visits],
                  ['New outreach contacts', preview.outreachContacts],
                  ['New casework sessions', preview.caseworkSessions],
                  ['New women', preview.newWomen],
                  ['Already imported', preview.alreadyImported],
                ] as const
              ).map(([label, n]) => (
                <tr key={label}>
                  <th scope="row">{label}</th>
                  <td className="num">{n.toLocaleString('en-GB')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {preview.placeholderWomen > 0 && (
            <p className="hint">
              {plural(preview.placeholderWomen, 'woman is', 'women are')} given by an id from elsewhere: each is added with a placeholder name
              (“Imported” and the end of her id) that you can change in the directory.
            </p>
          )}
          {toAdd === 0 && preview.newWomen === 0 ? (
            <p className="notice">Everything in this file is already imported. There is nothing to add.</p>
          ) : (
            <div className="actions">
              <button type="button" className="primary" onClick={() => confirm(preview)} disabled={busy}>
                {toAdd > 0 ? `Import ${plural(toAdd, 'record')}` : `Add ${plural(preview.newWomen, 'woman', 'women')} to the directory`}
              </button>
            </div>
          )}
        </>
      )}

      <ErrorAlert message={error} />
      <p role="status" className="notice">
        {done}
      </p>
    </section>
  );
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;
}
