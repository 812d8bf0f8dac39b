import { useEffect, useRef, useState } from 'react';
import { labelOf } from '../../domain/config.ts';
import { localTimeOf } from '../../domain/time.ts';
import { AreaPicker } from './AreaPicker.tsx';
import { SaveBar } from '../shared/SaveBar.tsx';
import { TermChips, TermChoice } from '../shared/TermChips.tsx';
import { useDraftWhile } from '../shared/useDraftWhile.ts';
import { useAction } from '../shared/useAction.tsx';
import { RecentRecords, knownAsOf } from '../shared/RecentRecords.tsx';
import { WhenFields, occurredAtOf, type EditedWhen } from '../shared/WhenFields.tsx';
import { WomanPicker, type WomanChoice } from '../directory/WomanPicker.tsx';
import { recentAreas, recordContact, todaysRecords, earlierRecords } from '../shared/recordActions.ts';
import { useSession } from '../store.ts';
import './outreach.css';
import { useCore } from '../shared/useCore.ts';
import { ClientError } from '../problems.ts';

interface Draft {
  when: EditedWhen | null;
  place: string;
  woman: WomanChoice | null;
  needs: string[];
  support: string[];
  referrals: string[];
}

const EMPTY: Draft = { when: null, place: '', woman: null, needs: [], support: [], referrals: [] };

/**
 * An outreach contact on a phone held in one hand: when, where, who, needs, support, referrals,
 * then Save at the bottom, in reach of the thumb. No free text anywhere (docs/security.md#what-is-recorded). Saved
 * on the phone at once, sealed, and synced whenever there is signal.
 */
export function OutreachScreen() {
  const core = useCore();
  const session = useSession();
  const { config } = session;
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [area, setArea] = useState('');
  const [recent, setRecent] = useState<string[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const { run, error, setError, busy } = useAction();
  const noticeRef = useRef<HTMLParagraphElement>(null);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setNotice(null);
    setError(null);
  };
  useDraftWhile(draft !== EMPTY);

  // Her last area is where the next contact starts.
  useEffect(() => {
    let live = true;
    void recentAreas(core).then((areas) => {
      if (!live) return;
      setRecent(areas);
      setArea((current) => current || (areas[0] ?? ''));
    });
    return () => {
      live = false;
    };
  }, [core]);

  async function save() {
    const saved = await run(async () => {
      if (!draft.woman) throw new ClientError('choose_woman_outreach');
      const occurredAt = occurredAtOf(draft.when, config.timeZone, true);
      const womanId = draft.woman.kind === 'known' ? draft.woman.id : null;
      await recordContact(core, { occurredAt, womanId, area, place: draft.place, needs: draft.needs, support: draft.support, referrals: draft.referrals });
      return { womanId, occurredAt };
    });
    if (!saved) return;
    const at = localTimeOf(saved.occurredAt ?? Date.now(), config.timeZone);
    setNotice(`Contact saved: ${knownAsOf(session.women, saved.womanId)}, ${labelOf(config.areas, area)}, ${at}. Ready for the next one.`);
    setRecent((r) => [area, ...r.filter((a) => a !== area)]);
    setDraft(EMPTY);
    noticeRef.current?.scrollIntoView?.({ block: 'center' });
  }

  return (
    <section aria-labelledby="outreach-title" className="record-screen">
      <h1 id="outreach-title">Outreach</h1>
      <p ref={noticeRef} role="status" className="notice" aria-live="polite">
        {notice}
      </p>
      <div className="record-form">
        <WhenFields timeZone={config.timeZone} edited={draft.when} onChange={(when) => set('when', when)} withTime />
        <AreaPicker
          areas={config.areas}
          value={area}
          recent={recent}
          onChange={(a) => {
            setArea(a);
            setNotice(null);
          }}
        />
        <TermChoice legend="Kind of place" terms={config.places} value={draft.place} onChange={(p) => set('place', p)} />
        <WomanPicker value={draft.woman} onChange={(w) => set('woman', w)} allowUnknown />
        <TermChips legend="Needs raised" terms={config.needs} value={draft.needs} onChange={(v) => set('needs', v)} />
        <TermChips legend="Support given" terms={config.support} value={draft.support} onChange={(v) => set('support', v)} />
        <TermChips legend="Referrals made" terms={config.referralDestinations} value={draft.referrals} onChange={(v) => set('referrals', v)} />
        <SaveBar label="Save contact" onSave={save} error={error} busy={busy} />
      </div>

      <RecentRecords
        heading="Today’s contacts on this phone"
        noun="contact"
        records={todaysRecords(session, 'outreach')}
        earlier={earlierRecords(session, 'outreach')}
        detailOf={(c) => `${labelOf(config.areas, c.area)} · ${labelOf(config.places, c.place)}`}
        voidedWithTime
        onNotice={setNotice}
      />
    </section>
  );
}
