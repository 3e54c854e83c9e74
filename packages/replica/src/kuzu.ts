/**
 * The replica's only way to Kuzu, over the engine this build runs on (engine.ts): the native `kuzu`
 * addon under Bun, `kuzu-wasm` in a browser, chosen by the `#engine` entry of this package's
 * `imports` (the `browser` condition, which `bun build --target browser` sets). Every QueryResult
 * is closed by the engine, always, because an unclosed result makes Bun crash at exit once the
 * database is closed.
 * @module
 */
import { engine } from "#engine";
import type { Connection, Database, PreparedStatement, Row } from "./engine.ts";

export type KuzuValue = unknown;
export type { Connection, Database, PreparedStatement, Row } from "./engine.ts";

/** Which Kuzu build this replica runs on: `kuzu` (native) or `kuzu-wasm` (browser). */
export const engineName = engine.name;

/** A database at `path` (created when missing; `readOnly` opens an existing one without changing it), or in memory for null. */
export function openDatabase(path: string | null, options: { readonly readOnly?: boolean } = {}): Database {
  return engine.openDatabase(path, options);
}

export function openConnection(db: Database): Connection {
  return engine.openConnection(db);
}

/** Run a statement (with bound parameters when given) and return the last result's rows. */
export async function run(conn: Connection, statement: string, params?: Record<string, unknown>): Promise<Row[]> {
  if (params === undefined) return engine.query(conn, statement, true);
  return runPrepared(conn, statement, params);
}

/**
 * Always through prepare(): it refuses multi-statement text, which `conn.query()` would run and
 * then crash Bun while reading the second result. Use it for any text from outside.
 */
export async function runPrepared(conn: Connection, statement: string, params: Record<string, unknown> = {}): Promise<Row[]> {
  const prepared = await conn.prepare(statement);
  if (!prepared.isSuccess()) throw new Error(prepared.getErrorMessage());
  return engine.execute(conn, prepared, params, true);
}

/** Execute a prepared statement for its effect only. */
export async function exec(conn: Connection, prepared: PreparedStatement, params: Record<string, unknown>): Promise<void> {
  await engine.execute(conn, prepared, params, false);
}

export async function prepare(conn: Connection, statement: string): Promise<PreparedStatement> {
  const prepared = await conn.prepare(statement);
  if (!prepared.isSuccess()) {
    // Kuzu's own message stays the cause: apply-errors.ts judges it by its kind.
    const message = prepared.getErrorMessage();
    throw new Error(`cannot prepare ${statement}: ${message}`, { cause: new Error(message) });
  }
  return prepared;
}

/**
 * A Cypher string literal for a value Kuzu only takes as a literal (e.g. `CALL table_info('T')`).
 * @example await run(conn, `CALL table_info(${stringLiteral(name)}) RETURN *`)
 */
export function stringLiteral(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * Kuzu's JS API refuses 0 ("no timeout"), so a connection is put back to the longest timeout it
 * accepts that still fits the 32-bit wait in Kuzu's task scheduler (about 24 days).
 */
const NO_TIMEOUT_MS = 2_147_483_647;

/**
 * Run `body` with Kuzu's query timeout set on `conn`, then lift it again. Kuzu checks the timeout
 * between chunks of rows, not inside one function call, so it bounds data-dependent work only.
 * @example await withQueryTimeout(conn, 5_000, () => exec(conn, prepared, {}));
 */
export async function withQueryTimeout<T>(conn: Connection, timeoutMs: number, body: () => Promise<T>): Promise<T> {
  await engine.setQueryTimeout(conn, timeoutMs);
  try {
    return await body();
  } finally {
    await engine.setQueryTimeout(conn, NO_TIMEOUT_MS);
  }
}

/** Whether an error is Kuzu's "the query was interrupted" (what its query timeout throws). */
export function isInterrupted(error: unknown): boolean {
  return error instanceof Error && error.message.trim() === "Interrupted.";
}

