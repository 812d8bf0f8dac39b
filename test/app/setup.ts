// Component tests: a DOM (jsdom), an in-memory IndexedDB (fake-indexeddb) and Node's WebCrypto,
// which is the same API the browser has.
import 'fake-indexeddb/auto';
import '@testing-library/jest-dom/vitest';
import { webcrypto } from 'node:crypto';

if (!globalThis.crypto?.subtle) {
  Object.defineProperty(globalThis, 'crypto', { value: webcrypto, configurable: true });
}

// Testing Library unmounts after each test only when test globals are on; they are not here.
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';
afterEach(() => cleanup());

// A loaded 2-core machine can take over a second to unwrap a PIN or seal a batch: findBy and
// waitFor wait on their condition for up to 10 s instead of Testing Library's 1 s.
import { configure } from '@testing-library/react';
configure({ asyncUtilTimeout: 10_000 });
