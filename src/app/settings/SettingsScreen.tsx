import { useEffect, useState, type FormEvent } from 'react';
import { keyFromLabel, OrgConfig, type Term } from '../../domain/config.ts';
import { addStaff, NOT_THE_ADMIN_DEVICE, removeStaff, resetPin, saveConfig, setDeviceSite, setUploadHold } from './settingsActions.ts';
import { useCore } from '../shared/useCore.ts';
import type { Role } from '../core/database.ts';
import { pinProblem } from '../lock/lockPolicy.ts';
import { useFootfall, useSession } from '../store.ts';
import { reportAuditIfOnline } from '../admin/care/audit.ts';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';
import { OrganisationSettings } from './OrganisationSettings.tsx';
import { PeopleSettings } from '../people/PeopleSettings.tsx';
import { ROLE_LABELS } from '../modes.ts';
import { RoleOptions } from './RoleOptions.tsx';
import { HOLD_MAX_MS, HOLD_MIN_MS } from '../core/uploadHold.ts';
import { syncNow } from '../sync/runtime.ts';
import { SecretInput } from '../shared/SecretInput.tsx';

/** The admin's settings for this device and the organisation's lists. */
export function SettingsScreen() {
  const core = useCore();
  const { config } = useSession();
  const sync = useFootfall((s) => s.sync);
  const [notice, setNotice] = useState<string | null>(null);
  const { run, error } = useAction();
  // Once enrolled, only the organisation's admin device changes its settings; every device gets them.
  const sharedFromElsewhere = sync.enrolled && sync.deviceRole !== 'admin';

  async function update(change: (c: OrgConfig) => unknown, message: string, whenShared = `${message} Every device gets the change when it next syncs.`): Promise<boolean> {
    const saved = await run(async () => {
      const next = structuredClone(config);
      change(next);
      const parsed = OrgConfig.safeParse(next);
      if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'That setting is not valid.');
      await saveConfig(core, parsed.data);
      return true;
    });
    if (!saved) return false;
    setNotice(sync.enrolled ? whenShared : message);
    void reportAuditIfOnline(core, 'config.changed');
    return true;
  }

  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <p role="status" className="notice" aria-live="polite">
        {notice}
      </p>
      <ErrorAlert message={error} />
      <DeviceSettings
        onSiteChange={(key) => run(async () => (await setDeviceSite(core, key), setNotice('Site changed for this device.')))}
        onHoldChange={(on) =>
          run(async () => {
            await setUploadHold(core, on);
            setNotice(on ? `Records from this device now wait ${HOLD_WINDOW} before they are sent.` : 'Records from this device are now sent soon after they are saved.');
            // What was held goes now, not at its time.
            if (!on) void syncNow();
          })
        }
      />
      {sharedFromElsewhere ? (
        <section aria-labelledby="lists-title" className="card">
          <h2 id="lists-title">The organisation’s settings</h2>
          <p>{NOT_THE_ADMIN_DEVICE}</p>
        </section>
      ) : (
        <>
          {sync.enrolled && <ShareSettings onShare={() => update(() => undefined, '', 'These settings are shared: every device gets them when it next syncs.')} />}
          {/* Keyed by what is saved: a change made elsewhere (set-up, another admin) shows at once, and Save never writes back a stale value. */}
          <OrganisationName key={`name:${config.name}`} name={config.name} onSave={(name) => update((c) => (c.name = name), 'Organisation name saved.')} />
          <IdleLock key={`idle:${config.idleLockMinutes}`} minutes={config.idleLockMinutes} onSave={(m) => update((c) => (c.idleLockMinutes = m), `The app now locks after ${m} minutes idle.`)} />
          <TermList
            title="Services"
            itemName="service"
            items={config.services}
            onChange={(items, message) => update((c) => (c.services = items), message)}
          />
          <TermList
            title="Sites"
            itemName="site"
            items={config.sites.map((s) => ({ key: s.key, label: s.name, retired: s.retired }))}
            onChange={(items, message) => update((c) => (c.sites = items.map((i) => ({ key: i.key, name: i.label, retired: i.retired }))), message)}
          />
          <OtherLists config={config} onChange={(change, message) => update(change, message)} />
          <SafeguardingNote key={`note:${config.safeguardingNote}`} note={config.safeguardingNote} onSave={(note) => update((c) => (c.safeguardingNote = note), 'Safeguarding note saved.')} />
        </>
      )}
      {/* The organisation's people are managed on an admin device; before the organisation exists, the laptop's own staff (its first people). */}
      {sync.enrolled ? sync.deviceRole === 'admin' && <PeopleSettings /> : <StaffSettings />}
      <OrganisationSettings />
    </section>
  );
}

/**
 * Until the admin device first shares its settings, every other device keeps the ones it was set
 * up with. Any change shares them too; this shares them as they are.
 */
