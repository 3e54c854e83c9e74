/**
 * The thin layer over the `kuzu` npm package: every QueryResult is closed here, always, because
 * an unclosed result makes Bun crash at exit once the database is closed.
 * @module
 */
import kuzu from "kuzu";

export type KuzuValue = unknown;
export type Row = Record<string, KuzuValue>;
export type Connection = InstanceType<typeof kuzu.Connection>;
export type Database = InstanceType<typeof kuzu.Database>;
export type PreparedStatement = Awaited<ReturnType<Connection["prepare"]>>;
type QueryResult = InstanceType<typeof kuzu.QueryResult>;

export function openDatabase(path: string | null, options: { readonly readOnly?: boolean } = {}): Database {
  if (options.readOnly) return new kuzu.Database(path ?? ":memory:", 0, true, true);
  return new kuzu.Database(path ?? ":memory:");
}

export function openConnection(db: Database): Connection {
  return new kuzu.Connection(db);
}

async function drain(result: QueryResult | QueryResult[], keep: boolean): Promise<Row[]> {
  const results = Array.isArray(result) ? result : [result];
  let rows: Row[] = [];
  try {
    for (const r of results) if (keep) rows = (await r.getAll()) as Row[];
  } finally {
    for (const r of results) r.close();
  }
  return rows;
}

/** Run a statement (with bound parameters when given) and return the last result's rows. */
export async function run(conn: Connection, statement: string, params?: Record<string, unknown>): Promise<Row[]> {
  if (params === undefined) return drain(await conn.query(statement), true);
  return runPrepared(conn, statement, params);
}

/**
 * Always through prepare(): it refuses multi-statement text, which `conn.query()` would run and
 * then crash Bun while reading the second result. Use it for any text from outside.
 */
export async function runPrepared(conn: Connection, statement: string, params: Record<string, unknown> = {}): Promise<Row[]> {
  const prepared = await conn.prepare(statement);
  if (!prepared.isSuccess()) throw new Error(prepared.getErrorMessage());
  return drain(await conn.execute(prepared, params as never), true);
}

/** Execute a prepared statement for its effect only. */
export async function exec(conn: Connection, prepared: PreparedStatement, params: Record<string, unknown>): Promise<void> {
  await drain(await conn.execute(prepared, params as never), false);
}

export async function prepare(conn: Connection, statement: string): Promise<PreparedStatement> {
  const prepared = await conn.prepare(statement);
  if (!prepared.isSuccess()) throw new Error(`cannot prepare ${statement}: ${prepared.getErrorMessage()}`);
  return prepared;
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
  conn.setQueryTimeout(timeoutMs);
  try {
    return await body();
  } finally {
    conn.setQueryTimeout(NO_TIMEOUT_MS);
  }
}

/** Whether an error is Kuzu's "the query was interrupted" (what its query timeout throws). */
export function isInterrupted(error: unknown): boolean {
  return error instanceof Error && error.message.trim() === "Interrupted.";
}

/**
 * A Cypher string literal for a value Kuzu only takes as a literal (e.g. `CALL table_info('T')`).
 * @example await run(conn, `CALL table_info(${stringLiteral(name)}) RETURN *`)
 */
export function stringLiteral(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}
