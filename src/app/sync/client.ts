/**
 * Talking to the endpoint: every request signed by this device's key, every answer checked
 * against the protocol's schemas, and every failure sorted into what the outbox should do.
 */
import { keptUtf8 } from '../../crypto/bytes.ts';
import { sha256B64u, signHashedRequest } from '../../crypto/signing.ts';
import { z as zod } from 'zod';
import {
  ApiError,
  ArchivePage,
  BatchReceipt,
  ClaimEnrolmentResponse,
  CompactionReceipt,
  DeviceSummary,
  DirectoryPage,
  SETUP_TOKEN_HEADER,
  SIGNATURE_HEADERS,
  type BatchUpload,
  type ClaimEnrolmentRequest,
  type CompactionRequest,
  type CreateEnrolmentRequest,
  type CreateOrgRequest,
  type ReportedAuditAction,
  type TeamKeyEnvelopes,
  WrappedOrgKey,
} from '../../domain/protocol.ts';

const Acknowledged = zod.object({}).passthrough();
const Devices = zod.object({ devices: zod.array(DeviceSummary) });
const AdminKeys = zod.object({ keys: zod.array(WrappedOrgKey) });
const Envelopes = zod.object({ envelopes: zod.array(zod.object({ version: zod.number().int(), sealed: zod.string() })) });

export interface DeviceCredentials {
  orgId: string;
  deviceId: string;
  signingKey: CryptoKey;
}

/** What came back, sorted by what the caller must do about it. */
export type Outcome<T> =
  | { kind: 'ok'; value: T; serverTime: string | null }
  /** The server looked at the request and refused it: retrying the same bytes will not help. */
  | { kind: 'refused'; status: number; error: string; message: string }
  /** This device may no longer sync. */
  | { kind: 'revoked'; message: string }
  /** Network down, server down, timeout or overload: try again later. */
  | { kind: 'unreachable'; message: string; error?: 'stale_request' };

const TIMEOUT_MS = 30_000;

/**
 * A request body as it is sent: its UTF-8 bytes, encoded into the kept buffer and copied into a
 * Blob at once. Given the text itself, a browser encodes a megabyte upload into fresh memory
 * inside fetch, which takes several times as long as sending bytes it already has
 * (docs/sync.md#signed-requests). The bytes are exactly those the signature covers.
 */
function bodyBlob(text: string): Blob {
  return new Blob([keptUtf8(text)]);
}

