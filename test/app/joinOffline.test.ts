/**
 * Claiming a device code when the connection drops (docs/security.md#joining): the device has not
 * joined, and the join screen says what to do, including when the claim reached the server and
 * spent the code before the answer was lost.
 */
import { describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/app/sync/client.ts';
import { claimJoin } from '../../src/app/sync/organisation.ts';
import { generateEnrolmentCode } from '../../src/crypto/enrolmentCode.ts';

describe('a device code claimed offline', () => {
  it('says the device has not joined, to try again online, and what a spent code means', async () => {
    const offline = new SyncClient('http://127.0.0.1:9', async () => {
      throw new TypeError('Failed to fetch');
    });
    const claim = claimJoin(offline, generateEnrolmentCode());
    await expect(claim).rejects.toMatchObject({ code: 'join_unreachable' });
    await expect(claim).rejects.toThrow(
      'This device has not joined: The server could not be reached. Check it is online and press Continue again. If the code is then refused, the connection dropped after the server took it: ask your admin for a new code',
    );
  });
});
