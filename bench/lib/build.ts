/** Builds everything the benchmark serves and measures into bench/.tmp (gitignored), with Vite. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'vite';

export const TMP = resolve('bench/.tmp');

/**
 * The app, built from the current sources with the project's own vite.config.ts, into
 * bench/.tmp/app. The bench serves and measures this copy rather than dist/, which other work
 * on this machine (tests, builds) may empty and rewrite while the bench is running.
 */
export async function buildApp(): Promise<string> {
  const outDir = resolve(TMP, 'app');
  await build({ configFile: resolve('vite.config.ts'), logLevel: 'warn', mode: 'production', build: { outDir, emptyOutDir: true } });
  return outDir;
}

/** The browser bench bundle (real Vault, Dexie, crypto and search) as one classic script. */
export const buildBrowserBundle = () => buildScript('bench/browser/entry.ts', 'browser');

/** The PouchDB peer's page script (bench/browser/pouchPeer.ts), as one classic script. */
export const buildPeerBundle = () => buildScript('bench/browser/pouchPeer.ts', 'peer');

async function buildScript(entry: string, folder: string): Promise<string> {
  const outDir = resolve(TMP, folder);
  await build({
    configFile: false,
    logLevel: 'warn',
    mode: 'production',
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    // What the bundle starts from a file of its own (the report worker) is the app's: the page is on
    // the app's origin, which serves the same file under the same content-hashed name.
    experimental: { renderBuiltUrl: (filename) => ({ runtime: `new URL(${JSON.stringify(`/${filename}`)}, location.origin).href` }) },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: true,
      sourcemap: false,
      copyPublicDir: false,
      lib: { entry: resolve(entry), formats: ['iife'], name: 'FootfallBenchBundle', fileName: () => 'bench.js' },
    },
  });
  return readFileSync(resolve(outDir, 'bench.js'), 'utf8');
}

/** React + React DOM and nothing else, built for production the way the app is. Returns the JS file paths. */
export async function buildReactHello(): Promise<string[]> {
  const outDir = resolve(TMP, 'react-hello');
  const output = await build({
    configFile: false,
    logLevel: 'warn',
    mode: 'production',
    publicDir: false,
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: false,
      modulePreload: { polyfill: false },
      rolldownOptions: { input: resolve('bench/react-hello/main.ts') },
    },
  });
  const outputs = Array.isArray(output) ? output : [output];
  const files: string[] = [];
  for (const o of outputs) {
    if (!('output' in o)) continue;
    for (const chunk of o.output) if (chunk.type === 'chunk') files.push(resolve(outDir, chunk.fileName));
  }
  return files;
}
