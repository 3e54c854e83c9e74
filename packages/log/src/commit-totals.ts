/**
 * What an event log derives from its committed events and keeps beside them, in its own SQLite
 * database and in the transaction that records them: events per template, events per client, and
 * the aggregates (see `aggregate-store.ts`). The embedded log and the JetStream index both use it,
 * so both count the same way; neither ever recounts from history.
 *
 * Like the aggregate store, it works in two steps around the caller's commit:
 * ```
 * db.transaction(() => { …record the events…; staged = totals.stage(newEvents); })();
 * totals.publish(staged); // only after the transaction committed
 * ```
 * @module
 */
import type { Database, Statement } from "bun:sqlite";
import { REGISTRY_TEMPLATE, type SequencedEvent, type WireAggregate } from "@kuzu-sync/protocol";
import type { Logger } from "@kuzu-sync/telemetry";
import { AggregateStore, type AggregateDelta } from "./aggregate-store.ts";
import { RegistryHistory, type RegistryVersionEntry } from "./registry-history.ts";

/** Counts staged in a transaction, with the aggregates' changes. */
export interface StagedTotals {
  readonly templates: ReadonlyMap<string, number>;
  readonly clients: ReadonlyMap<string, number>;
  readonly aggregates: AggregateDelta;
  /** Registry versions recorded by these events. */
  readonly registry: readonly RegistryVersionEntry[];
  /** Counts dropped before these were added (see {@link CommitTotals.stage}). */
  readonly restart: boolean;
}

/** One persisted count per key (a template, a client id). */
class Tally {
  readonly #memory = new Map<string, number>();
  readonly #bump: Statement;
  readonly #clear: Statement;

  constructor(db: Database, table: string, column: string) {
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (${column} TEXT PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID`);
    for (const row of db.query<{ k: string; count: number }, []>(`SELECT ${column} AS k, count FROM ${table}`).all()) this.#memory.set(row.k, row.count);
    this.#bump = db.prepare(`INSERT INTO ${table} (${column}, count) VALUES (?, ?) ON CONFLICT(${column}) DO UPDATE SET count = count + excluded.count`);
    this.#clear = db.prepare(`DELETE FROM ${table}`);
  }

  /** Write the increments (inside the caller's transaction); memory waits for {@link publish}. */
  stage(keys: Iterable<string>, restart: boolean): Map<string, number> {
    const added = new Map<string, number>();
    for (const k of keys) added.set(k, (added.get(k) ?? 0) + 1);
    if (restart) this.#clear.run();
    for (const [k, n] of added) this.#bump.run(k, n);
    return added;
  }

  publish(added: ReadonlyMap<string, number>, restart: boolean): void {
    if (restart) this.#memory.clear();
    for (const [k, n] of added) this.#memory.set(k, (this.#memory.get(k) ?? 0) + n);
  }

  toRecord(): Record<string, number> {
    return Object.fromEntries(this.#memory);
  }
}

/**
 * @example
 * const totals = CommitTotals.attach(db, registry.toWire().aggregates, { headSeq, logger });
 * const staged = db.transaction(() => totals.stage(newEvents))();
 * totals.publish(staged);
 * totals.templateCounts(); // { CREATE_USER: 3 }
 */
export class CommitTotals {
  /** The aggregate cache, persisted in the same database. */
  readonly aggregates: AggregateStore;
  /** The registry versions in the log (kept across archiving and restarts of the counts). */
  readonly registry: RegistryHistory;
  readonly #templates: Tally;
  readonly #clients: Tally;

  private constructor(db: Database, definitions: readonly WireAggregate[], headSeq: number, logger: Logger) {
    this.#templates = new Tally(db, "template_counts", "template");
    this.#clients = new Tally(db, "client_counts", "client_id");
    this.aggregates = AggregateStore.attach(db, definitions, { headSeq, logger });
    this.registry = RegistryHistory.attach(db);
  }

  /**
   * Create the tables if needed and load the stored counts and aggregates (one row per template,
   * client and aggregate group). `headSeq`: the log's head, where a newly declared aggregate starts.
   */
  static attach(db: Database, definitions: readonly WireAggregate[], options: { readonly headSeq: number; readonly logger: Logger }): CommitTotals {
    return new CommitTotals(db, definitions, options.headSeq, options.logger);
  }

  /**
   * Count newly committed events (never duplicates or duplicate slots), in seq order, inside the
   * caller's transaction. `restartFrom`: drop every count and aggregate value first and count from
   * that seq on — for a log that cannot see the events before it.
   */
  stage(events: readonly SequencedEvent[], restartFrom: number | null = null): StagedTotals {
    const restart = restartFrom !== null;
    // Registry events are recorded as versions, not counted as DML.
    const dml = events.filter((e) => e.template !== REGISTRY_TEMPLATE);
    return {
      templates: this.#templates.stage(dml.map((e) => e.template), restart),
      clients: this.#clients.stage(dml.map((e) => e.clientId), restart),
      aggregates: this.aggregates.stage(events, restartFrom),
      registry: this.registry.stage(events),
      restart,
    };
  }

  /** Make staged counts and values visible, once their transaction has committed. */
  publish(staged: StagedTotals): void {
    this.#templates.publish(staged.templates, staged.restart);
    this.#clients.publish(staged.clients, staged.restart);
    this.aggregates.publish(staged.aggregates);
    this.registry.publish(staged.registry);
  }

  /** Committed events per template. */
  templateCounts(): Record<string, number> {
    return this.#templates.toRecord();
  }

  /** Committed events per client id. */
  clientCounts(): Record<string, number> {
    return this.#clients.toRecord();
  }
}
