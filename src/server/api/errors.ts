/**
 * Every error the API sends is `{ error, message }`: a stable code for the app and one sentence a
 * person can act on. Messages never repeat what the request carried (no body content, no query
 * values): only field names, limits and what to do.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiError } from '../../domain/protocol.ts';
import { isOutOfSpace } from '../storage/types.ts';
import { lingerAfterEarlyAnswer } from './linger.ts';

export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;

  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
  }

  toJSON(): ApiError {
    return { error: this.code, message: this.message };
  }
}

/** The messages that are part of the contract (the app shows them as they are). */
export const MESSAGES = {
  serverError: 'The server could not complete this request. Nothing was stored. Try again.',
  deviceRevoked: "This device has been revoked by the organisation's admin. Its records stay on it; ask the admin.",
  enrolmentCodeUnusable: 'This enrolment code is unknown, already used or expired. Ask your admin for a new code.',
  batchConflict: 'A batch with this id was already received with different contents. This upload was refused.',
  malformedJson: 'The request body is not valid JSON. Send a JSON object with content-type application/json.',
  storageFull:
    "The server is out of storage space, so nothing was stored. This device keeps its records and sends them once the server has room again; tell whoever runs the server.",
} as const;

export const errors = {
  invalid: (message: string) => new HttpError(400, 'invalid_request', message),
  unsigned: (header: string) =>
    new HttpError(
      401,
      'unsigned_request',
      `This request is not signed: the ${header} header is missing or malformed. Only an enrolled device can use this endpoint; enrol this device first.`,
    ),
  wrongOrg: () =>
    new HttpError(
      401,
      'wrong_org',
      'The organisation in the footfall-org header is not the one in the address. Sign the request for the organisation it is sent to.',
    ),
  unknownDevice: () =>
    new HttpError(401, 'unknown_device', 'This device is not enrolled in this organisation. Ask your admin for an enrolment code.'),
  badSignature: () =>
    new HttpError(
      401,
      'bad_signature',
      "The request's signature does not match its contents or this device's key. It was refused and nothing was stored.",
    ),
  revoked: () => new HttpError(403, 'device_revoked', MESSAGES.deviceRevoked),
  adminOnly: () => new HttpError(403, 'admin_only', "Only an admin's device can do this. Ask your admin."),
  stale: (skewMs: number, windowMinutes: number) =>
    new HttpError(
      401,
      'stale_request',
      `This device's clock is ${describeDuration(Math.abs(skewMs))} ${skewMs < 0 ? 'behind' : 'ahead of'} the server's (or this is an old request sent again); ` +
        `signed requests must reach the server within ${windowMinutes} minutes of being signed. Nothing was done. Set this device's date and time, then try again.`,
    ),
  setupToken: () =>
    new HttpError(
      403,
      'setup_token_required',
      'This server needs a setup token to create an organisation. Ask whoever runs the server for it and send it in the footfall-setup-token header.',
    ),
  setupClosed: () =>
    new HttpError(
      403,
      'setup_closed',
      'New organisations cannot be set up on this server: it can be reached from other machines and has no set-up token. Whoever runs the server sets FOOTFALL_SETUP_TOKEN, restarts it and gives you the token.',
    ),
  setupProxied: () =>
    new HttpError(
      403,
      'setup_closed',
      'New organisations cannot be set up through a proxy on this server: it has no set-up token, so it takes them only from this machine. Whoever runs the server sets FOOTFALL_SETUP_TOKEN (and TRUST_PROXY), restarts it and gives you the token.',
    ),
  orgStorageFull: (limitBytes: number) =>
    new HttpError(
      507,
      'org_storage_full',
      `This organisation keeps ${Math.round(limitBytes / 1024 ** 2).toLocaleString('en-GB')} MB of records on this server, as much as the server allows it. ` +
        'Nothing was stored; this device keeps its records and sends them again later. Ask whoever runs the server to raise FOOTFALL_ORG_QUOTA_MB.',
    ),
  orgExists: () =>
    new HttpError(409, 'org_exists', 'An organisation with this id already exists on this server. Nothing was changed.'),
  enrolmentUnusable: () => new HttpError(404, 'enrolment_code_unusable', MESSAGES.enrolmentCodeUnusable),
  deviceExists: () =>
    new HttpError(
      409,
      'device_exists',
      'A device with this id is already enrolled in this organisation. The code was not used; reset the app on this device and enrol again.',
    ),
  batchConflict: () => new HttpError(409, 'batch_conflict', MESSAGES.batchConflict),
  cannotRevokeSelf: () =>
    new HttpError(409, 'cannot_revoke_self', 'An admin cannot revoke the device she is using. Revoke it from another admin device.'),
  deviceNotFound: () => new HttpError(404, 'device_not_found', 'There is no device with this id in this organisation. Check the device list.'),
  unknownSuperseded: (indices: number[]) =>
    new HttpError(
      409,
      'unknown_batches',
      `${fieldList('supersedes', indices)} ${indices.length === 1 ? 'is not a batch' : 'are not batches'} of this organisation. ` +
        'Nothing was changed. Fetch the archive again and make the snapshot from the batches it holds.',
    ),
  compactionConflict: (indices: number[]) =>
    new HttpError(
      409,
      'batch_conflict',
      `${fieldList('batches', indices, '.batchId')} ${indices.length === 1 ? 'was' : 'were'} already received with different contents. ` +
        'Nothing was changed. Give the new batches new ids and send the compaction again.',
    ),
  bodyTooLarge: () =>
    new HttpError(413, 'body_too_large', 'The request body is larger than this endpoint accepts. Nothing was stored; send smaller batches.'),
  unsupportedMediaType: () =>
    new HttpError(415, 'unsupported_media_type', 'This endpoint accepts JSON only. Send the body with content-type application/json.'),
  unreadable: (status: number) =>
    new HttpError(
      status,
      'invalid_request',
      'This request could not be read. Send a JSON body with content-type application/json and a correct content-length.',
    ),
  /** Names the path without its query, which may hold what should not be echoed. */
  notFound: (method: string, url: string) => new HttpError(404, 'not_found', `No such endpoint: ${method} ${url.split('?')[0]}`),
  // 507 rather than 500: the request was fine and the server is not broken, it needs room. The
  // app treats any 5xx as "try again later" and keeps the batch, which is exactly right here.
  storageFull: () => new HttpError(507, 'storage_full', MESSAGES.storageFull),
  serverError: () => new HttpError(500, 'server_error', MESSAGES.serverError),
  rateLimited: (after: string, who: string) =>
    new HttpError(429, 'rate_limited', `Too many requests from ${who}. Wait ${after} and try again; nothing unsent is lost.`),
};

