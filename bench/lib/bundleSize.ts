/**
 * Initial JavaScript: every script and modulepreload that the built index.html names, plus
 * whatever those import statically, gzipped with node:zlib at level 9 and at the default level
 * (6, what servers usually use). The app's dynamic import() chunks load later and are not counted:
 * the device core and the sync runtime load after the lock screen is drawn, the screens when they
 * are opened (docs/architecture.md#cold-start). The entry's own list of what its import() calls
 * preload (__vite__mapDeps) is not counted either: since index.html loads the app itself rather
 * than a loader that imported it, that list names every lazy chunk of the app.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { constants, gzipSync } from 'node:zlib';

export interface JsSize {
  files: { path: string; raw: number; gzipDefault: number; gzip9: number }[];
  raw: number;
  gzipDefault: number;
  gzip9: number;
}

function sizeOf(paths: string[], root: string): JsSize {
  const files = paths.map((path) => {
    const bytes = readFileSync(path);
    return {
      path: relative(root, path),
      raw: bytes.byteLength,
      gzipDefault: gzipSync(bytes).byteLength,
      gzip9: gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).byteLength,
    };
  });
  const sum = (k: 'raw' | 'gzipDefault' | 'gzip9') => files.reduce((n, f) => n + f[k], 0);
  return { files, raw: sum('raw'), gzipDefault: sum('gzipDefault'), gzip9: sum('gzip9') };
}

/** Adds the static imports (`import … from "./x.js"`, `import "./x.js"`) of each file, transitively. */
function withStaticImports(entries: string[]): string[] {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/(?:\bfrom|\bimport)\s*["'](\.{1,2}\/[^"']+?\.m?js)["']/g)) {
      queue.push(resolve(dirname(file), m[1]!));
    }
  }
  return [...seen];
}

export function initialJs(distDir = resolve('dist')): JsSize {
  const html = readFileSync(join(distDir, 'index.html'), 'utf8');
  const refs = new Set<string>();
  for (const tag of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"[^>]*>/g)) refs.add(tag[1]!);
  for (const tag of html.matchAll(/<link\b[^>]*>/g)) {
    if (/\brel="modulepreload"/.test(tag[0])) {
      const href = /\bhref="([^"]+)"/.exec(tag[0]);
      if (href) refs.add(href[1]!);
    }
  }
  const local = [...refs].filter((r) => !/^[a-z]+:/i.test(r)).map((r) => resolve(distDir, r.replace(/^\//, '')));
  return sizeOf(withStaticImports(local), resolve('.'));
}

export function filesSize(paths: string[]): JsSize {
  return sizeOf(withStaticImports(paths), resolve('.'));
}
