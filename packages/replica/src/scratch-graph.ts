/**
 * A throwaway in-memory Kuzu database holding a registry's schema, for checking templates outside
 * any replica: prepare their statements, run one template's single form event by event or its
 * batch form on a set of rows, and dump or digest the graph they leave (`sync-server check`).
 *
 * It runs statements through the plain adapter (kuzu.ts), one transaction per call, exactly as
 * written: no seq, no run splitting, no apply strategy, so what it shows is the templates alone.
 * @module
 */
import { BATCH_ROWS_PARAM, parameterNames, statementsOf, type Statements } from "@kuzu-sync/protocol";
import { digestGraph, dumpGraph, type GraphDigest, type GraphDump, type GraphReader } from "./graph-digest.ts";
import * as k from "./kuzu.ts";
import { splitByShape } from "./row-shapes.ts";

/** A template's statements as the scratch graph runs them. */
export interface ScratchTemplate {
  /** Every declared parameter name: an absent optional one is bound as null, as replicas do. */
  readonly paramNames: readonly string[];
  readonly cypher: Statements;
  readonly batch?: { readonly cypher: Statements };
}

/** How one call went: a failure rolled its transaction back, so the graph is as before it. */
export type ScratchOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string };

/**
 * @example
 * await using graph = await ScratchGraph.create(registry.schema);
 * await graph.applySingle(template, { id: "t1" });
 * const { sha256 } = await graph.digest();
 */
export class ScratchGraph implements GraphReader, AsyncDisposable {
  readonly #db: k.Database;
  readonly #conn: k.Connection;
  #closed = false;

  private constructor(db: k.Database, conn: k.Connection) {
    this.#db = db;
    this.#conn = conn;
  }

  /**
   * A fresh in-memory database with `schema` run in order. Throws naming the statement that failed.
   * @example const graph = await ScratchGraph.create(["CREATE NODE TABLE T(id STRING, PRIMARY KEY(id))"]);
   */
  static async create(schema: readonly string[]): Promise<ScratchGraph> {
    const db = k.openDatabase(null);
    const conn = k.openConnection(db);
    const graph = new ScratchGraph(db, conn);
    for (const [i, ddl] of schema.entries()) {
      try {
        await k.runPrepared(conn, ddl);
      } catch (error) {
        await graph.close();
        throw new Error(`schema[${i}] fails on an empty database: ${message(error)} (${ddl})`, { cause: error });
      }
    }
    return graph;
  }

  /**
   * Kuzu's verdict on a statement (syntax, tables, properties, types it can see without values):
   * null when it prepares, else Kuzu's message.
   * @example await graph.prepareError("MATCH (u:Usr) RETURN u") // "Binder exception: Table Usr does not exist."
   */
  async prepareError(statement: string): Promise<string | null> {
    try {
      await k.prepare(this.#conn, statement);
      return null;
    } catch (error) {
      const text = message(error);
      const prefix = `cannot prepare ${statement}: `;
      return text.startsWith(prefix) ? text.slice(prefix.length) : text;
    }
  }

  /**
   * One event through the template's single form, in its own transaction.
   * @example await graph.applySingle(template, { id: "t1", title: "Write docs" })
   */
  applySingle(template: ScratchTemplate, params: Readonly<Record<string, unknown>>): Promise<ScratchOutcome> {
    const bound = bind(template, params);
    return this.#transaction(statementsOf(template.cypher).map((statement) => [statement, pick(bound, statement)]));
  }

  /**
   * A run of events through the template's batch form (`$rows`), in one transaction.
   * @example await graph.applyBatch(template, [{ id: "t1" }, { id: "t2" }])
   */
  applyBatch(template: ScratchTemplate, rows: readonly Readonly<Record<string, unknown>>[]): Promise<ScratchOutcome> {
    if (template.batch === undefined) return Promise.resolve({ ok: false, error: "the template has no batch form" });
    // As a replica runs it: one statement per row shape (row-shapes.ts).
    const statements = statementsOf(template.batch.cypher);
    const steps = splitByShape(rows.map((params) => bind(template, params))).flatMap((group) =>
      statements.map((statement): [string, Record<string, unknown>] => [statement, { [BATCH_ROWS_PARAM]: group }]),
    );
    return this.#transaction(steps);
  }

  /** Read-only query on the scratch graph (what {@link dumpGraph} reads through). */
  query(cypher: string): Promise<Record<string, unknown>[]> {
    return k.runPrepared(this.#conn, cypher);
  }

  dump(): Promise<GraphDump> {
    return dumpGraph(this);
  }

  digest(): Promise<GraphDigest> {
    return digestGraph(this);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#conn.close();
    await this.#db.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #transaction(steps: readonly (readonly [string, Record<string, unknown>])[]): Promise<ScratchOutcome> {
    await k.run(this.#conn, "BEGIN TRANSACTION");
    try {
      for (const [statement, params] of steps) await k.runPrepared(this.#conn, statement, params);
      await k.run(this.#conn, "COMMIT");
      return { ok: true };
    } catch (error) {
      try {
        await k.run(this.#conn, "ROLLBACK");
      } catch {
        // Kuzu already rolled the transaction back when the statement failed.
      }
      return { ok: false, error: message(error) };
    }
  }
}

/** Every declared parameter, absent ones as null (what a replica binds). */
function bind(template: ScratchTemplate, params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of template.paramNames) out[name] = params[name] ?? null;
  return out;
}

/** The parameters one statement of a list uses: Kuzu refuses to bind one a statement does not use. */
function pick(bound: Readonly<Record<string, unknown>>, statement: string): Record<string, unknown> {
  const names = parameterNames(statement) ?? Object.keys(bound);
  return Object.fromEntries(names.filter((n) => Object.hasOwn(bound, n)).map((n) => [n, bound[n]]));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
