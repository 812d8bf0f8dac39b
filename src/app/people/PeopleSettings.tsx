import { useEffect, useState, type FormEvent } from 'react';
import type { Person } from '../../domain/people.ts';
import type { Role } from '../core/database.ts';
import { ROLE_LABELS } from '../modes.ts';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';
import { useCore } from '../shared/useCore.ts';
import { useSession } from '../store.ts';
import { addPerson, newPersonalCode, PERSONAL_CODE_DAYS, removePerson, roster } from './peopleActions.ts';

interface Given {
  name: string;
  code: string;
}

/**
 * The organisation's people, on the admin device (docs/security.md#people): each is added once,
 * with what she does and where, and gets a personal code to set her own PIN on the devices she
 * uses. Removing her stops her PIN on every device as it syncs.
 */
export function PeopleSettings() {
  const core = useCore();
  const { config } = useSession();
  const [people, setPeople] = useState<Person[]>([]);
  const [given, setGiven] = useState<Given | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const { run, error } = useAction();
  const load = async () => setPeople(Object.values((await roster(core)).people).sort((a, b) => a.name.localeCompare(b.name)));
  useEffect(() => void load(), [core, config]);

  const sites = new Map(config.sites.map((s) => [s.key, s.name]));
  return (
    <section aria-labelledby="people-title" className="card">
      <h2 id="people-title">People</h2>
      <p className="hint">
        Add each person once. She sets her own PIN on each device she uses with her personal code; a device lists only the people who set a PIN on
        it.
      </p>
      <ErrorAlert message={error} />
      {given && <PersonalCode given={given} onDone={() => setGiven(null)} />}
      <ul className="term-list" aria-label="The organisation’s people">
        {people.map((p) => (
          <li key={p.id}>
            <span>
              {p.name}{' '}
              <span className="muted">
                {p.roles.map((r) => ROLE_LABELS[r]).join(', ')} · {p.sites ? p.sites.map((k) => sites.get(k) ?? k).join(', ') : 'any site'}
              </span>
            </span>
            <span className="row-actions">
              <button type="button" onClick={() => run(async () => setGiven({ name: p.name, code: await newPersonalCode(core, p.id) }))}>
                New personal code for {p.name}
              </button>
              {p.id !== core.staff.id &&
                (confirming === p.id ? (
                  <>
                    <button type="button" className="danger-quiet" onClick={() => run(async () => (await removePerson(core, p.id), setConfirming(null), await load()))}>
                      Yes, remove {p.name}
                    </button>
                    <button type="button" onClick={() => setConfirming(null)}>
                      Keep {p.name}
                    </button>
                  </>
                ) : (
                  <button type="button" className="danger-quiet" onClick={() => setConfirming(p.id)}>
                    Remove {p.name}
                  </button>
                ))}
            </span>
          </li>
        ))}
      </ul>
      <AddPerson onAdded={async (g) => (setGiven(g), await load())} />
    </section>
  );
}

const ROLES: Role[] = ['frontDesk', 'outreach', 'casework', 'admin'];

function AddPerson({ onAdded }: { onAdded: (given: Given) => Promise<void> }) {
  const core = useCore();
  const { config } = useSession();
  const [name, setName] = useState('');
  const [roles, setRoles] = useState<Role[]>([]);
  const [sites, setSites] = useState<string[]>([]);
  const { run, error, busy } = useAction();
  const toggle = <T,>(list: T[], item: T) => (list.includes(item) ? list.filter((x) => x !== item) : [...list, item]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const added = await run(async () => ({ name: name.trim(), code: (await addPerson(core, { name, roles, sites: sites.length ? sites : null })).code }));
    if (!added) return;
    setName('');
    setRoles([]);
    setSites([]);
    await onAdded(added);
  }

  return (
    <form autoComplete="off" onSubmit={submit} noValidate aria-labelledby="add-person-title">
      <h3 id="add-person-title">Add a person</h3>
      <label>
        Her name, as colleagues know her
        <input value={name} onChange={(e) => setName(e.target.value)} maxLength={60} autoComplete="off" />
      </label>
      <fieldset>
        <legend>What she does</legend>
        <div className="choices">
          {ROLES.map((r) => (
            <label key={r} className="check">
              <input autoComplete="off" type="checkbox" checked={roles.includes(r)} onChange={() => setRoles(toggle(roles, r))} />
              {ROLE_LABELS[r]}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend>Where she works (none ticked: any site)</legend>
        <div className="choices">
          {config.sites
            .filter((s) => !s.retired)
            .map((s) => (
              <label key={s.key} className="check">
                <input autoComplete="off" type="checkbox" checked={sites.includes(s.key)} onChange={() => setSites(toggle(sites, s.key))} />
                {s.name}
              </label>
            ))}
        </div>
      </fieldset>
      <ErrorAlert message={error} />
      <button type="submit" disabled={busy}>
        {busy ? 'Adding…' : 'Add person'}
      </button>
    </form>
  );
}

/** A personal code, shown once: the admin writes or prints it for her. */
function PersonalCode({ given, onDone }: { given: Given; onDone: () => void }) {
  return (
    <div className="kit" role="region" aria-label={`Personal code for ${given.name}`}>
      <p>
        Give {given.name} this personal code on paper. On each device she uses she chooses her name, types the code and sets her own PIN. It works
        for {PERSONAL_CODE_DAYS} days, once on each device; a new code replaces it.
      </p>
      <label>
        {given.name}’s personal code
        <input className="code" readOnly value={given.code} autoComplete="off" />
      </label>
      <button type="button" onClick={onDone}>
        I have given it to her
      </button>
    </div>
  );
}
