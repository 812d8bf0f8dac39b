/**
 * "Women's records": the admin's data care on the organisation's admin device. Merging two
 * records of one woman, erasing a woman, and the retention rule. Each asks for confirmation
 * first and says what it did.
 */
import { useDeferredValue, useState, type FormEvent } from 'react';
import { searchByName } from '../../../domain/search.ts';
import { OrgConfig } from '../../../domain/config.ts';
import { saveConfig } from '../../settings/settingsActions.ts';
import { useCore } from '../../shared/useCore.ts';
import { directorySearchIndex } from '../../directory/directory.ts';
import { ErrorAlert, useAction } from '../../shared/useAction.tsx';
import type { Woman } from '../../core/rows.ts';
import { defaultClient } from '../adminDevice.ts';
import { unlockOrgKey, useOrgKey } from '../orgKey.ts';
import { useSession } from '../../store.ts';
import { applyRetention, eraseWoman, finishErasures, mergeWomen, previewRetention, type RetentionPreview } from './careActions.ts';
import type { CompactionResult, CompactionStep } from './compaction.ts';
import { SecretInput } from '../../shared/SecretInput.tsx';

const STEPS: Record<CompactionStep, string> = {
  uploading: 'Uploading this device’s own records first…',
  reading: 'Reading the organisation’s records…',
  sealing: 'Sealing the records again without the names and details erased…',
  replacing: 'Updating this device’s copy of the records…',
};

export function CareScreen() {
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <section aria-labelledby="care-title">
      <h1 id="care-title">Women’s records</h1>
      <p role="status" className="notice" aria-live="polite">
        {notice}
      </p>
      <MergeRecords onDone={setNotice} />
      <EraseWoman onDone={setNotice} />
      <RetentionRule onDone={setNotice} />
    </section>
  );
}

function registered(woman: Woman, timeZone: string): string {
  return new Date(woman.registeredAt).toLocaleDateString('en-GB', { dateStyle: 'medium', timeZone });
}

