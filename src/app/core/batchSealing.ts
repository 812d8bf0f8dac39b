/**
 * Sealing waiting events into batches (docs/sync.md#batches-and-padding): each outbox row opened
 * (a decrypt, a parse and a check), the events put in the order they were made and packed into
 * full batches (batchFill.ts), and each batch's two parts signed and sealed. None of it touches
 * the database: the outbox (outbox.ts) reads the rows and stores what comes out.
 */
import { z } from 'zod';
import { signDevicePart, signPart, type DeviceSigner, type Signer } from '../../crypto/authority.ts';
import { openJsonText } from '../../crypto/atRest.ts';
import { sealTo, sealWithTeamKey } from '../../crypto/envelope.ts';
import { FootfallEvent } from '../../domain/events.ts';
import { ClientError } from '../problems.ts';
import { fillBatches, listBytes, packEvent, type PackedEvent } from './batchFill.ts';
import type { Enrolment, OutboxRow } from './database.ts';
import type { Recipient } from './orgKeys.ts';
import type { EnrolmentMarks } from './rows.ts';

export interface TeamKey {
  version: number;
  key: CryptoKey;
}

const DIRECTORY_TYPES = new Set<FootfallEvent['type']>([
  'woman.registered',
  'woman.updated',
  'woman.merged',
  'woman.erased',
  'org.configured',
  'org.keyRotated',
  'staff.saved',
  'staff.removed',
  // Read by the device it moves (docs/security.md#devices).
  'device.moved',
]);

/** Whether an event belongs to the shared directory (every device) or the activity archive (admin only). */
export function isDirectoryEvent(event: Pick<FootfallEvent, 'type'>): boolean {
  return DIRECTORY_TYPES.has(event.type);
}

/** Who signs a part: a certified admin device as an admin, any other device as itself. */
export type PartSigner = { admin: Signer } | { device: DeviceSigner };

/**
 * Who signs the parts this device seals: a certified admin device as an admin (docs/security.md#authority),
 * every other device as itself (docs/security.md#device-signed-parts). Null only on a device
 * enrolled before its public signing key was kept: its statements name no key, and it seals unsigned as it did.
 */
export function signerOf(enrolment: Enrolment & Pick<EnrolmentMarks, 'certificate'>, deviceId: string, signingKey: CryptoKey): PartSigner | null {
  if (enrolment.role === 'admin' && enrolment.certificate) return { admin: { key: signingKey, certificate: enrolment.certificate } };
  if (!enrolment.signingPublicKey) return null;
  return { device: { key: signingKey, publicKey: enrolment.signingPublicKey, orgId: enrolment.orgId, deviceId } };
}

/**
 * A batch's two parts: activity events sealed to the organisation's key (its newest, orgKeys.ts: only the admin reads
 * them), directory events with the team key (every enrolled device reads them). Both are always
 * present and padded, so the server cannot tell which kinds of event a batch holds. Each part is
 * signed inside the seal: by a certified admin device as an admin, so every device can tell its
 * changes carry authority; by any other device as itself, so the admin can tell it sealed them.
 */
export function sealBatchParts(events: readonly FootfallEvent[], recipient: Recipient, team: TeamKey, signer: PartSigner | null): Promise<{ activity: string; directory: string }> {
  return sealPackedParts(events.map(packEvent), recipient, team, signer);
}

/** sealBatchParts for events already encoded (batchFill.ts packEvent). */
export async function sealPackedParts(
  events: readonly PackedEvent[],
  recipient: Recipient,
  team: TeamKey,
  signer: PartSigner | null,
): Promise<{ activity: string; directory: string }> {
  const plain = async (list: readonly PackedEvent[]) => {
    const bytes = listBytes(list.map((p) => p.bytes));
    if (!signer) return bytes;
    return 'admin' in signer ? signPart(signer.admin, bytes) : signDevicePart(signer.device, bytes);
  };
  const [activity, directory] = await Promise.all([
    plain(events.filter((p) => !isDirectoryEvent(p.event))).then((bytes) => sealTo(recipient.publicKey, bytes, { kid: recipient.kid })),
    plain(events.filter((p) => isDirectoryEvent(p.event))).then((bytes) => sealWithTeamKey(team, bytes)),
  ]);
  return { activity, directory };
}

