/**
 * Chromium started on one address and nothing else: no DevTools protocol, no automation, so
 * nothing watches its requests or its page while a figure is taken. The page does the timed work
 * itself and posts what it measured to the server that served it. Each start gets a profile of
 * its own, removed when it is closed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, CHROMIUM_FLAGS } from '../../test/e2e/harness.ts';

export interface PlainChromium {
  /** Settles when Chromium has exited, on its own or closed. */
  exited: Promise<void>;
  close(): Promise<void>;
}

export function launchPlainChromium(url: string): PlainChromium {
  const profile = mkdtempSync(join(tmpdir(), 'footfall-bench-chromium-'));
  const chromium = spawn(CHROMIUM, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, url], { stdio: 'ignore', detached: true });
  const exited = new Promise<void>((resolve) => chromium.once('exit', () => resolve()));
  return {
    exited,
    async close() {
      // Chromium's helper processes share its group; all of them go before its profile does.
      if (chromium.exitCode === null && chromium.signalCode === null) process.kill(-chromium.pid!, 'SIGKILL');
      await exited;
      rmSync(profile, { recursive: true, force: true, maxRetries: 10 });
    },
  };
}

/** `outcome`, or an error naming `what` once `ms` have passed or Chromium has exited first. */
export function answerOf<T>(outcome: Promise<T>, chromium: PlainChromium, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  const gone = chromium.exited.then(() => Promise.reject(new Error(`Chromium exited before ${what} answered`)));
  return Promise.race([outcome, late, gone]).finally(() => clearTimeout(timer));
}