/** Finds a woman in the directory by the name she goes by. */
function WomanPicker({ label, exclude, onPick }: { label: string; exclude?: string; onPick: (woman: Woman) => void }) {
  const session = useSession();
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query);
  const matches = searchByName(directorySearchIndex(session.women), deferred, 8).filter((w) => w.id !== exclude);
  return (
    <>
      <label className="search">
        {label}
        <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} autoComplete="off" />
      </label>
      {deferred.trim() && (
        <ul className="results" aria-label={`Matches for ${label.toLowerCase()}`}>
          {matches.length === 0 && <li className="muted">No one known as “{deferred.trim()}”.</li>}
          {matches.map((w) => (
            <li key={w.id}>
              <button type="button" className="result" onClick={() => onPick(w)}>
                {w.knownAs} <span className="muted">registered {registered(w, session.config.timeZone)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function Chosen({ title, woman, onChange }: { title: string; woman: Woman; onChange: () => void }) {
  const { config } = useSession();
  return (
    <p className="row-actions">
      <span>
        {title}: <strong>{woman.knownAs}</strong>, registered {registered(woman, config.timeZone)}
      </span>
      <button type="button" onClick={onChange}>
        Choose someone else as {title.toLowerCase()}
      </button>
    </p>
  );
}

function MergeRecords({ onDone }: { onDone: (message: string) => void }) {
  const core = useCore();
  const [keep, setKeep] = useState<Woman | null>(null);
  const [duplicate, setDuplicate] = useState<Woman | null>(null);
  const [confirming, setConfirming] = useState(false);
  const { run, error, busy } = useAction();
  const reset = () => (setKeep(null), setDuplicate(null), setConfirming(false));

  async function merge() {
    if (!keep || !duplicate) return;
    const done = await run(async () => (await mergeWomen(core, await defaultClient(), duplicate.id, keep.id), true));
    if (done) {
      onDone(`${duplicate.knownAs} is merged into ${keep.knownAs}: they are counted as one woman from now on, on every device.`);
      reset();
    }
  }

  return (
    <section aria-labelledby="merge-title" className="card">
      <h2 id="merge-title">Merge two records of the same woman</h2>
      <p className="hint">When one woman was registered twice. Her visits and contacts from both are counted as hers, once.</p>
      {keep ? <Chosen title="Record to keep" woman={keep} onChange={() => (setKeep(null), setConfirming(false))} /> : <WomanPicker label="Record to keep" exclude={duplicate?.id} onPick={setKeep} />}
      {duplicate ? (
        <Chosen title="Duplicate" woman={duplicate} onChange={() => (setDuplicate(null), setConfirming(false))} />
      ) : (
        <WomanPicker label="Duplicate" exclude={keep?.id} onPick={setDuplicate} />
      )}
      <ErrorAlert message={error} />
      {keep && duplicate && !confirming && (
        <button type="button" onClick={() => setConfirming(true)}>
          Merge {duplicate.knownAs} into {keep.knownAs}
        </button>
      )}
      {keep && duplicate && confirming && (
        <div role="group" aria-label="Confirm the merge" className="warning">
          <p>
            Merge {duplicate.knownAs} into {keep.knownAs}? From now on they are one woman, known as {keep.knownAs}, on every device. This cannot be
            undone.
          </p>
          <div className="row-actions">
            <button type="button" className="danger-quiet" onClick={merge} disabled={busy}>
              Yes, merge them
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

/** Erasure re-seals the organisation's records, so it needs their key open on this device. */
function OpenRecords() {
  const core = useCore();
  const [passphrase, setPassphrase] = useState('');
  const { run, error, busy } = useAction();
  async function submit(event: FormEvent) {
    event.preventDefault();
    await run(async () => unlockOrgKey(core, passphrase, 'passphrase', await defaultClient()));
  }
  return (
    <form autoComplete="off" onSubmit={submit} noValidate>
      <p>Erasing seals the organisation’s records again without what identifies her, so it needs the organisation key.</p>
      <label>
        Organisation passphrase
        <SecretInput kind="passphrase" value={passphrase} onChange={setPassphrase} />
      </label>
      <p className="hint">Lost it? Open Reports with the recovery code instead; the key then stays open here too until Footfall locks.</p>
      <ErrorAlert message={error} />
      <button type="submit" disabled={busy}>
        {busy ? 'Opening…' : 'Open the organisation key'}
      </button>
    </form>
  );
}

function compactionSummary(result: CompactionResult): string {
  const unread = result.unreadable ? ` ${result.unreadable} stored batches could not be opened and were left as they are; ask for help with them.` : '';
  return `${result.replaced === 1 ? 'One stored batch was' : `${result.replaced} stored batches were`} sealed again without it.${unread}`;
}

function EraseWoman({ onDone }: { onDone: (message: string) => void }) {
  const core = useCore();
  const key = useOrgKey(core);
  const [woman, setWoman] = useState<Woman | null>(null);
  const [typed, setTyped] = useState('');
  const [step, setStep] = useState<CompactionStep | null>(null);
  const { run, error, busy } = useAction();

  async function erase(event: FormEvent) {
    event.preventDefault();
    if (!woman) return;
    const result = await run(async () => eraseWoman(core, await defaultClient(), woman.id, typed, setStep));
    setStep(null);
    if (result) {
      onDone(`${woman.knownAs}’s name and details are erased. Her visits still count, under a number nothing links to her. ${compactionSummary(result)}`);
      setWoman(null);
      setTyped('');
    }
  }

  async function finish() {
    const result = await run(async () => finishErasures(core, await defaultClient(), setStep));
    setStep(null);
    if (result) onDone(result.replaced ? `Erasures finished on the server. ${compactionSummary(result)}` : 'Nothing was left to erase on the server.');
  }

  return (
    <section aria-labelledby="erase-title" className="card">
      <h2 id="erase-title">Erase a woman</h2>
      <p className="hint">
        Her known-as name and details go from every device and from the server. Her visits, contacts and sessions stay and keep counting, under a
        number nothing links to her.
      </p>
      {!key ? (
        <OpenRecords />
      ) : (
        <>
          {woman ? (
            <form autoComplete="off" onSubmit={erase} noValidate>
              <Chosen title="Woman to erase" woman={woman} onChange={() => (setWoman(null), setTyped(''))} />
              <label>
                Type her known-as name, {woman.knownAs}, to confirm
                <input value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} />
              </label>
              <button type="submit" className="danger" disabled={busy}>
                Erase {woman.knownAs}
              </button>
            </form>
          ) : (
            <WomanPicker label="Woman to erase" onPick={setWoman} />
          )}
          {step && (
            <p role="status" className="muted">
              {STEPS[step]}
            </p>
          )}
          <ErrorAlert message={error} />
          <p className="hint">If an erasure was cut short (the connection dropped), finish it here. Running it again is safe.</p>
          <button type="button" onClick={finish} disabled={busy}>
            Finish erasing on the server
          </button>
        </>
      )}
    </section>
  );
}

function RetentionRule({ onDone }: { onDone: (message: string) => void }) {
  const core = useCore();
  const { config } = useSession();
  const key = useOrgKey(core);
  const [years, setYears] = useState(config.retentionYears === null ? '' : String(config.retentionYears));
  const [preview, setPreview] = useState<RetentionPreview | null>(null);
  const [step, setStep] = useState<CompactionStep | null>(null);
  const { run, error, setError, busy } = useAction();

  async function save(event: FormEvent) {
    event.preventDefault();
    const value = years.trim() === '' ? null : Number(years);
    const parsed = OrgConfig.shape.retentionYears.safeParse(value);
    if (!parsed.success) return setError('Enter a whole number of years from 1 to 100, or leave it empty for no rule.');
    const saved = await run(async () => (await saveConfig(core, { ...config, retentionYears: parsed.data }), true));
    setPreview(null);
    if (saved) onDone(parsed.data === null ? 'No retention rule: identifying data is kept until a woman is erased.' : `Retention rule saved: ${parsed.data} years.`);
  }

  async function check() {
    const found = await run(async () => previewRetention(core, await defaultClient()));
    if (found) setPreview(found);
  }

  async function apply() {
    if (!preview) return;
    const result = await run(async () => applyRetention(core, await defaultClient(), preview, setStep));
    setStep(null);
    if (result) {
      onDone(`The retention rule is applied: ${preview.women.length === 1 ? 'one woman’s' : `${preview.women.length} women’s`} names and details are erased. Their visits still count. ${compactionSummary(result)}`);
      setPreview(null);
    }
  }

  return (
    <section aria-labelledby="retention-title" className="card">
      <h2 id="retention-title">Retention rule</h2>
      <form autoComplete="off" onSubmit={save} noValidate className="inline-form">
        <label>
          Erase a woman’s name and details when her latest record is older than this many years (empty: no rule)
          <input autoComplete="off" type="number" inputMode="numeric" min={1} max={100} value={years} onChange={(e) => setYears(e.target.value)} />
        </label>
        <button type="submit" disabled={busy}>
          Save rule
        </button>
      </form>
      {config.retentionYears !== null && (
        <>
          {!key && <p className="hint">Open the organisation key (above) to apply the rule.</p>}
          {key && !preview && (
            <button type="button" onClick={check} disabled={busy}>
              Check who the rule applies to
            </button>
          )}
          {preview && preview.women.length === 0 && <p>The rule applies to no one today.</p>}
          {preview && preview.women.length > 0 && (
            <div role="group" aria-label="Confirm the retention rule" className="warning">
              <p>
                The rule applies to {preview.women.length === 1 ? 'one woman' : `${preview.women.length} women`} with no record in the last{' '}
                {preview.years} years. Their names and details will be erased from every device and the server. Their visits still count. This
                cannot be undone.
              </p>
              <div className="row-actions">
                <button type="button" className="danger-quiet" onClick={apply} disabled={busy}>
                  Erase {preview.women.length === 1 ? 'one woman’s' : `${preview.women.length} women’s`} names and details
                </button>
                <button type="button" onClick={() => setPreview(null)}>
                  Cancel
                </button>
              </div>
            </div>
          )}
        </>
      )}
      {step && (
        <p role="status" className="muted">
          {STEPS[step]}
        </p>
      )}
      <ErrorAlert message={error} />
    </section>
  );
}