function ShareSettings({ onShare }: { onShare: () => Promise<boolean> }) {
  const core = useCore();
  const { config } = useSession();
  const [shared, setShared] = useState<boolean | null>(null);
  // Read again after each change of the settings: a change shares them too.
  useEffect(() => {
    let live = true;
    void core.vault.loadDirectoryState().then((state) => live && setShared(Boolean(state?.configChange)));
    return () => void (live = false);
  }, [core, config]);
  if (shared !== false) return null;
  return (
    <section aria-labelledby="share-title" className="card">
      <h2 id="share-title">Share these settings</h2>
      <p>The other devices keep the settings they were set up with until this device shares its own: services, sites, lists and the lock time.</p>
      <button type="button" onClick={() => void onShare().then((done) => done && setShared(true))}>
        Share these settings with every device
      </button>
    </section>
  );
}

/** The other configurable lists: the optional questions about a woman, outreach and casework terms. */
const OTHER_LISTS = {
  ageBand: { title: 'Age bands', itemName: 'age band' },
  nationality: { title: 'Nationalities or regions', itemName: 'nationality or region' },
  ethnicity: { title: 'Ethnicities', itemName: 'ethnicity' },
  housing: { title: 'Housing situations', itemName: 'housing situation' },
  exploitation: { title: 'Forms of exploitation', itemName: 'form of exploitation' },
  referralSource: { title: 'Referral sources', itemName: 'referral source' },
  areas: { title: 'Outreach areas', itemName: 'area' },
  places: { title: 'Outreach places', itemName: 'place' },
  needs: { title: 'Needs raised', itemName: 'need' },
  support: { title: 'Support given', itemName: 'kind of support' },
  referralDestinations: { title: 'Referral destinations', itemName: 'referral destination' },
  caseworkTopics: { title: 'Casework topics', itemName: 'topic' },
  caseworkOutcomes: { title: 'Casework outcomes', itemName: 'outcome' },
} as const;
type OtherList = keyof typeof OTHER_LISTS;
type DetailList = keyof OrgConfig['terms'];

const DETAIL_LISTS: Record<DetailList, true> = { ageBand: true, nationality: true, ethnicity: true, housing: true, exploitation: true, referralSource: true };
const isDetailList = (list: OtherList): list is DetailList => list in DETAIL_LISTS;

function termsOf(config: OrgConfig, list: OtherList): Term[] {
  return isDetailList(list) ? config.terms[list] : config[list];
}

/** Sets a list's terms; an age band keeps its under-18 flag (a new one is not under 18). */
function setTerms(config: OrgConfig, list: OtherList, items: Term[]): void {
  if (list === 'ageBand') {
    const before = new Map(config.terms.ageBand.map((band) => [band.key, band.under18]));
    config.terms.ageBand = items.map((i) => ({ ...i, under18: before.get(i.key) ?? false }));
  } else if (isDetailList(list)) config.terms[list] = items;
  else config[list] = items;
}

function OtherLists({ config, onChange }: { config: OrgConfig; onChange: (change: (c: OrgConfig) => void, message: string) => void }) {
  const [list, setList] = useState<OtherList>('ageBand');
  const { title, itemName } = OTHER_LISTS[list];
  return (
    <section aria-labelledby="other-lists-title" className="card">
      <h2 id="other-lists-title">Other lists</h2>
      <p className="hint">The words offered for a woman’s details, outreach contacts and casework. Partner agencies may use different ones.</p>
      <label>
        List to edit
        <select autoComplete="off" value={list} onChange={(e) => setList(e.target.value as OtherList)}>
          {Object.entries(OTHER_LISTS).map(([value, l]) => (
            <option key={value} value={value}>
              {l.title}
            </option>
          ))}
        </select>
      </label>
      <TermList
        key={list}
        nested
        title={title}
        itemName={itemName}
        items={termsOf(config, list)}
        onChange={(items, message) => onChange((c) => setTerms(c, list, items), `${title}: ${message}`)}
      />
    </section>
  );
}

/** "a random 5 to 30 minutes" */
const HOLD_WINDOW = `a random ${HOLD_MIN_MS / 60_000} to ${HOLD_MAX_MS / 60_000} minutes`;

