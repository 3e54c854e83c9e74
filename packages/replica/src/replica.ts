/**
 * A KuzuDB replica that applies template events strictly in `seq` order, exactly once, with the
 * applied `seq` written in the same transaction as the events' effects.
 * @module
 */
import { ErrorCode, REGISTRY_TEMPLATE, RawDmlLimits, SyncError, checkReadOnlyCypher, type SequencedEvent, type WireRegistry } from "@kuzu-sync/protocol";
import { silentLogger, type Logger } from "@kuzu-sync/telemetry";
import { CompiledTemplates } from "./compiled-templates.ts";
import { DatabaseHandle } from "./database-handle.ts";
import type { EntityAccess } from "./footprint.ts";
import { eventFootprint, queryReads } from "./footprint-lookup.ts";
import * as k from "./kuzu.ts";
import { META_TABLE, createMeta, writeRegistry, type MetaState } from "./meta.ts";
import { applyRegistryEvent } from "./registry-event.ts";
import type { ApplyOutcome, ExportedSnapshot, ReplicaAtRest, ReplicaOptions } from "./replica-types.ts";
import { exportReplicaDatabase, importReplicaDatabase, openReplicaDatabase } from "./replica-storage.ts";
import { TemplateApplier } from "./template-applier.ts";
import { WriteSession } from "./write-session.ts";

export { META_TABLE };
export type { ApplyOutcome, ExportedSnapshot, ReplicaAtRest, ReplicaOptions };

/**
 * @example
 * const replica = await Replica.open({ path: "./data/replica.kuzu" });
 * await replica.install(welcome.registry);
 * await replica.apply(events);
 * const rows = await replica.query("MATCH (u:User) RETURN u.id AS id");
 * await replica.close();
 */
export class Replica {
  readonly path: string | null;
  readonly #h: DatabaseHandle;
  readonly #log: Logger;
  #appliedSeq: number;
  #hash: string | null;
  /** The registry in force (null: none installed, or a replica from before versions not yet told). */
  #registry: WireRegistry | null;
  #version: number | null;
  #templates: CompiledTemplates | null = null;
  /** Every write goes through this chain: one transaction at a time on the write connection. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** The write connection's transactions (and the reopen after a rollback, see reopen.ts). */
  readonly #tx: WriteSession;
  /** Template events (no registry event among them): windows of prepared templates, the rest alone. */
  readonly #applier: TemplateApplier;

