/**
 * Letting a person of the organisation set her own PIN on a device (docs/security.md#people): she
 * proves she is the one the admin added with her personal code, which the device checks against
 * the organisation's list, offline. A code sets her PIN once on each device, and not after it
 * expires; a new code from the admin replaces it (a forgotten PIN).
 */
import { wrapRoot, type Keyring } from '../../crypto/keyring.ts';
import { verifyPersonalCode } from '../../crypto/personalCode.ts';
import type { Person } from '../../domain/people.ts';
import type { Role, StaffRow } from '../core/database.ts';
import { pinProblem } from '../lock/lockPolicy.ts';
import { ClientError } from '../problems.ts';

/** Her row on this device, her PIN wrapping the device's keys, once her code is proven. */
export async function admit(keyring: Keyring, person: Person, deviceRole: Role, code: string, pin: string, existing?: StaffRow): Promise<StaffRow> {
  const problem = pinProblem(pin);
  if (problem) throw new ClientError('input', { message: problem });
  const offered = person.code;
  if (!offered) throw new ClientError('no_personal_code');
  if (Date.parse(offered.expiresAt) < Date.now()) throw new ClientError('personal_code_expired');
  if (existing && !existing.removed && existing.codeId === offered.codeId) throw new ClientError('personal_code_used');
  const verdict = await verifyPersonalCode(code, person.id, offered.check);
  if (!verdict.ok) throw new ClientError('input', { message: verdict.message });
  return {
    id: person.id,
    name: person.name,
    role: deviceRole,
    orgAdmin: person.roles.includes('admin'),
    codeId: offered.codeId,
    wrappedRoot: await wrapRoot(keyring, pin, person.id),
  };
}