function DeviceSettings({ onSiteChange, onHoldChange }: { onSiteChange: (siteKey: string) => void; onHoldChange: (on: boolean) => void }) {
  const { config } = useSession();
  const identity = useFootfall((s) => s.identity);
  const sync = useFootfall((s) => s.sync);
  const siteKey = identity?.siteKey ?? '';
  // The organisation's shared settings may no longer list the site this device was set to.
  const known = config.sites.some((s) => s.key === siteKey && !s.retired);
  return (
    <section aria-labelledby="device-title" className="card">
      <h2 id="device-title">This device</h2>
      <p>{identity?.deviceName}</p>
      {sync.enrolled && sync.deviceRole !== 'admin' ? (
        // A joined device is at the site the admin signed for it, and moves only when she moves it (docs/security.md#devices).
        sync.deviceRole !== 'outreach' && (
          <p>
            Site: {config.sites.find((s) => s.key === siteKey)?.name ?? 'not one the organisation lists'} (set by the admin)
          </p>
        )
      ) : (
        <>
          {!known && (
            <p role="alert" className="warning">
              The organisation’s settings no longer list this device’s site. Choose the site this device is used at, so its visits are counted at
              the right place.
            </p>
          )}
          <label>
            Site this device is used at
            <select autoComplete="off" value={known ? siteKey : ''} onChange={(e) => onSiteChange(e.target.value)}>
              {!known && (
                <option value="" disabled>
                  Choose a site
                </option>
              )}
              {config.sites
                .filter((s) => !s.retired)
                .map((s) => (
                  <option key={s.key} value={s.key}>
                    {s.name}
                  </option>
                ))}
            </select>
          </label>
        </>
      )}
      {/* Only a device that sends has uploads to hold (docs/sync.md#held-uploads). */}
      {sync.enrolled && !sync.revoked && (
        <>
          <label className="check">
            <input autoComplete="off" type="checkbox" checked={sync.holdsUploads} onChange={(e) => onHoldChange(e.target.checked)} aria-describedby="hold-hint" />
            Hold records for a random time before sending
          </label>
          <p id="hold-hint" className="hint">
            Records wait {HOLD_WINDOW} after they are saved, so the server cannot tell when they were made. Meanwhile they are only on this
            device: if it is lost, so are they. Anyone can still send them at once with Send now. On by default on outreach phones.
          </p>
        </>
      )}
    </section>
  );
}

function IdleLock({ minutes, onSave }: { minutes: number; onSave: (m: number) => void }) {
  const [value, setValue] = useState(String(minutes));
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <section aria-labelledby="idle-title" className="card">
      <h2 id="idle-title">Automatic lock</h2>
      <form autoComplete="off"
        onSubmit={(e) => {
          e.preventDefault();
          const m = Number(value);
          if (!Number.isInteger(m) || m < 1 || m > 240) return setProblem('Enter a whole number of minutes from 1 to 240.');
          setProblem(null);
          onSave(m);
        }}
        noValidate
      >
        <label>
          Lock after this many minutes without use
          <input autoComplete="off" type="number" inputMode="numeric" min={1} max={240} value={value} onChange={(e) => setValue(e.target.value)} />
        </label>
        <ErrorAlert message={problem} />
        <button type="submit">Save lock time</button>
      </form>
    </section>
  );
}

/** A configurable list: rename is not offered so that keys and their meaning stay stable. */
function TermList({
  title,
  itemName,
  items,
  onChange,
  nested = false,
}: {
  title: string;
  itemName: string;
  items: Term[];
  onChange: (items: Term[], message: string) => void;
  /** Shown inside another card, under its heading. */
  nested?: boolean;
}) {
  const [label, setLabel] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  function add(event: FormEvent) {
    event.preventDefault();
    const trimmed = label.trim();
    if (!trimmed) return setProblem(`Enter the new ${itemName}'s name.`);
    const key = keyFromLabel(trimmed);
    if (items.some((i) => i.key === key)) return setProblem(`There is already a ${itemName} called “${trimmed}”.`);
    setProblem(null);
    setLabel('');
    onChange([...items, { key, label: trimmed, retired: false }], `${trimmed} added.`);
  }
  const id = `${keyFromLabel(itemName)}-title`;
  const Heading = nested ? 'h3' : 'h2';
  return (
    <section aria-labelledby={id} className={nested ? undefined : 'card'}>
      <Heading id={id}>{title}</Heading>
      <ul className="term-list">
        {items.map((item) => (
          <li key={item.key}>
            <span className={item.retired ? 'muted' : undefined}>
              {item.label}
              {item.retired && ' (retired)'}
            </span>
            <button
              type="button"
              onClick={() =>
                onChange(
                  items.map((i) => (i.key === item.key ? { ...i, retired: !i.retired } : i)),
                  `${item.label} ${item.retired ? 'brought back' : 'retired'}.`,
                )
              }
            >
              {item.retired ? `Bring back ${item.label}` : `Retire ${item.label}`}
            </button>
          </li>
        ))}
      </ul>
      <form autoComplete="off" onSubmit={add} noValidate className="inline-form">
        <label>
          New {itemName}
          <input value={label} onChange={(e) => setLabel(e.target.value)} maxLength={60} autoComplete="off" />
        </label>
        <button type="submit">Add {itemName}</button>
      </form>
      <ErrorAlert message={problem} />
    </section>
  );
}