/** The part of an event a batch needs to read: which part it goes in. */
const EventEnvelope = z.object({ id: z.string(), type: z.literal(FootfallEvent.options.map((option) => option.shape.type.value)) });

/**
 * An event row's JSON exactly as it was sealed, with its envelope. Opening it checks, as
 * Vault's openEventRow does, that these bytes were sealed on this device for this row key (AES-GCM
 * with the key as associated data); the event was checked in full by the schema when it was saved
 * (sealEventRow), and is neither checked nor written again here, which with a long outbox is most
 * of the time spent sealing it.
 */
async function openEventBytes(content: CryptoKey, row: OutboxRow): Promise<PackedEvent> {
  const { text, bytes } = await openJsonText({ content }, `events:${row.id}`, row);
  const event = EventEnvelope.safeParse(JSON.parse(text));
  if (!event.success) throw new ClientError('row_unknown_form', { table: 'events' });
  return { event: event.data, bytes };
}

/** What sealing needs: the key the rows are sealed with, who signs, to whom, and how much a part holds. */
export interface SealingSetup {
  content: CryptoKey;
  recipient: Recipient;
  team: TeamKey;
  signer: PartSigner | null;
  bound: number;
}

/** A batch's parts, sealed, and the keys of the outbox rows it carries. */
export interface SealedRun {
  keys: string[];
  activity: string;
  directory: string;
}

/** Seals the rows it is given, a slice at a time, into full batches; keeps what does not fill one for the next slice. */
export interface BatchSealer {
  /** Opens these rows and returns every batch they complete, each sealing (not awaited: the next slice is opened meanwhile). */
  take(rows: OutboxRow[]): Promise<Promise<SealedRun>[]>;
  /** Seals what is left, a partly filled batch, or null when nothing is. */
  finish(): Promise<SealedRun> | null;
}

/**
 * Rows whose decryptions are asked for at once. WebCrypto runs each off the JavaScript thread and
 * answers with a task of its own: thousands asked at once opened a slice of 2,000 in 40-60 ms, a
 * few hundred at a time in 25-30 (measured in the sync bench).
 */
const OPEN_AT_ONCE = 250;

/** A waiting event opened for a batch, with the key of its outbox row. */
type WaitingEvent = PackedEvent & { key: string };

/** The events by id (UUIDv7: the order they were made), sorted only when they are not already. */
function inOrderMade(events: WaitingEvent[]): WaitingEvent[] {
  const ordered = events.every((e, i) => i === 0 || events[i - 1]!.event.id < e.event.id);
  return ordered ? events : events.sort((a, b) => (a.event.id < b.event.id ? -1 : 1));
}

/** A sealer for one sealing pass over the outbox (outbox.ts sealWaitingEvents). */
export function batchSealer(setup: SealingSetup): BatchSealer {
  // Opened, not yet in a full batch: the one still filling.
  let events: WaitingEvent[] = [];
  const sealRun = async (run: WaitingEvent[]): Promise<SealedRun> => ({
    keys: run.map((e) => e.key),
    ...(await sealPackedParts(run, setup.recipient, setup.team, setup.signer)),
  });
  return {
    async take(rows) {
      const opened: WaitingEvent[] = [];
      for (let from = 0; from < rows.length; from += OPEN_AT_ONCE) {
        const part = rows.slice(from, from + OPEN_AT_ONCE);
        opened.push(...(await Promise.all(part.map(async (row) => ({ key: row.id, ...(await openEventBytes(setup.content, row)) })))));
      }
      // The order matters to nothing but tidiness: every reader of the archive and the directory takes events in any order.
      events = inOrderMade([...events, ...opened]);
      // Every batch but the last is full; the last may fill further from the next slice.
      const batches = fillBatches(events, setup.bound, isDirectoryEvent);
      events = batches.pop() ?? [];
      return batches.map(sealRun);
    },
    finish() {
      const run = events;
      events = [];
      return run.length ? sealRun(run) : null;
    },
  };
}
