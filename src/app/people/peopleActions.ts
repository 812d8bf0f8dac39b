/**
 * The organisation's people (docs/security.md#people). On the admin device: adding a person once,
 * changing what she does, giving her a new personal code, removing her; each is a signed staff
 * event every device follows. On any device: a person sets her own PIN with her code, and changes it.
 */
import { unwrapRoot, wrapRoot } from '../../crypto/keyring.ts';
import { generatePersonalCode, personalCodeCheck } from '../../crypto/personalCode.ts';
import type { EventOf, FootfallEvent } from '../../domain/events.ts';
import { EMPTY_ROSTER, peopleFor, type Person, type Roster } from '../../domain/people.ts';
import type { DeviceCore } from '../core/core.ts';
import type { Role } from '../core/database.ts';
import { activeStaff, readEnrolment, saveStaff, staffMember } from '../core/device.ts';
import { pinProblem } from '../lock/lockPolicy.ts';
import { ClientError } from '../problems.ts';
import { requireCertifiedAdmin } from '../settings/settingsActions.ts';
import { admit } from './admit.ts';
import { timelessPersonId } from '../../crypto/ids.ts';

/** How long a personal code may wait to be used. */
export const PERSONAL_CODE_DAYS = 14;

export interface PersonInput {
  name: string;
  roles: Role[];
  /** The sites she works at; null: any. */
  sites: string[] | null;
}

/** The organisation's people as this device last heard. */
export async function roster(core: DeviceCore): Promise<Roster> {
  return (await core.vault.loadDirectoryState())?.people ?? EMPTY_ROSTER;
}

/** Adds a person; her personal code is shown once, to give her on paper. */
export async function addPerson(core: DeviceCore, input: PersonInput): Promise<{ personId: string; code: string }> {
  const personId = timelessPersonId();
  const code = generatePersonalCode();
  await publishPerson(core, personId, input, await codeFor(code, personId));
  return { personId, code };
}

/** Changes her name, what she does or where; her code, if any, still stands. */
export async function changePerson(core: DeviceCore, personId: string, input: PersonInput): Promise<void> {
  const person = await current(core, personId);
  await publishPerson(core, personId, input, person.code);
}

/** A fresh personal code (a forgotten PIN, a new device, or the last one expired): the one before stops working. */
export async function newPersonalCode(core: DeviceCore, personId: string): Promise<string> {
  const person = await current(core, personId);
  const code = generatePersonalCode();
  await publishPerson(core, personId, person, await codeFor(code, personId));
  return code;
}

/** Removes her from the organisation: her PIN stops working on every device as it syncs. */
export async function removePerson(core: DeviceCore, personId: string): Promise<void> {
  if (personId === core.staff.id) throw new ClientError('remove_yourself');
  await current(core, personId);
  await publish(core, { ...core.stamp(), type: 'staff.removed', personId });
}

/** The people who may set their PIN on this device: those whose work and site are this device's. */
export async function peopleForThisDevice(core: DeviceCore): Promise<Person[]> {
  const role = (await readEnrolment())?.role ?? 'admin';
  return peopleFor(await roster(core), role, role === 'outreach' ? null : core.identity.siteKey);
}

/** On a device someone has unlocked: a colleague sets her own PIN here with her personal code. */
export async function addMeToThisDevice(core: DeviceCore, personId: string, code: string, pin: string): Promise<string> {
  const person = (await peopleForThisDevice(core)).find((p) => p.id === personId);
  if (!person) throw new ClientError('choose_name');
  const role = (await readEnrolment())?.role ?? 'admin';
  const row = await admit(core.keyring, person, role, code, pin, await staffMember(personId));
  await saveStaff(row);
  return row.name;
}

/** The person signed in changes her own PIN on this device. */
export async function changeMyPin(core: DeviceCore, currentPin: string, pin: string): Promise<void> {
  const problem = pinProblem(pin);
  if (problem) throw new ClientError('input', { message: problem });
  const me = await staffMember(core.staff.id);
  if (!me || me.removed) throw new ClientError('person_gone');
  const opened = await unwrapRoot(me.wrappedRoot, currentPin, me.id);
  if (!opened) throw new ClientError('pin_wrong');
  opened.root.fill(0);
  await saveStaff({ ...me, wrappedRoot: await wrapRoot(core.keyring, pin, me.id) });
}

async function codeFor(code: string, personId: string): Promise<NonNullable<Person['code']>> {
  const expiresAt = new Date(Date.now() + PERSONAL_CODE_DAYS * 86_400_000).toISOString();
  return { codeId: crypto.randomUUID(), check: await personalCodeCheck(code, personId), expiresAt };
}

async function current(core: DeviceCore, personId: string): Promise<Person> {
  const person = (await roster(core)).people[personId];
  if (!person) throw new ClientError('person_gone');
  return person;
}

async function publishPerson(core: DeviceCore, personId: string, input: PersonInput, code: Person['code']): Promise<void> {
  const name = input.name.trim();
  if (!name) throw new ClientError('person_name_missing');
  if (!input.roles.length) throw new ClientError('person_roles_missing');
  const roles = [...new Set(input.roles)];
  await publish(core, { ...core.stamp(), type: 'staff.saved', personId, name, roles, sites: input.sites && [...new Set(input.sites)], code });
}

/**
 * A staff event, signed with the admin device's next batch and applied here at once. The first
 * one brings the people of this laptop in before it: they become the organisation's first people,
 * under the ids their records already carry.
 */
function publish(core: DeviceCore, event: EventOf<'staff.saved' | 'staff.removed'>): Promise<void> {
  return core.serially(async () => {
    await requireCertifiedAdmin(core);
    const first = (await roster(core)).since === null;
    const people: FootfallEvent[] = first
      ? (await activeStaff()).map((row) => ({ ...core.stamp(), type: 'staff.saved', personId: row.id, name: row.name, roles: [row.role], sites: null, code: null }))
      : [];
    const events = [...people, event];
    await core.foldDirectory(events, events);
  });
}
