/**
 * Import of historic records from CSV (docs/counting.md#import): choose a file, decide what each
 * value the organisation does not use means, see every line that needs fixing or what importing
 * adds, then confirm. Nothing is written before the confirm, and a file with any bad line cannot
 * be imported at all.
 *
 * Old spreadsheets use their own words, many times over: a value that is none of the terms is
 * asked about once, with how many rows give it, not reported on every line. The admin maps it to
 * a term, adds it as a new one, or (in a list) leaves it out; the file is then checked again with
 * her choices, and the new terms are saved to Settings with the records.
 */
import { useId, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import {
  columnTerms,
  decodeRecordsFile,
  problemsCsv,
  RECORD_COLUMNS,
  TERM_COLUMNS,
  type Decision,
  type ImportError,
  type TermMapping,
  type UnknownTerm,
} from '../../../domain/recordsCsv.ts';
import type { OrgConfig } from '../../../domain/config.ts';
import { useSession } from '../../store.ts';
import { useCore } from '../../shared/useCore.ts';
import { ErrorAlert, useAction } from '../../shared/useAction.tsx';
import type { SyncClient } from '../../sync/client.ts';
import { downloadText } from '../../shared/download.ts';
import { checkImport, commitImport, type ImportPreview } from './importRecords.ts';

/** Enough to fix a file in one go without making the page unusable; the count says how many more. */
const ERRORS_SHOWN = 200;

/** A choice in a value's select: a term's key, or one of these. */
const ADD = ':add';
const LEAVE_OUT = ':leave-out';

/** What the admin has chosen for one value so far, by `groupId`; kept while she checks the file again. */
interface Choice {
  /** A term's key, ADD or LEAVE_OUT; empty until she chooses. */
  option: string;
  /** The new term's label, when adding: the value as the file writes it until she edits it. */
  label: string;
}

type Checked =
  | { name: string; errors: ImportError[]; unknownTerms: UnknownTerm[] }
  | { name: string; preview: ImportPreview };

export function ImportPanel({ client }: { client?: SyncClient }) {
  const core = useCore();
  const { config } = useSession();
  const [file, setFile] = useState<{ name: string; text: string; encoding: 'UTF-8' | 'Windows-1252' } | null>(null);
  /** The values to decide, as the file's first check found them. */
  const [groups, setGroups] = useState<UnknownTerm[]>([]);
  const [choices, setChoices] = useState<Record<string, Choice>>({});
  const [checked, setChecked] = useState<Checked | null>(null);
  const [done, setDone] = useState('');
  const { run, error, setError, busy } = useAction();
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  const options = client ? { client } : {};

  function choose(e: ChangeEvent<HTMLInputElement>) {
    const chosen = e.target.files?.[0];
    setChecked(null);
    setGroups([]);
    setDone('');
    if (!chosen) return setFile(null);
    void run(async () => {
      const { text, encoding } = decodeRecordsFile(new Uint8Array(await chosen.arrayBuffer()));
      setFile({ name: chosen.name, text, encoding });
      const result = await checkImport(core, text, {}, options);
      if (!result.ok) setGroups(result.unknownTerms);
      setChecked(result.ok ? { name: chosen.name, preview: result.preview } : { name: chosen.name, ...result });
    });
  }

  function checkWithChoices(event: FormEvent) {
    event.preventDefault();
    if (!file) return;
    const undecided = groups.filter((g) => !choices[groupId(g)]?.option);
    if (undecided.length > 0) {
      return setError(`Choose what ${undecided.length === 1 ? 'one value means' : `${plural(undecided.length, 'value')} mean`} first: ${undecided.map(nameOf).join(', ')}.`);
    }
    const unnamed = groups.find((g) => choices[groupId(g)]?.option === ADD && !choices[groupId(g)]?.label.trim());
    if (unnamed) return setError(`Give the new ${TERM_COLUMNS[unnamed.column].what} for “${unnamed.value}” a name.`);
    const mapping = mappingOf(groups, choices);
    setChecked(null);
    void run(async () => {
      const result = await checkImport(core, file.text, mapping, options);
      setChecked(result.ok ? { name: file.name, preview: result.preview } : { name: file.name, ...result });
    });
  }

  function decide(group: UnknownTerm, choice: Choice) {
    setChoices((all) => ({ ...all, [groupId(group)]: choice }));
    // What was previewed was worked out with the choices before this one.
    if (checked && 'preview' in checked) setChecked(null);
  }

  function confirm(preview: ImportPreview) {
    void run(async () => {
      const added = await commitImport(core, preview, options);
      setChecked(null);
      setGroups([]);
      setFile(null);
      if (input.current) input.current.value = '';
      const women = preview.newWomen ? ` and ${plural(preview.newWomen, 'new woman', 'new women')}` : '';
      setDone(
        added === 0
          ? 'Nothing new was imported: every record in the file was already here.'
          : `Imported ${plural(added, 'record')}${women}. They count in reports now and reach the server at the next sync.`,
      );
    });
  }

  /** Every line to fix and value to decide, not only those shown, to work through beside the file. */
  function downloadProblems(name: string) {
    const saved = `${name.replace(/\.csv$/i, '')}-problems.csv`;
    downloadText(saved, problemsCsv(errors, unknownTerms));
    setDone(`${saved} is in your downloads.`);
  }

  const preview = checked && 'preview' in checked ? checked.preview : null;
  const errors = checked && 'errors' in checked ? checked.errors : [];
  const unknownTerms = checked && 'unknownTerms' in checked ? checked.unknownTerms : [];
  const toAdd = preview ? preview.records : 0;

  return (
    <section aria-labelledby={`${id}-title`} className="card">
      <h2 id={`${id}-title`}>Choose a file</h2>
      <p className="hint" id={`${id}-hint`}>
        A CSV file with a header row and the columns {RECORD_COLUMNS.join(', ')}, as the raw records export writes them. The file is checked in
        full first; nothing is written until you confirm.
      </p>
      <label>
        CSV file of records
        <input autoComplete="off" ref={input} type="file" accept=".csv,text/csv" onChange={choose} disabled={busy} aria-describedby={`${id}-hint`} />
      </label>
      {busy && (
        <p role="status" className="muted">
          {preview ? 'Importing…' : 'Checking the file…'}
        </p>
      )}
      {file?.encoding === 'Windows-1252' && (
        <p className="hint">
          {file.name} is not saved as UTF-8, so it was read as Windows text (Western European), as older Excel saves “CSV”. If it holds
          letters of another alphabet, save it as “CSV UTF-8” and choose it again.
        </p>
      )}

      {checked && errors.length > 0 && (
        <div role="alert" className="warning">
          <p>
            {checked.name} cannot be imported: {plural(new Set(errors.map((e) => e.line)).size, 'line needs', 'lines need')} fixing. Nothing has
            been written. Correct the file and choose it again.
          </p>
          <ul aria-label="Lines to fix">
            {errors.slice(0, ERRORS_SHOWN).map((e, i) => (
              <li key={i}>
                Line {e.line}: {e.message}
              </li>
            ))}
          </ul>
          {errors.length > ERRORS_SHOWN && <p>…and {(errors.length - ERRORS_SHOWN).toLocaleString('en-GB')} more: download the problems to see every one.</p>}
        </div>
      )}

      {checked && errors.length + unknownTerms.length > 0 && (
        <div className="row-actions">
          <button type="button" onClick={() => downloadProblems(checked.name)}>
            Download the problems as CSV
          </button>
        </div>
      )}

      {file && groups.length > 0 && (
        <form autoComplete="off" onSubmit={checkWithChoices} aria-labelledby={`${id}-terms`} noValidate>
          <h3 id={`${id}-terms`}>
            {plural(groups.length, 'value')} in {file.name} {groups.length === 1 ? 'is' : 'are'} not among the organisation’s terms
          </h3>
          <p className="hint">
            Choose what each one means: one of the terms in Settings, a new term (added to Settings when you import), or, in a list, nothing. Every
            spelling of a value is one choice; case, accents, apostrophes, dashes and spaces do not matter.
          </p>
          <ul className="term-choices">
            {groups.map((group) => (
              <TermChoice key={groupId(group)} group={group} config={config} choice={choices[groupId(group)]} onChange={(c) => decide(group, c)} />
            ))}
          </ul>
          <div className="actions">
            <button type="submit" disabled={busy}>
              Check the file with these choices
            </button>
          </div>
        </form>
      )}

      {checked && preview && (
        <>
          <table className="figures-table">
            <caption>What importing {checked.name} adds</caption>
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
          <p className="hint">
            Visits are counted as the reports count them: one woman at one site on one day is one visit, however many times she was checked in.
          </p>
          {preview.addedTerms.length > 0 && (
            <>
              <p>Added to Settings when you import:</p>
              <ul aria-label="New terms">
                {preview.addedTerms.map((t) => (
                  <li key={`${t.column} ${t.key}`}>
                    {capitalised(TERM_COLUMNS[t.column].what)} “{t.label}”
                  </li>
                ))}
              </ul>
            </>
          )}
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

/** One value to decide: what it is, where it is, and a select of what it means. */
function TermChoice({ group, config, choice, onChange }: { group: UnknownTerm; config: OrgConfig; choice: Choice | undefined; onChange: (c: Choice) => void }) {
  const id = useId();
  const { what, many } = TERM_COLUMNS[group.column];
  const terms = columnTerms(config, group.column);
  const label = (key: string) => terms.find((t) => t.key === key)?.label ?? key;
  const current = choice ?? { option: '', label: group.value };
  const more = group.rows - group.lines.length;
  return (
    <li>
      <label>
        {nameOf(group)}
        <select autoComplete="off" value={current.option} onChange={(e) => onChange({ ...current, option: e.target.value })} aria-describedby={`${id}-where`}>
          <option value="">Choose what it means…</option>
          {terms.map((t) => (
            <option key={t.key} value={t.key}>
              {t.label}
              {t.retired ? ' (retired)' : ''}
            </option>
          ))}
          <option value={ADD}>Add it as a new {what}</option>
          {many && <option value={LEAVE_OUT}>Leave it out of the list</option>}
        </select>
      </label>
      <p className="hint" id={`${id}-where`}>
        {plural(group.rows, 'row')}: {group.lines.length === 1 ? 'line' : 'lines'} {group.lines.join(', ')}
        {more > 0 ? ` and ${more.toLocaleString('en-GB')} more` : ''}.
        {group.candidates.length > 0 && ` It could be ${group.candidates.map((k) => `“${label(k)}”`).join(' or ')}.`}
      </p>
      {current.option === ADD && (
        <label>
          Name of the new {what}
          <input value={current.label} onChange={(e) => onChange({ ...current, label: e.target.value })} maxLength={60} autoComplete="off" />
        </label>
      )}
    </li>
  );
}

/** One id per value and column, as the domain groups them. */
function groupId(group: UnknownTerm): string {
  return `${group.column}\n${group.value}`;
}

/** "Site “Riverside”": the select's label, and how a message names the value. */
function nameOf(group: UnknownTerm): string {
  return `${capitalised(TERM_COLUMNS[group.column].what)} “${group.value}”`;
}

function mappingOf(groups: readonly UnknownTerm[], choices: Readonly<Record<string, Choice>>): TermMapping {
  const mapping: Record<string, Record<string, Decision>> = {};
  for (const group of groups) {
    const choice = choices[groupId(group)];
    if (!choice) continue;
    const decision: Decision = choice.option === ADD ? { add: choice.label } : choice.option === LEAVE_OUT ? { leaveOut: true } : choice.option;
    (mapping[group.column] ??= {})[group.value] = decision;
  }
  return mapping;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;
}