/** The name printed at the top of every report, so a printed page says whose figures they are. */
function OrganisationName({ name, onSave }: { name: string; onSave: (n: string) => void }) {
  const [value, setValue] = useState(name);
  return (
    <section aria-labelledby="org-name-title" className="card">
      <h2 id="org-name-title">Organisation name</h2>
      <label>
        Printed at the top of every report
        <input value={value} onChange={(e) => setValue(e.target.value)} maxLength={120} autoComplete="off" />
      </label>
      <button type="button" onClick={() => onSave(value)}>
        Save name
      </button>
    </section>
  );
}

function SafeguardingNote({ note, onSave }: { note: string; onSave: (n: string) => void }) {
  const [value, setValue] = useState(note);
  return (
    <section aria-labelledby="safeguarding-title" className="card">
      <h2 id="safeguarding-title">Safeguarding note</h2>
      <label>
        Shown when a woman’s age is recorded as under 18
        <textarea autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} maxLength={600} rows={3} />
      </label>
      <button type="button" onClick={() => onSave(value)}>
        Save note
      </button>
    </section>
  );
}

function StaffSettings() {
  const staff = useFootfall((s) => s.staff);
  const core = useCore();
  const me = useSession().staff;
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('frontDesk');
  const [pin, setPin] = useState('');
  const { run, error, setError, busy } = useAction();
  const [notice, setNotice] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [resetting, setResetting] = useState<string | null>(null);

  async function add(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) return setError('Enter her name.');
    const problem = pinProblem(pin);
    if (problem) return setError(problem);
    if (await run(async () => (await addStaff(core, name, role, pin), true))) {
      void reportAuditIfOnline(core, 'staff.changed');
      setNotice(`${name.trim()} can now unlock this device with her PIN.`);
      setName('');
      setPin('');
    }
  }

  return (
    <section aria-labelledby="staff-title" className="card">
      <h2 id="staff-title">Staff on this device</h2>
      <ul className="term-list">
        {staff.map((s) => (
          <li key={s.id}>
            <span>
              {s.name} <span className="muted">{ROLE_LABELS[s.role]}</span>
            </span>
            {resetting === s.id ? (
              <NewPin
                name={s.name}
                onCancel={() => setResetting(null)}
                onSave={async (newPin) => {
                  if (await run(async () => (await resetPin(core, s.id, newPin), true))) {
                    void reportAuditIfOnline(core, 'staff.changed');
                    setResetting(null);
                    setNotice(`${s.name}’s PIN is changed. Her old PIN no longer unlocks this device.`);
                  }
                }}
              />
            ) : (
              <span className="row-actions">
                <button type="button" onClick={() => (setResetting(s.id), setConfirming(null), setError(null))}>
                  Reset PIN for {s.name}
                </button>
                {s.id !== me.id &&
                  (confirming === s.id ? (
                    <>
                      <button
                        type="button"
                        className="danger-quiet"
                        onClick={() =>
                          run(async () => {
                            await removeStaff(core, s.id);
                            void reportAuditIfOnline(core, 'staff.changed');
                            setNotice(`${s.name} can no longer unlock this device.`);
                          })
                        }
                      >
                        Yes, remove {s.name}
                      </button>
                      <button type="button" onClick={() => setConfirming(null)}>
                        Keep {s.name}
                      </button>
                    </>
                  ) : (
                    <button type="button" className="danger-quiet" onClick={() => setConfirming(s.id)}>
                      Remove {s.name}
                    </button>
                  ))}
              </span>
            )}
          </li>
        ))}
      </ul>
      <form autoComplete="off" onSubmit={add} noValidate>
        <div className="grid-2">
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
          </label>
          <label>
            Role
            <select autoComplete="off" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              <RoleOptions />
            </select>
          </label>
          <label>
            Her PIN (6 to 12 digits)
            <SecretInput kind="pin" value={pin} onChange={setPin} />
          </label>
        </div>
        <ErrorAlert message={error} />
        <p role="status">{notice}</p>
        <button type="submit" disabled={busy}>
          Add staff member
        </button>
      </form>
    </section>
  );
}

/** The admin types a new PIN for someone who forgot hers (the admin tells her in person). */
function NewPin({ name, onSave, onCancel }: { name: string; onSave: (pin: string) => void; onCancel: () => void }) {
  const [pin, setPin] = useState('');
  return (
    <form autoComplete="off"
      className="inline-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        onSave(pin);
      }}
    >
      <label>
        New PIN for {name} (6 to 12 digits)
        <SecretInput kind="pin" value={pin} onChange={setPin} autoFocus />
      </label>
      <button type="submit">Save new PIN</button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