export class SyncClient {
  /**
   * Server time minus this device's time, from the Date header of the last answer. Requests are
   * signed in the server's time, so a device whose clock is wrong still syncs (the server accepts
   * signatures only minutes old, docs/security.md#signed-requests; the status line shows the skew).
   */
  #clockOffsetMs = 0;

  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
  ) {}

  putBatch(device: DeviceCredentials, batchId: string, upload: BatchUpload): Promise<Outcome<BatchReceipt>> {
    return this.signed(device, 'PUT', `/api/orgs/${device.orgId}/batches/${batchId}`, upload, BatchReceipt);
  }

  directory(device: DeviceCredentials, after: string | null): Promise<Outcome<DirectoryPage>> {
    const query = after ? `?after=${after}` : '';
    return this.signed(device, 'GET', `/api/orgs/${device.orgId}/directory${query}`, undefined, DirectoryPage);
  }

  /** One page of the archive (admin devices only): both parts of each batch, from one cursor. */
  archive(device: DeviceCredentials, after: string | null): Promise<Outcome<ArchivePage>> {
    const query = after ? `?after=${after}` : '';
    return this.signed(device, 'GET', `/api/orgs/${device.orgId}/archive${query}`, undefined, ArchivePage);
  }

  /**
   * Replaces batches with re-sealed ones (erasure, retention), at once: the new batches are stored
   * as this admin device's and the superseded ones removed for good. Sending the same body again is
   * harmless, so a compaction whose answer was lost is simply sent again.
   */
  compact(device: DeviceCredentials, body: CompactionRequest): Promise<Outcome<CompactionReceipt>> {
    return this.signed(device, 'POST', `/api/orgs/${device.orgId}/compactions`, body, CompactionReceipt);
  }

  /** Records in the audit log that the admin did something on this device (never whom or what). */
  audit(device: DeviceCredentials, action: ReportedAuditAction): Promise<Outcome<unknown>> {
    return this.signed(device, 'POST', `/api/orgs/${device.orgId}/audit`, { action }, Acknowledged);
  }

  claimEnrolment(body: ClaimEnrolmentRequest): Promise<Outcome<ClaimEnrolmentResponse>> {
    return this.send('POST', '/api/enrol', bodyBlob(JSON.stringify(body)), {}, ClaimEnrolmentResponse);
  }

  /** `setupToken`: the one whoever runs the server gave, when it needs one (docs/security.md#the-endpoint). */
  createOrg(body: CreateOrgRequest, setupToken?: string): Promise<Outcome<unknown>> {
    return this.send('POST', '/api/orgs', bodyBlob(JSON.stringify(body)), setupToken ? { [SETUP_TOKEN_HEADER]: setupToken } : {}, Acknowledged);
  }

  createEnrolment(device: DeviceCredentials, body: CreateEnrolmentRequest): Promise<Outcome<unknown>> {
    return this.signed(device, 'POST', `/api/orgs/${device.orgId}/enrolments`, body, Acknowledged);
  }

  listDevices(device: DeviceCredentials): Promise<Outcome<{ devices: DeviceSummary[] }>> {
    return this.signed(device, 'GET', `/api/orgs/${device.orgId}/devices`, undefined, Devices);
  }

  revokeDevice(device: DeviceCredentials, deviceId: string): Promise<Outcome<unknown>> {
    return this.signed(device, 'POST', `/api/orgs/${device.orgId}/devices/${deviceId}/revoke`, {}, Acknowledged);
  }

  putTeamKeys(device: DeviceCredentials, body: TeamKeyEnvelopes): Promise<Outcome<unknown>> {
    return this.signed(device, 'PUT', `/api/orgs/${device.orgId}/team-keys`, body, Acknowledged);
  }

  teamKeys(device: DeviceCredentials): Promise<Outcome<zod.infer<typeof Envelopes>>> {
    return this.signed(device, 'GET', `/api/orgs/${device.orgId}/team-keys`, undefined, Envelopes);
  }

  /** The wrapped copies of the organisation's private key (admin devices only). */
  adminKeys(device: DeviceCredentials): Promise<Outcome<zod.infer<typeof AdminKeys>>> {
    return this.signed(device, 'GET', `/api/orgs/${device.orgId}/admin-keys`, undefined, AdminKeys);
  }

  /** Adds wrapped copies of an organisation key (admin devices only): a new key's, after a rotation. */
  addAdminKeys(device: DeviceCredentials, keys: WrappedOrgKey[]): Promise<Outcome<unknown>> {
    return this.signed(device, 'POST', `/api/orgs/${device.orgId}/admin-keys`, { keys }, Acknowledged);
  }

  async signed<T>(device: DeviceCredentials, method: string, path: string, body: unknown, schema: zod.ZodType<T>): Promise<Outcome<T>> {
    const first = await this.signedOnce(device, method, path, body, schema);
    // The answer itself said the clock is off, and carried the server's time: signed again once in it.
    if (first.kind === 'unreachable' && first.error === 'stale_request') return this.signedOnce(device, method, path, body, schema);
    return first;
  }

  private async signedOnce<T>(device: DeviceCredentials, method: string, path: string, body: unknown, schema: zod.ZodType<T>): Promise<Outcome<T>> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const timestamp = new Date(Date.now() + this.#clockOffsetMs).toISOString();
    // Encoded once, then hashed and copied into the body at once: the kept bytes last only until the next encoding.
    const bytes = keptUtf8(text);
    const hashing = sha256B64u(bytes);
    const blob = body === undefined ? undefined : new Blob([bytes]);
    const signature = await signHashedRequest(device.signingKey, { method, path, orgId: device.orgId, deviceId: device.deviceId, timestamp }, await hashing);
    const headers = {
      [SIGNATURE_HEADERS.org]: device.orgId,
      [SIGNATURE_HEADERS.device]: device.deviceId,
      [SIGNATURE_HEADERS.timestamp]: timestamp,
      [SIGNATURE_HEADERS.signature]: signature,
    };
    return this.send(method, path, blob, headers, schema);
  }

  private async send<T>(method: string, path: string, body: Blob | undefined, headers: Record<string, string>, schema: zod.ZodType<T>): Promise<Outcome<T>> {
    let response: Response;
    try {
      response = await this.fetchImpl(new URL(path, this.baseUrl), {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body,
        cache: 'no-store',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch {
      return { kind: 'unreachable', message: 'The server could not be reached.' };
    }
    const serverDate = Date.parse(response.headers.get('date') ?? '');
    if (Number.isFinite(serverDate)) this.#clockOffsetMs = serverDate - Date.now();
    const json: unknown = await response.json().catch(() => null);
    if (response.ok) {
      const parsed = schema.safeParse(json);
      if (!parsed.success) return { kind: 'unreachable', message: 'The server sent an answer this version does not understand.' };
      const serverTime = (json as { serverTime?: unknown }).serverTime;
      return { kind: 'ok', value: parsed.data, serverTime: typeof serverTime === 'string' ? serverTime : null };
    }
    const error = ApiError.safeParse(json);
    const message = error.success ? error.data.message : `The server answered ${response.status}.`;
    if (response.status === 403 && error.success && error.data.error === 'device_revoked') return { kind: 'revoked', message };
    // A wrong clock is not the batch's fault: it is tried again, never set aside.
    if (error.success && error.data.error === 'stale_request') return { kind: 'unreachable', message, error: 'stale_request' };
    if (response.status >= 500 || response.status === 429 || response.status === 408 || !error.success) {
      return { kind: 'unreachable', message };
    }
    return { kind: 'refused', status: response.status, error: error.data.error, message };
  }
}
