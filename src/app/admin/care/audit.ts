/**
 * Telling the server's audit log what the admin did on her device. The server cannot see inside
 * sealed batches, so merges, erasures and settings changes are reported by the action alone:
 * never whom or what they touched.
 */
import type { ReportedAuditAction } from '../../../domain/protocol.ts';
import type { DeviceCore } from '../../core/core.ts';
import { ClientError } from '../../problems.ts';
import { adminDevice, defaultClient } from '../adminDevice.ts';
import type { SyncClient } from '../../sync/client.ts';

/** Logs the action, or throws a message saying why it could not be (nothing is logged then). */
export async function reportAudit(core: DeviceCore, client: SyncClient, action: ReportedAuditAction): Promise<void> {
  const { credentials } = await adminDevice(core);
  const outcome = await client.audit(credentials, action);
  if (outcome.kind !== 'ok') throw new ClientError('audit_failed', { message: outcome.message });
}

/**
 * For changes that are made offline as often as online (settings, staff): logged when this is
 * the organisation's admin device and the server can be reached, and otherwise left unlogged
 * rather than holding up the change.
 */
export async function reportAuditIfOnline(core: DeviceCore, action: ReportedAuditAction, client?: SyncClient): Promise<void> {
  await reportAudit(core, client ?? (await defaultClient()), action).catch(() => undefined);
}
