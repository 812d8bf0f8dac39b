import { useRef, useState } from 'react';
import { refreshDay, todaysVisitOf } from './visitActions.ts';
import { useCore } from '../shared/useCore.ts';
import { useCurrentDay } from './useCurrentDay.ts';
import { CheckInPanel } from './CheckInPanel.tsx';
import { MatchingWomen } from '../directory/MatchingWomen.tsx';
import { RegisterForm } from '../directory/RegisterForm.tsx';
import { useFootfall, useSession } from '../store.ts';

type Open = { kind: 'checkIn'; womanId: string | null; justRegistered?: boolean } | { kind: 'register' } | null;

/** Find her, tick services, save: three taps for a woman who has been before. */
export function CheckInScreen() {
  const core = useCore();
  useCurrentDay();
  const session = useSession();
  const siteKey = useFootfall((s) => s.identity?.siteKey ?? '');
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState<Open>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);

  function finished(message: string | null) {
    setOpen(null);
    if (message) {
      setNotice(message);
      setQuery('');
    }
    searchRef.current?.focus();
  }

  return (
    <section aria-labelledby="check-in-title">
      <h1 id="check-in-title">Check in</h1>
      <p role="status" className="notice" aria-live="polite">
        {notice}
      </p>
      <label className="search">
        Find a woman by the name she goes by
        <input
          ref={searchRef}
          type="search"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setNotice(null);
            // "Here today" is for today: past midnight, the list is read again for the new day.
            void refreshDay(core).catch(() => undefined);
          }}
          autoComplete="off"
          autoFocus
        />
      </label>
      <MatchingWomen
        query={query}
        limit={12}
        onChoose={(womanId) => setOpen({ kind: 'checkIn', womanId })}
        badgeOf={(womanId) => (todaysVisitOf(session, siteKey, womanId) ? 'here today' : null)}
      />
      <div className="actions">
        <button type="button" onClick={() => setOpen({ kind: 'register' })}>
          {query.trim() ? `Register “${query.trim()}” as new` : 'Register a new woman'}
        </button>
        <button type="button" onClick={() => setOpen({ kind: 'checkIn', womanId: null })}>
          Anonymous visit
        </button>
      </div>
      {open?.kind === 'checkIn' && <CheckInPanel womanId={open.womanId} justRegistered={open.justRegistered ?? false} onDone={finished} />}
      {open?.kind === 'register' && (
        <RegisterForm
          initialName={query.trim()}
          onDone={(woman) => (woman ? setOpen({ kind: 'checkIn', womanId: woman.id, justRegistered: true }) : finished(null))}
        />
      )}
    </section>
  );
}
