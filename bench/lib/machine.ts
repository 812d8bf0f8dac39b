/** What the figures were measured on. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { CHROMIUM } from '../../test/e2e/harness.ts';

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memory: string;
  os: string;
  node: string;
  chromium: string;
  /** Where the browser profiles (and so IndexedDB) live: strict durability waits on this disk. */
  profileDisk: string;
  /** 1-minute load average when the bench started: other work on the machine shows here. */
  loadAtStart: number;
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function machine(): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(info)?.[1]?.trim();
    const model = field('model name');
    if (model) {
      const mhz = field('cpu MHz');
      const details = [
        field('cpu family') && `family ${field('cpu family')} model ${field('model')}`,
        mhz && `${Math.round(Number(mhz))} MHz`,
        /\bhypervisor\b/.test(field('flags') ?? '') && 'virtual machine',
      ].filter(Boolean);
      cpu = details.length ? `${model} (${details.join(', ')})` : model;
    }
  } catch {
    // Not Linux: keep what os.cpus() says.
  }
  const df = run('df', ['-T', '-h', os.tmpdir()]).split('\n')[1]?.split(/\s+/);
  return {
    date: new Date().toISOString(),
    cpu,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    chromium: run(CHROMIUM, ['--version']),
    loadAtStart: os.loadavg()[0] ?? 0,
    profileDisk: df ? `${os.tmpdir()} on ${df[6] ?? '?'} (${df[1] ?? '?'}, device ${df[0] ?? '?'})` : 'unknown',
  };
}