/** "supersedes[2]", "supersedes[2] and supersedes[7]", "supersedes[2], supersedes[7], supersedes[9] and 4 more". */
function fieldList(field: string, indices: number[], suffix = ''): string {
  const names = indices.slice(0, 3).map((i) => `${field}[${i}]${suffix}`);
  const more = indices.length - names.length;
  if (more > 0) return `${names.join(', ')} and ${more} more`;
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? field);
}

function describeDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'less than a minute';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts: string[] = [];
  if (days) parts.push(`${days} day${days === 1 ? '' : 's'}`);
  if (hours) parts.push(`${hours} hour${hours === 1 ? '' : 's'}`);
  if (mins && !days) parts.push(`${mins} minute${mins === 1 ? '' : 's'}`);
  return parts.join(' ');
}

/**
 * The one error handler of the API. Known errors become their `{ error, message }`; Fastify's own
 * client errors (body too large, wrong content type, bad content length) get a plain message of
 * ours, never Fastify's text; a full disk is a 507; anything else is a 500. Server-side failures
 * are logged without the request body.
 */
export function handleError(error: FastifyError | HttpError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof HttpError) return sendError(reply, error);
  const status = (error as FastifyError).statusCode;
  if (status === 413) {
    lingerAfterEarlyAnswer(request, reply);
    return sendError(reply, errors.bodyTooLarge());
  }
  if (status === 415) return sendError(reply, errors.unsupportedMediaType());
  if (typeof status === 'number' && status >= 400 && status < 500) return sendError(reply, errors.unreadable(status));
  // Log what went wrong in the server, never what the request carried.
  const logged = { error: { name: error.name, message: error.message, stack: error.stack } };
  if (isOutOfSpace(error)) {
    request.log.error(logged, 'API request failed: the storage is out of space');
    return sendError(reply, errors.storageFull());
  }
  request.log.error(logged, 'API request failed');
  return sendError(reply, errors.serverError());
}

/** Sends an error of the catalogue as its `{ error, message }`. */
export function sendError(reply: FastifyReply, error: HttpError) {
  return reply.code(error.statusCode).send(error.toJSON());
}
