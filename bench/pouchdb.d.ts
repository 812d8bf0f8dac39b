/**
 * The little of PouchDB and express-pouchdb the bench's peer uses (bench/lib/pouchPeer.ts,
 * bench/browser/pouchPeer.ts); the packages ship no types of their own.
 */
declare module 'pouchdb-browser' {
  export default class PouchDB {
    constructor(name: string);
    bulkDocs(docs: object[]): Promise<unknown[]>;
    info(): Promise<{ doc_count: number }>;
    replicate: { to(target: string): Promise<{ ok: boolean; docs_written: number }> };
  }
}

declare module 'pouchdb-core' {
  interface PouchDBConstructor {
    plugin(plugin: unknown): PouchDBConstructor;
    defaults(options: { adapter: string }): PouchDBConstructor;
  }
  const PouchDB: PouchDBConstructor;
  export default PouchDB;
}

declare module 'pouchdb-adapter-memory' {
  const plugin: unknown;
  export default plugin;
}
declare module 'pouchdb-adapter-http' {
  const plugin: unknown;
  export default plugin;
}
declare module 'pouchdb-mapreduce' {
  const plugin: unknown;
  export default plugin;
}
declare module 'pouchdb-replication' {
  const plugin: unknown;
  export default plugin;
}

declare module 'express-pouchdb' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  export default function expressPouchDb(
    PouchDB: unknown,
    options: { mode: 'minimumForPouchDB'; inMemoryConfig: boolean; logPath: string },
  ): (request: IncomingMessage, response: ServerResponse) => void;
}
