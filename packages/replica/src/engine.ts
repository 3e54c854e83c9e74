/**
 * The engine boundary: the few things a replica asks of a Kuzu build. Two builds implement it, the
 * native `kuzu` addon under Bun (engine-native.ts) and `kuzu-wasm` in a browser (engine-wasm.ts);
 * `kuzu.ts` holds the one chosen by the package's `imports` conditions (`#engine`: `browser`, else
 * native), and nothing outside this package knows which one runs.
 * @module
 */

/** One result row: column name → value, numbers and strings as primitives on every engine. */
export type Row = Record<string, unknown>;

/** A statement prepared on one connection. Failing to prepare is a value, not an exception. */
export interface PreparedStatement {
  isSuccess(): boolean;
  /** Why the statement could not be prepared ("" when it could). */
  getErrorMessage(): string;
}

/** A connection to a {@link Database}; statements on one connection run one at a time. */
export interface Connection {
  prepare(statement: string): Promise<PreparedStatement>;
  close(): Promise<void>;
}

/** An open database: a directory/file, or in memory. */
export interface Database {
  close(): Promise<void>;
}

/**
 * What a Kuzu build provides. Opening is synchronous (both builds open lazily or at once and report
 * failures on first use); every statement is asynchronous. The engine closes every query result
 * it creates before returning, whatever happened: an unclosed result crashes Bun at exit.
 * @example
 * const db = engine.openDatabase(null);
 * const conn = engine.openConnection(db);
 * const rows = await engine.query(conn, "RETURN 1 AS one", true); // [{ one: 1 }]
 */
export interface Engine {
  /** `kuzu` (native addon) or `kuzu-wasm`; for logs and tests. */
  readonly name: "kuzu" | "kuzu-wasm";
  /** A database at `path` (a file, created when missing), or in memory for null. */
  openDatabase(path: string | null, options?: { readonly readOnly?: boolean }): Database;
  openConnection(db: Database): Connection;
  /**
   * Run statement text without parameters; the rows of its last result when `keep`, else []. Throws
   * with Kuzu's message when it fails. Only for text this package writes itself (see kuzu.ts).
   */
  query(conn: Connection, statement: string, keep: boolean): Promise<Row[]>;
  /** Execute a prepared statement with bound parameters; like {@link Engine.query} otherwise. */
  execute(conn: Connection, prepared: PreparedStatement, params: Record<string, unknown>, keep: boolean): Promise<Row[]>;
  /** Kuzu's query timeout for later statements on `conn` (ms); a statement past it fails with "Interrupted.". */
  setQueryTimeout(conn: Connection, timeoutMs: number): Promise<void>;
}