  private constructor(path: string | null, db: k.Database, options: ReplicaOptions, meta: MetaState | null) {
    this.path = path;
    this.#h = new DatabaseHandle(path, db);
    this.#log = options.logger ?? silentLogger;
    this.#tx = new WriteSession(this.#h, this.#log, path, () => this.#templates);
    this.#applier = new TemplateApplier(
      this.#tx,
      this.#log,
      {
        templates: () => this.#templates,
        seqStatement: () => this.#seqStatement(),
        appliedSeq: () => this.#appliedSeq,
        applied: (seq) => (this.#appliedSeq = seq),
      },
      { maxBatchRows: options.maxBatchRows ?? 2_000, rawDmlTimeoutMs: options.rawDmlTimeoutMs ?? RawDmlLimits.timeoutMs },
    );
    this.#appliedSeq = meta?.seq ?? 0;
    this.#hash = meta?.hash ?? null;
    this.#registry = meta?.registry ?? null;
    this.#version = meta?.version ?? null;
    if (this.#registry) this.#templates = new CompiledTemplates(this.#registry, this.#log);
  }

  /** Open (or create) a replica. A persistent one resumes from the seq it stored. */
  static async open(options: ReplicaOptions = {}): Promise<Replica> {
    const path = options.path ?? null;
    const { db, meta } = await openReplicaDatabase(path);
    return new Replica(path, db, options, meta);
  }

  /**
   * Build a replica from a directory written by {@link exportSnapshot} (Kuzu `IMPORT DATABASE`).
   * `IMPORT DATABASE` needs an empty database, so `path` must not exist yet (or be null for an
   * in-memory replica). The applied seq and registry hash come from the snapshot's own meta table.
   * @example
   * const replica = await Replica.importSnapshot("/tmp/snap", { path: "./replica.kuzu.new" });
   * await replica.install(welcome.registry); // checks the hash, prepares the templates
   */
  static async importSnapshot(dir: string, options: ReplicaOptions = {}): Promise<Replica> {
    const path = options.path ?? null;
    const { db, meta } = await importReplicaDatabase(dir, path);
    return new Replica(path, db, options, meta);
  }

  /** Highest seq whose effects are committed in this replica. */
  get appliedSeq(): number {
    return this.#appliedSeq;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Hash of the registry this replica runs (null before {@link install} or a genesis event). */
  get registryHash(): string | null {
    return this.#hash;
  }

  /** Version of the registry this replica runs (null: none yet, or a replica from before versions). */
  get registryVersion(): number | null {
    return this.#version;
  }

  /** The registry this replica runs, as recorded in it (null: none yet, or from before versions). */
  get registry(): WireRegistry | null {
    return this.#registry;
  }

  /**
   * Give a replica the registry it starts from: on a new replica, create its schema (at the
   * current seq, normally 0); on one that runs the same registry (same hash), record it and
   * prepare its templates. Registry *changes* arrive as registry events in the stream instead
   * (see `apply`). A template's statements are prepared when it is first applied (or all of them
   * now, with `prepareAll`): a client installs while catch-up pages pour in, and every prepare is
   * a round trip to Kuzu that waits behind the parsing of those pages.
   * @example
   * await replica.install(welcome.base); // a new replica of a log from before registry versions
   */
  install(registry: WireRegistry, options: { readonly prepareAll?: boolean } = {}): Promise<void> {
    return this.#serial(async () => {
      if (this.#hash !== null && this.#hash !== registry.hash) {
        throw new SyncError(
          ErrorCode.REGISTRY_MISMATCH,
          `replica ${this.path ?? ":memory:"} runs registry ${this.#version === null ? "" : `version ${this.#version} `}(${this.#hash.slice(0, 12)}), not version ${registry.version} (${registry.hash.slice(0, 12)})`,
        );
      }
      if (this.#hash === null) {
        await this.#tx.transaction(async () => {
          for (const ddl of registry.schema) await k.run(this.#h.write, ddl);
          await createMeta(this.#h.write, this.#appliedSeq, registry);
        });
      } else if (this.#registry === null) {
        await writeRegistry(this.#h.write, this.#appliedSeq, registry);
      }
      this.#useRegistry(registry);
      await this.#tx.prepareSeq();
      if (options.prepareAll) for (const name of this.#templates!.names()) await this.#templates!.prepare(name, this.#h.write);
    });
  }

  #useRegistry(registry: WireRegistry): void {
    this.#hash = registry.hash;
    this.#version = registry.version;
    this.#registry = registry;
    // Statements prepared against the old catalog may not survive DDL: prepared again on first use.
    this.#templates = new CompiledTemplates(registry, this.#log);
  }

  /** The statement that moves the applied seq, prepared on first use (a reopened replica needs no install). */
  async #seqStatement(): Promise<k.PreparedStatement> {
    if (this.#hash === null) throw new SyncError(ErrorCode.NOT_READY, "replica has no registry installed");
    return this.#tx.seqStatement();
  }

  /**
   * Apply events in order. Events at or below {@link appliedSeq}, or repeated later in the batch,
   * are skipped (so redelivery is harmless); a gap throws, because applying past it would
   * diverge. Consecutive template events go in one transaction, in the order `planApply` gives
   * (conflict-free layers, one group per template: equivalent to seq order, see apply-plan.ts);
   * raw DML and events of templates that cannot run go alone, in their own transaction. The outcomes, and the state, are those of
   * applying one event at a time: an event that fails is found and left out (apply-window.ts).
   */
  apply(events: readonly SequencedEvent[]): Promise<ApplyOutcome[]> {
    return this.#serial(async () => {
      // A batch may hold a page again (pages a replaced connection delivered, then the new
      // connection's catch-up from the seq applied when it said hello): skip what is covered.
      const fresh: SequencedEvent[] = [];
      let covered = this.#appliedSeq;
      for (const e of events) {
        if (e.seq <= covered) continue;
        if (e.seq !== covered + 1) throw new SyncError(ErrorCode.INTERNAL, `gap in event stream: expected seq ${covered + 1}, got ${e.seq}`);
        fresh.push(e);
        covered = e.seq;
      }
      if (fresh.length === 0) return [];
      const outcomes: ApplyOutcome[] = [];
      let start = 0;
      for (let i = 0; i <= fresh.length; i++) {
        const e = fresh[i];
        if (e !== undefined && e.template !== REGISTRY_TEMPLATE) continue;
        // Registry events are barriers: what comes before runs with the registry then in force.
        if (i > start) outcomes.push(...(await this.#applier.apply(fresh.slice(start, i))));
        if (e !== undefined) outcomes.push(await this.#applyRegistry(e));
        start = i + 1;
      }
      return outcomes;
    });
  }

  /** A registry event: steps and the new registry in one transaction with its seq (registry-event.ts). */
  #applyRegistry(e: SequencedEvent): Promise<ApplyOutcome> {
    return applyRegistryEvent(e, {
      tx: this.#tx,
      log: this.#log,
      running: this.#hash === null ? null : { hash: this.#hash, version: this.#version },
      seqStatement: () => this.#seqStatement(),
      useRegistry: (registry) => this.#useRegistry(registry),
      applied: (seq) => (this.#appliedSeq = seq),
    });
  }

  /**
   * Write the whole replica to `dir` (Kuzu `EXPORT DATABASE`, Parquet). Runs in the write queue,
   * between two apply batches, so the export holds exactly the events up to the returned `seq`;
   * the meta table travels inside it, so an import knows its seq and registry by itself.
   * `dir` must not exist yet.
   * @example
   * const { seq } = await replica.exportSnapshot("/tmp/snap");
   */
  exportSnapshot(dir: string): Promise<ExportedSnapshot> {
    return this.atRest((r) => r.exportTo(dir));
  }

  /**
   * Run `task` in the write queue, between two applied batches: what it reads (and exports) is
   * the replica exactly at `seq`. `digestReplica` (graph-digest.ts) digests a replica this way, and
   * a snapshot is exported and digested at the same seq.
   * @example const rows = await replica.atRest(async (r) => ({ seq: r.seq, users: await r.query("MATCH (u:User) RETURN count(*) AS n") }));
   */
  atRest<T>(task: (replica: ReplicaAtRest) => Promise<T>): Promise<T> {
    return this.#serial(() =>
      task({
        seq: this.#appliedSeq,
        query: (cypher, params) => this.query(cypher, params),
        exportTo: (dir) => this.#exportTo(dir),
      }),
    );
  }

  async #exportTo(dir: string): Promise<ExportedSnapshot> {
    if (this.#hash === null) throw new SyncError(ErrorCode.NOT_READY, "replica has no registry installed; nothing to export");
    await exportReplicaDatabase(this.#h.write, dir, this.#registry?.schema ?? null);
    return { dir, seq: this.#appliedSeq, registryHash: this.#hash, registryVersion: this.#version };
  }

  /**
   * Run `statements` on the replica's data in a transaction that is rolled back, and say whether
   * they fail (their error) or not (null). The gateway checks a registry upgrade's steps with it.
   * @example const failure = await replica.dryRun(["ALTER TABLE Task ADD priority INT64 DEFAULT 0"]);
   */
  dryRun(statements: readonly string[]): Promise<string | null> {
    return this.#serial(async () => {
      await this.#tx.begin();
      // The steps may update rows in place: the rollback reopens the database (reopen.ts).
      this.#tx.markUpdated();
      try {
        for (const [i, s] of statements.entries()) {
          try {
            await k.run(this.#h.write, s);
          } catch (error) {
            return `step ${i} \`${s}\`: ${error instanceof Error ? error.message : String(error)}`;
          }
        }
        return null;
      } finally {
        await this.#tx.rollback();
        // Prepared statements may not survive the catalog's rollback.
        this.#templates?.unprepare();
        if (this.#hash !== null) await this.#tx.prepareSeq();
      }
    });
  }

  /**
   * Read from the replica; plain row objects. Writes are refused (FORBIDDEN): a local write would
   * make this replica silently differ from all the others.
   */
  async query(cypher: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]> {
    if (this.#closed) throw new SyncError(ErrorCode.CLOSED, "replica is closed");
    const check = checkReadOnlyCypher(cypher);
    if (!check.ok) throw new SyncError(ErrorCode.FORBIDDEN, check.message);
    try {
      return await this.#h.read((conn) => k.runPrepared(conn, cypher, params));
    } catch (cause) {
      throw new SyncError(ErrorCode.BAD_MESSAGE, cause instanceof Error ? cause.message : String(cause), { cause });
    }
  }

  /**
   * What an event of `template` with `params` reads and writes, entity by entity (its template's
   * footprint, keys filled in): null when that is not known — raw DML, registry events, templates
   * the registry lacks or the analysis does not understand — and the event may touch anything.
   * Live queries and the optimistic overlay use it to tell which events can affect what.
   * @example replica.footprintOf("UPDATE_USER", { id: "u1" }) // [{ write: true, table: "USER", key: "u1" }]
   */
  footprintOf(template: string, params: Readonly<Record<string, unknown>>): EntityAccess[] | null {
    return eventFootprint(this.#templates, template, params);
  }

  /**
   * What the read query `cypher` with `params` may read (see read-footprint.ts); null: anything.
   * @example replica.readsOf("MATCH (u:User {id: $id}) RETURN u.name", { id: "u1" }) // [{ write: false, table: "USER", key: "u1" }]
   */
  readsOf(cypher: string, params: Readonly<Record<string, unknown>> = {}): EntityAccess[] | null {
    return queryReads(this.#templates, cypher, params);
  }

  /** Wait for pending writes, then close connections and the database. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => {});
    await this.#h.close();
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new SyncError(ErrorCode.CLOSED, "replica is closed"));
    const next = this.#queue.then(task, task);
    this.#queue = next.catch(() => {});
    return next;
  }
}
