// Component tests: a DOM (jsdom), an in-memory IndexedDB (fake-indexeddb) and Node's WebCrypto,
// which is the same API the browser has.
import 'fake-indexeddb/auto';
import '@testing-library/jest-dom/vitest';
import { webcrypto } from 'node:crypto';

if (!globalThis.crypto?.subtle) {
  Object.defineProperty(globalThis, 'crypto', { value: webcrypto, configurable: true });
}
