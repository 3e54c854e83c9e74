/**
 * The native engine: the `kuzu` npm addon, under Bun. Its objects already have the shapes of
 * engine.ts, so they are handed out as they are; only results are drained and closed here.
 * @module
 */
import kuzu from "kuzu";
import type { Connection, Database, Engine, PreparedStatement, Row } from "./engine.ts";

type NativeConnection = InstanceType<typeof kuzu.Connection>;
type NativePrepared = Awaited<ReturnType<NativeConnection["prepare"]>>;
type NativeResult = InstanceType<typeof kuzu.QueryResult>;

async function drain(result: NativeResult | NativeResult[], keep: boolean): Promise<Row[]> {
  const results = Array.isArray(result) ? result : [result];
  let rows: Row[] = [];
  try {
    for (const r of results) if (keep) rows = (await r.getAll()) as Row[];
  } finally {
    for (const r of results) r.close();
  }
  return rows;
}

/**
 * @example
 * import { nativeEngine } from "./engine-native.ts";
 * const db = nativeEngine.openDatabase("./replica.kuzu");
 */
export const nativeEngine: Engine = {
  name: "kuzu",
  openDatabase: (path, options) =>
    (options?.readOnly ? new kuzu.Database(path ?? ":memory:", 0, true, true) : new kuzu.Database(path ?? ":memory:")) satisfies Database,
  openConnection: (db) => new kuzu.Connection(db as InstanceType<typeof kuzu.Database>) satisfies Connection,
  query: async (conn, statement, keep) => drain(await (conn as NativeConnection).query(statement), keep),
  execute: async (conn, prepared: PreparedStatement, params, keep) =>
    drain(await (conn as NativeConnection).execute(prepared as NativePrepared, params as never), keep),
  setQueryTimeout: async (conn, timeoutMs) => (conn as NativeConnection).setQueryTimeout(timeoutMs),
};

/** This build's engine, as `#engine` (kuzu.ts) resolves it outside a browser. */
export const engine = nativeEngine;
