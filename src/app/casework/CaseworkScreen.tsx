import { useState } from 'react';
import { labelOf } from '../../domain/config.ts';
import { SaveBar } from '../shared/SaveBar.tsx';
import { TermChips, TermChoice, labelsInOrder } from '../shared/TermChips.tsx';
import { useDraftWhile } from '../shared/useDraftWhile.ts';
import { useAction } from '../shared/useAction.tsx';
import { RecentRecords, knownAsOf } from '../shared/RecentRecords.tsx';
import { WhenFields, occurredAtOf, type EditedWhen } from '../shared/WhenFields.tsx';
import { WomanPicker, type WomanChoice } from '../directory/WomanPicker.tsx';
import { recordSession, todaysRecords, earlierRecords } from '../shared/recordActions.ts';
import { useSession } from '../store.ts';
import '../outreach/outreach.css';
import { useCore } from '../shared/useCore.ts';

interface Draft {
  when: EditedWhen | null;
  woman: WomanChoice | null;
  topics: string[];
  referrals: string[];
  outcome: string;
}

const EMPTY: Draft = { when: null, woman: null, topics: [], referrals: [], outcome: '' };

/**
 * An advice or casework session with a known woman: the date, the topics covered, referrals made
 * and one outcome, each from the centre's lists. There is deliberately no notes field: records
 * can be demanded in court and can reach the people who exploit her (docs/security.md#what-is-recorded).
 */
export function CaseworkScreen() {
  const core = useCore();
  const session = useSession();
  const { config } = session;
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [notice, setNotice] = useState<string | null>(null);
  const { run, error, setError, busy } = useAction();
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setNotice(null);
    setError(null);
  };
  useDraftWhile(draft !== EMPTY);

  async function save() {
    const womanId = draft.woman?.kind === 'known' ? draft.woman.id : null;
    const saved = await run(async () => {
      const occurredAt = occurredAtOf(draft.when, config.timeZone, false);
      await recordSession(core, { occurredAt, womanId, topics: draft.topics, referrals: draft.referrals, outcome: draft.outcome });
      return true;
    });
    if (!saved || !womanId) return;
    setNotice(`Session saved for ${knownAsOf(session.women, womanId)}.`);
    setDraft(EMPTY);
  }

  return (
    <section aria-labelledby="casework-title" className="record-screen casework">
      <h1 id="casework-title">Casework</h1>
      <p role="status" className="notice" aria-live="polite">
        {notice}
      </p>
      <div className="record-form">
        <WhenFields timeZone={config.timeZone} edited={draft.when} onChange={(when) => set('when', when)} withTime={false} />
        <WomanPicker value={draft.woman} onChange={(w) => set('woman', w)} allowUnknown={false} />
        <TermChips legend="Topics" terms={config.caseworkTopics} value={draft.topics} onChange={(v) => set('topics', v)} />
        <TermChips legend="Referrals made" terms={config.referralDestinations} value={draft.referrals} onChange={(v) => set('referrals', v)} />
        <TermChoice legend="Outcome" terms={config.caseworkOutcomes} value={draft.outcome} onChange={(v) => set('outcome', v)} />
        <SaveBar label="Save session" onSave={save} error={error} busy={busy} />
      </div>

      <RecentRecords
        heading="Today’s sessions on this device"
        noun="session"
        records={todaysRecords(session, 'casework')}
        earlier={earlierRecords(session, 'casework')}
        detailOf={(c) => (
          <>
            {labelsInOrder(c.topics, config.caseworkTopics).join(', ')}
            {c.outcome ? ` · ${labelOf(config.caseworkOutcomes, c.outcome)}` : ''}
          </>
        )}
        voidedWithTime={false}
        onNotice={setNotice}
      />
    </section>
  );
}
