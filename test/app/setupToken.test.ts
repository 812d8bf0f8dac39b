/**
 * Creating the organisation on a server whose host requires a set-up token
 * (docs/security.md#the-endpoint): the app says it needs one, says when it is wrong, and creates
 * the organisation with the right one. Against the real endpoint over HTTP.
 */
import 'fake-indexeddb/auto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/app/sync/client.ts';
import { createOrganisation, prepareOrganisation } from '../../src/app/sync/organisation.ts';
import { buildServer } from '../../src/server/app.ts';
import { openSqliteStorage } from '../../src/server/storage/sqlite.ts';
import { core, enrolmentOf } from './helpers.ts';
import { PASSPHRASE, newDevice } from './syncHarness.ts';

const TOKEN = 'the-hosts-own-setup-token';
const dataDir = mkdtempSync(join(tmpdir(), 'footfall-setup-token-'));
let app: FastifyInstance;
let client: SyncClient;

beforeAll(async () => {
  const storage = await openSqliteStorage(dataDir);
  app = await buildServer({ port: 0, host: '127.0.0.1', staticDir: resolve('dist'), dataDir, setupToken: TOKEN }, { storage });
  await app.listen({ port: 0, host: '127.0.0.1' });
  client = new SyncClient(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`);
});

afterAll(async () => {
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a server that needs a set-up token', () => {
  it('asks for the token, refuses a wrong one, and creates the organisation with the right one', async () => {
    const admin = await newDevice('setup-token');
    const pending = await prepareOrganisation(core(), PASSPHRASE, PASSPHRASE);
    await expect(createOrganisation(core(), client, pending, pending.recoveryCode)).rejects.toMatchObject({ code: 'setup_token_needed' });
    await expect(createOrganisation(core(), client, pending, pending.recoveryCode, 'not-the-token-at-all')).rejects.toMatchObject({
      code: 'setup_token_wrong',
      message: expect.stringMatching(/whoever runs the server/),
    });
    expect(await enrolmentOf(admin.db)).toBeNull();
    // Pasted with a stray space: trimmed.
    await createOrganisation(core(), client, pending, pending.recoveryCode, ` ${TOKEN} `);
    expect(await enrolmentOf(admin.db)).toMatchObject({ role: 'admin', orgId: pending.orgId });
  });
});
