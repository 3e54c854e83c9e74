/**
 * Types for `kuzu-wasm` 0.11.3 (its async build, the package root), which ships none. Written from
 * its `index.js`; only what engine-wasm.ts uses. Where it differs from the native `kuzu` addon:
 * - every call goes to a Web Worker (`kuzu_wasm_worker.js`, resolved next to the importing
 *   script unless `setWorkerPath` says otherwise), so even `getErrorMessage()` is async;
 * - `query`/`execute` throw when the statement fails at once, but a result can also come back
 *   with `isSuccess() === false`;
 * - rows come from `getAllObjects()` (no `getAll()`), INT64 values as `Number` objects, not
 *   primitives; there are no `*Sync` methods and no multi-result arrays.
 */
declare module "kuzu-wasm" {
  class Database {
    constructor(databasePath?: string, bufferPoolSize?: number, maxNumThreads?: number, enableCompression?: boolean, readOnly?: boolean);
    init(): Promise<void>;
    close(): Promise<void>;
  }
  class Connection {
    constructor(database: Database, numThreads?: number | null);
    init(): Promise<void>;
    query(statement: string): Promise<QueryResult>;
    prepare(statement: string): Promise<PreparedStatement>;
    execute(prepared: PreparedStatement, params?: Record<string, unknown>): Promise<QueryResult>;
    setQueryTimeout(timeoutMs: number): Promise<void>;
    close(): Promise<void>;
  }
  class PreparedStatement {
    isSuccess(): boolean;
    getErrorMessage(): Promise<string>;
    close(): Promise<void>;
  }
  class QueryResult {
    isSuccess(): boolean;
    getErrorMessage(): Promise<string>;
    hasNextQueryResult(): boolean;
    getNextQueryResult(): Promise<QueryResult>;
    getAllObjects(): Promise<Record<string, unknown>[]>;
    close(): Promise<void>;
  }
  interface FileSystem {
    readFile(path: string): Promise<Uint8Array>;
    writeFile(path: string, data: Uint8Array | string): Promise<void>;
    mkdir(path: string): Promise<void>;
    readDir(path: string): Promise<string[]>;
    unlink(path: string): Promise<void>;
    rmdir(path: string): Promise<void>;
  }
  const kuzu: {
    init(): Promise<void>;
    getVersion(): Promise<string>;
    setWorkerPath(path: string): void;
    close(): Promise<void>;
    Database: typeof Database;
    Connection: typeof Connection;
    PreparedStatement: typeof PreparedStatement;
    QueryResult: typeof QueryResult;
    FS: FileSystem;
  };
  export default kuzu;
}
