/**
 * The browser engine: `kuzu-wasm` (its async build: Kuzu runs in a Web Worker, every call is a
 * message). It is the same Kuzu 0.11.3 as the native addon, so the same statements give the same
 * graph; what differs is the JavaScript surface (see kuzu-wasm.d.ts), which is made to look like
 * engine.ts here: error messages fetched once so `getErrorMessage()` is synchronous, failed results
 * turned into exceptions, rows read with `getAllObjects()` and their boxed numbers unboxed.
 *
 * The worker script (`kuzu_wasm_worker.js` from the kuzu-wasm package) must be served next to the
 * bundled script that imports this module: kuzu-wasm resolves it from its own `import.meta.url`.
 * @module
 */
import kuzu from "kuzu-wasm";
import type { Connection, Database, Engine, PreparedStatement, Row } from "./engine.ts";

type WasmDatabase = InstanceType<typeof kuzu.Database>;
type WasmConnection = InstanceType<typeof kuzu.Connection>;
type WasmPrepared = InstanceType<typeof kuzu.PreparedStatement>;
type WasmResult = InstanceType<typeof kuzu.QueryResult>;

class WasmDatabaseHandle implements Database {
  constructor(readonly inner: WasmDatabase) {}
  close(): Promise<void> {
    return this.inner.close();
  }
}

class WasmPreparedHandle implements PreparedStatement {
  constructor(
    readonly inner: WasmPrepared | null,
    readonly error: string,
  ) {}
  isSuccess(): boolean {
    return this.inner !== null;
  }
  getErrorMessage(): string {
    return this.error;
  }
}

class WasmConnectionHandle implements Connection {
  constructor(readonly inner: WasmConnection) {}

  async prepare(statement: string): Promise<PreparedStatement> {
    let prepared: WasmPrepared;
    try {
      prepared = await this.inner.prepare(statement);
    } catch (error) {
      return new WasmPreparedHandle(null, error instanceof Error ? error.message : String(error));
    }
    if (prepared.isSuccess()) return new WasmPreparedHandle(prepared, "");
    const message = await prepared.getErrorMessage();
    await prepared.close();
    return new WasmPreparedHandle(null, message);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** INT64 and friends arrive as `Number` objects; rows must hold primitives, as on the native engine. */
function unbox(value: unknown): unknown {
  if (value instanceof Number || value instanceof String || value instanceof Boolean) return value.valueOf();
  if (Array.isArray(value)) return value.map(unbox);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = unbox(v);
    return out;
  }
  return value;
}

/** Read (when `keep`) and close a result and the ones chained after it; throw a failed one's message. */
async function drain(first: WasmResult, keep: boolean): Promise<Row[]> {
  const results: WasmResult[] = [first];
  let rows: Row[] = [];
  try {
    for (let r = first; ; ) {
      if (!r.isSuccess()) throw new Error(await r.getErrorMessage());
      if (keep) rows = (await r.getAllObjects()).map((row) => unbox(row) as Row);
      if (!r.hasNextQueryResult()) break;
      r = await r.getNextQueryResult();
      results.push(r);
    }
  } finally {
    for (const r of results) await r.close();
  }
  return rows;
}

/**
 * @example
 * import { wasmEngine } from "./engine-wasm.ts";
 * const db = wasmEngine.openDatabase(null); // in memory, inside kuzu-wasm's worker
 */
export const wasmEngine: Engine = {
  name: "kuzu-wasm",
  openDatabase: (path, options) => new WasmDatabaseHandle(new kuzu.Database(path ?? ":memory:", undefined, undefined, undefined, options?.readOnly)),
  openConnection: (db) => new WasmConnectionHandle(new kuzu.Connection((db as WasmDatabaseHandle).inner)),
  query: async (conn, statement, keep) => drain(await (conn as WasmConnectionHandle).inner.query(statement), keep),
  async execute(conn, prepared, params, keep) {
    const p = prepared as WasmPreparedHandle;
    if (p.inner === null) throw new Error(p.error);
    return drain(await (conn as WasmConnectionHandle).inner.execute(p.inner, params), keep);
  },
  setQueryTimeout: (conn, timeoutMs) => (conn as WasmConnectionHandle).inner.setQueryTimeout(timeoutMs),
};

/** This build's engine, as `#engine` (kuzu.ts) resolves it under the `browser` condition. */
export const engine = wasmEngine;
