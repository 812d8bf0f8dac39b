/**
 * A person's id. People's ids keep the UUIDv7 layout that every device's schema accepts for them
 * (src/domain/events.ts `EventId`), but with the time field zero and the rest random (74 bits):
 * a locked device lists its people, and a UUIDv7 made the usual way would say to the millisecond
 * when each was added (docs/security.md#what-a-copy-of-a-locked-device-shows).
 */
export function timelessPersonId(): string {
  // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx: keep everything after the version digit, variant included.
  return `00000000-0000-7${crypto.randomUUID().slice(15)}`;
}
