/**
 * A KuzuDB replica that applies template events strictly in `seq` order, exactly once, with the
 * applied `seq` written in the same transaction as the events' effects.
 * @module
 */
import { dirname, existsSync, mkdirSync } from "#host-fs";
import {
  ErrorCode,
  RAW_DML_TEMPLATE,
  REGISTRY_TEMPLATE,
  RawDmlLimits,
  SyncError,
  checkRawDmlParams,
  checkReadOnlyCypher,
  type SequencedEvent,
  type WireRegistry,
} from "@kuzu-sync/protocol";
import { silentLogger, type Logger } from "@kuzu-sync/telemetry";
import { classifyApplyError } from "./apply-errors.ts";
import { ApplyStrategy } from "./apply-strategy.ts";
import { applyWindow, type WindowExecutor } from "./apply-window.ts";
import { CompiledTemplates, type Compiled } from "./compiled-templates.ts";
import { DatabaseHandle } from "./database-handle.ts";
import { entityAccesses, type Access, type EntityAccess } from "./footprint.ts";
import * as k from "./kuzu.ts";
import { META_TABLE, SET_SEQ, createMeta, readMeta, upgradeMetaColumns, writeRegistry, type MetaState } from "./meta.ts";
import { readFootprint } from "./read-footprint.ts";
import { applyRegistryChange } from "./registry-change.ts";
import { cutAtRelHazards } from "./rel-hazards.ts";
import { checkExportedCypher } from "./snapshot-check.ts";
import { splitByShape } from "./row-shapes.ts";
import { rewriteExportedSchema } from "./snapshot-schema.ts";
import { bindParams, describeStatement, execStatements, type Statement } from "./template-statements.ts";

export { META_TABLE };

export interface ReplicaOptions {
  /** Database file; null or absent for an in-memory replica. */
  readonly path?: string | null;
  readonly logger?: Logger;
  /** Most rows of one UNWIND statement (longer groups of one template are split). */
  readonly maxBatchRows?: number;
  /** Kuzu query timeout for one raw DML statement, in ms (default `RawDmlLimits.timeoutMs`). */
  readonly rawDmlTimeoutMs?: number;
}

/** What {@link Replica.exportSnapshot} wrote: the directory holds the replica as of `seq`. */
export interface ExportedSnapshot {
  readonly dir: string;
  readonly seq: number;
  readonly registryHash: string;
  /** The registry version in force at `seq` (null for a replica made before registry versions). */
  readonly registryVersion: number | null;
}

/**
 * What happened to one event. A failed event still advances the seq: it failed on every replica.
 * A quarantined event (taken out of service by an operator, see docs/SECURITY.md) is not run: it
 * is reported as failed, with `error` starting with "quarantined".
 */
export interface ApplyOutcome {
  readonly seq: number;
  readonly template: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** The replica between two applied batches, as {@link Replica.atRest} hands it out. */
export interface ReplicaAtRest {
  /** The applied seq: nothing moves it while the task runs. */
  readonly seq: number;
  /** A read, as {@link Replica.query}. */
  query(cypher: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]>;
  /** `EXPORT DATABASE` to `dir` (which must not exist), as {@link Replica.exportSnapshot}. */
  exportTo(dir: string): Promise<ExportedSnapshot>;
}

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
  readonly #maxBatchRows: number;
  readonly #rawDmlTimeoutMs: number;
  readonly #strategy = new ApplyStrategy<Compiled>();
  #appliedSeq: number;
  #hash: string | null;
  /** The registry in force (null: none installed, or a replica from before versions not yet told). */
  #registry: WireRegistry | null;
  #version: number | null;
  #templates: CompiledTemplates | null = null;
  /** Every write goes through this chain: one transaction at a time on the write connection. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** The open transaction ran a statement that updates rows in place (see reopen.ts). */
  #txUpdated = false;
  #setSeq: k.PreparedStatement | undefined;
  readonly #executor: WindowExecutor<Compiled>;

  private constructor(path: string | null, db: k.Database, options: ReplicaOptions, meta: MetaState | null) {
    this.path = path;
    this.#h = new DatabaseHandle(path, db);
    this.#log = options.logger ?? silentLogger;
    this.#maxBatchRows = options.maxBatchRows ?? 2_000;
    this.#rawDmlTimeoutMs = options.rawDmlTimeoutMs ?? RawDmlLimits.timeoutMs;
    this.#executor = this.#makeExecutor();
    this.#appliedSeq = meta?.seq ?? 0;
    this.#hash = meta?.hash ?? null;
    this.#registry = meta?.registry ?? null;
    this.#version = meta?.version ?? null;
    if (this.#registry) this.#templates = new CompiledTemplates(this.#registry, this.#log);
  }

  /** Open (or create) a replica. A persistent one resumes from the seq it stored. */
  static async open(options: ReplicaOptions = {}): Promise<Replica> {
    const path = options.path ?? null;
    if (path !== null) mkdirSync(dirname(path), { recursive: true });
    const db = k.openDatabase(path);
    const conn = k.openConnection(db);
    let meta: MetaState | null;
    try {
      meta = await readMeta(conn, path ?? ":memory:");
      if (meta !== null && meta.version === null) await upgradeMetaColumns(conn);
    } catch (error) {
      await conn.close();
      await db.close();
      throw error;
    }
    await conn.close();
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
    if (path !== null) {
      if (existsSync(path)) throw new SyncError(ErrorCode.INTERNAL, `cannot import a snapshot into ${path}: it already exists`);
      mkdirSync(dirname(path), { recursive: true });
    }
    checkExportedCypher(dir);
    const db = k.openDatabase(path);
    const conn = k.openConnection(db);
    let meta: MetaState | null;
    try {
      await k.run(conn, `IMPORT DATABASE ${quotePath(dir)}`);
      meta = await readMeta(conn, `snapshot in ${dir}`);
      if (meta === null) throw new SyncError(ErrorCode.INTERNAL, `snapshot in ${dir} has no ${META_TABLE} state`);
      if (meta.version === null) await upgradeMetaColumns(conn);
    } catch (error) {
      await conn.close();
      await db.close();
      throw error instanceof SyncError ? error : new SyncError(ErrorCode.INTERNAL, `cannot import snapshot ${dir}: ${String(error)}`, { cause: error });
    }
    await conn.close();
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
        await this.#transaction(async () => {
          for (const ddl of registry.schema) await k.run(this.#h.write, ddl);
          await createMeta(this.#h.write, this.#appliedSeq, registry);
        });
      } else if (this.#registry === null) {
        await writeRegistry(this.#h.write, this.#appliedSeq, registry);
      }
      this.#useRegistry(registry);
      this.#setSeq = await k.prepare(this.#h.write, SET_SEQ);
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
    return (this.#setSeq ??= await k.prepare(this.#h.write, SET_SEQ));
  }

  /** Run `task` in one transaction (rolled back, and the database reopened if needed, when it throws). */
  async #transaction(task: () => Promise<void>): Promise<void> {
    await this.#begin();
    // DDL and data steps may update rows in place: a rollback reopens (reopen.ts).
    this.#txUpdated = true;
    try {
      await task();
      await k.run(this.#h.write, "COMMIT");
      this.#txUpdated = false;
    } catch (error) {
      await this.#rollback();
      throw error;
    }
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
        if (i > start) outcomes.push(...(await this.#applyTemplateEvents(fresh.slice(start, i))));
        if (e !== undefined) outcomes.push(await this.#applyRegistry(e));
        start = i + 1;
      }
      return outcomes;
    });
  }

  /** Template events (no registry event among them): windows of prepared templates, the rest alone. */
  async #applyTemplateEvents(fresh: readonly SequencedEvent[]): Promise<ApplyOutcome[]> {
    const templates = this.#templates;
    if (!templates) throw new SyncError(ErrorCode.NOT_READY, "replica has no registry installed");
    this.#setSeq = await this.#seqStatement();
    await templates.prepareSome(new Set(fresh.map((e) => e.template)), this.#h.write);
    const outcomes: ApplyOutcome[] = [];
    let window: SequencedEvent[] = [];
    for (const e of fresh) {
      if (e.quarantined === undefined && (e.duplicateOf !== undefined || templates.ready(e.template))) {
        window.push(e);
        continue;
      }
      outcomes.push(...(await this.#applyWindow(window)), e.quarantined === undefined ? await this.#applyOne(e) : await this.#skipQuarantined(e));
      window = [];
    }
    outcomes.push(...(await this.#applyWindow(window)));
    return outcomes;
  }

  /** A registry event: steps and the new registry in one transaction with its seq (see registry-change.ts). */
  async #applyRegistry(e: SequencedEvent): Promise<ApplyOutcome> {
    const running = this.#hash === null ? null : { hash: this.#hash, version: this.#version };
    const step = e.duplicateOf !== undefined ? ({ action: "skip" } as const) : applyRegistryChange(running, e.params);
    if (step.action === "run") {
      try {
        await this.#transaction(async () => {
          for (const statement of step.statements) await k.run(this.#h.write, statement);
          if (step.create) await createMeta(this.#h.write, e.seq, step.registry);
          else await writeRegistry(this.#h.write, e.seq, step.registry);
        });
      } catch (cause) {
        // Checked against the previous version's schema before it was appended; failing here means
        // this replica's data differs from what the gateway saw. Stop rather than diverge.
        throw new SyncError(
          ErrorCode.INTERNAL,
          `registry version ${step.registry.version} cannot be applied at seq ${e.seq}: ${cause instanceof Error ? cause.message : String(cause)}; this replica stops here`,
          { cause, eventId: e.id },
        );
      }
      this.#useRegistry(step.registry);
      this.#setSeq = await k.prepare(this.#h.write, SET_SEQ);
      this.#appliedSeq = e.seq;
      this.#log.info("registry version applied", { seq: e.seq, version: step.registry.version, hash: step.registry.hash.slice(0, 12), steps: step.statements.length });
      return { seq: e.seq, template: e.template, ok: true };
    }
    await k.exec(this.#h.write, await this.#seqStatement(), { seq: e.seq });
    this.#appliedSeq = e.seq;
    if (step.action === "skip") return { seq: e.seq, template: e.template, ok: true };
    this.#log.warn("registry event does not apply to this replica", { seq: e.seq, error: step.reason });
    return { seq: e.seq, template: e.template, ok: false, error: step.reason };
  }

  /** Consecutive events of prepared templates (and duplicate slots), in few transactions. */
  async #applyWindow(events: readonly SequencedEvent[]): Promise<ApplyOutcome[]> {
    const outcomes: ApplyOutcome[] = [];
    for (const run of cutAtRelHazards(events, (e) => this.#templates!.known(e.template)?.rels ?? null)) outcomes.push(...(await this.#applyRun(run)));
    return outcomes;
  }

  /** Consecutive events of prepared templates (and duplicate slots), in one transaction. */
  async #applyRun(events: readonly SequencedEvent[]): Promise<ApplyOutcome[]> {
    if (events.length <= 1) return events.length === 0 ? [] : [await this.#applyOne(events[0]!)];
    const last = events[events.length - 1]!.seq;
    let failed: Map<number, unknown>;
    try {
      failed = await applyWindow(this.#executor, events, last);
    } catch {
      // Nothing to pin the failure on: one transaction per event, as a last resort.
      const outcomes: ApplyOutcome[] = [];
      for (const e of events) outcomes.push(await this.#applyOne(e));
      return outcomes;
    }
    this.#appliedSeq = last;
    if (this.#log.isEnabled("debug")) this.#logApplied(events.filter((e) => !failed.has(e.seq)));
    return events.map((e) => (failed.has(e.seq) ? this.#failed(e, failed.get(e.seq)) : { seq: e.seq, template: e.template, ok: true }));
  }

  /** How a window reaches Kuzu (see apply-window.ts). */
  #makeExecutor(): WindowExecutor<Compiled> {
    // Statements are prepared again when a rollback reopened the database (reopen.ts).
    const forms = async (c: Compiled) => (await this.#templates!.prepare(c.template.name, this.#h.write)).forms;
    return {
      maxRows: this.#maxBatchRows,
      strategy: this.#strategy,
      templateOf: (e) => this.#templates!.known(e.template),
      hasBatch: (c) => c.template.batch !== undefined,
      begin: () => this.#begin(),
      single: async (c, e) => this.#run((await forms(c)).single, bindParams(c.template, e.params)),
      // One statement per row shape: Kuzu types a row list by its first row (row-shapes.ts).
      batch: async (c, events) => {
        const statements = (await forms(c)).batch!;
        for (const rows of splitByShape(events.map((e) => bindParams(c.template, e.params)))) await this.#run(statements, { rows });
      },
      commit: async (lastSeq) => {
        await k.exec(this.#h.write, this.#setSeq!, { seq: lastSeq });
        await k.run(this.#h.write, "COMMIT");
      },
      rollback: () => this.#rollback(),
      deterministic: (cause) => classifyApplyError(cause).deterministic,
    };
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
    if (existsSync(dir)) throw new SyncError(ErrorCode.INTERNAL, `cannot export to ${dir}: it already exists`);
    await k.run(this.#h.write, `EXPORT DATABASE ${quotePath(dir)} (format='parquet')`);
    // Kuzu's export drops column defaults; put the declared statements back (snapshot-schema.ts).
    if (this.#registry !== null) rewriteExportedSchema(dir, this.#registry.schema);
    return { dir, seq: this.#appliedSeq, registryHash: this.#hash, registryVersion: this.#version };
  }

  /**
   * Run `statements` on the replica's data in a transaction that is rolled back, and say whether
   * they fail (their error) or not (null). The gateway checks a registry upgrade's steps with it.
   * @example const failure = await replica.dryRun(["ALTER TABLE Task ADD priority INT64 DEFAULT 0"]);
   */
  dryRun(statements: readonly string[]): Promise<string | null> {
    return this.#serial(async () => {
      await this.#begin();
      // The steps may update rows in place: the rollback reopens the database (reopen.ts).
      this.#txUpdated = true;
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
        await this.#rollback();
        // Prepared statements may not survive the catalog's rollback.
        this.#templates?.unprepare();
        if (this.#hash !== null) this.#setSeq = await k.prepare(this.#h.write, SET_SEQ);
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
    const templates = this.#templates;
    if (templates === null || template === RAW_DML_TEMPLATE || template === REGISTRY_TEMPLATE) return null;
    let accesses: readonly Access[] | null;
    try {
      accesses = templates.compile(template).accesses;
    } catch {
      return null;
    }
    return accesses === null ? null : entityAccesses(accesses, params);
  }

  /**
   * What the read query `cypher` with `params` may read (see read-footprint.ts); null: anything.
   * @example replica.readsOf("MATCH (u:User {id: $id}) RETURN u.name", { id: "u1" }) // [{ write: false, table: "USER", key: "u1" }]
   */
  readsOf(cypher: string, params: Readonly<Record<string, unknown>> = {}): EntityAccess[] | null {
    const templates = this.#templates;
    if (templates === null) return null;
    const accesses = readFootprint(cypher, templates.tables);
    return accesses === null ? null : entityAccesses(accesses, params);
  }

  /** Wait for pending writes, then close connections and the database. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => {});
    await this.#h.close();
  }

  /**
   * A quarantined event: its seq is recorded and nothing runs (every replica that reaches it does
   * the same). Registry events are never quarantined (`sync-server quarantine` refuses them, and
   * `apply` ignores the mark on one).
   */
  async #skipQuarantined(e: SequencedEvent): Promise<ApplyOutcome> {
    await k.exec(this.#h.write, this.#setSeq!, { seq: e.seq });
    this.#appliedSeq = e.seq;
    const error = `quarantined by the operator${e.quarantined ? `: ${e.quarantined}` : ""}`;
    this.#log.warn("quarantined event skipped", { seq: e.seq, template: e.template, eventId: e.id, reason: e.quarantined });
    return { seq: e.seq, template: e.template, ok: false, error };
  }

  /** One event in its own transaction, with its single form: the outcome every replica records. */
  async #applyOne(e: SequencedEvent): Promise<ApplyOutcome> {
    let failure: unknown;
    try {
      await this.#begin();
      if (e.duplicateOf === undefined) await this.#execAlone(e);
      await k.exec(this.#h.write, this.#setSeq!, { seq: e.seq });
      await k.run(this.#h.write, "COMMIT");
      this.#appliedSeq = e.seq;
      this.#logApplied([e]);
      return { seq: e.seq, template: e.template, ok: true };
    } catch (error) {
      failure = error;
      await this.#rollback();
    }
    // Only a failure the statement itself causes is the same on every replica (apply-errors.ts);
    // the engine giving up (a timeout, I/O, memory…) says nothing about the event: stop before it.
    const judged = classifyApplyError(failure);
    if (!judged.deterministic) {
      if (failure instanceof SyncError && failure.code === ErrorCode.APPLY_TIMEOUT) throw failure;
      throw new SyncError(
        ErrorCode.APPLY_STOPPED,
        `seq ${e.seq} (event ${e.id}, ${e.template}) was not applied: a ${judged.kind} error that is not the event's (${judged.message}); the replica stays at seq ${this.#appliedSeq} and must be retried`,
        { cause: failure, eventId: e.id },
      );
    }
    // The statement fails the same way on every replica (same state, same order), so the event
    // is recorded as applied-with-failure and the stream moves on.
    await k.exec(this.#h.write, this.#setSeq!, { seq: e.seq });
    this.#appliedSeq = e.seq;
    return this.#failed(e, failure);
  }

  #failed(e: SequencedEvent, failure: unknown): ApplyOutcome {
    // Kuzu names a node by its physical offset in some errors ("Node(nodeOffset: 3) has more
    // than one neighbour…"); offsets depend on the order nodes were stored in, which differs
    // between replicas (batched, one at a time, imported from a snapshot), so it is left out.
    const message = (failure instanceof Error ? failure.message : String(failure)).replace(/\(nodeOffset: \d+\)/g, "");
    this.#log.warn("event failed to apply", { seq: e.seq, template: e.template, eventId: e.id, clientId: e.clientId, traceparent: e.traceparent, error: message });
    return { seq: e.seq, template: e.template, ok: false, error: message };
  }

  /** Debug lifecycle records, with the traceparent, so one write can be followed to every replica. */
  #logApplied(events: readonly SequencedEvent[]): void {
    if (!this.#log.isEnabled("debug")) return;
    for (const e of events) {
      this.#log.debug("event applied", { eventId: e.id, seq: e.seq, template: e.template, clientId: e.clientId, traceparent: e.traceparent });
    }
  }

  async #begin(): Promise<void> {
    this.#txUpdated = false;
    await k.run(this.#h.write, "BEGIN TRANSACTION");
  }

  /** Run statements in the open transaction, noting whether they update rows in place. */
  async #run(statements: readonly Statement[], bound: Readonly<Record<string, unknown>>): Promise<void> {
    if (statements.some((st) => st.updates)) this.#txUpdated = true;
    await execStatements(this.#h.write, statements, bound);
  }

  /** Roll back; after a transaction that updated rows in place, reopen the database (reopen.ts). */
  async #rollback(): Promise<void> {
    try {
      await k.run(this.#h.write, "ROLLBACK");
    } catch {
      // Kuzu already rolled the transaction back when the statement failed.
    }
    if (this.#txUpdated) await this.#reopen();
    this.#txUpdated = false;
  }

  /** Reopen the database (reopen.ts); statements are prepared again on the new connection. */
  async #reopen(): Promise<void> {
    await this.#h.reopen();
    this.#templates?.unprepare();
    this.#setSeq = await k.prepare(this.#h.write, SET_SEQ);
    this.#log.info("replica database reopened after a rollback", { path: this.path ?? ":memory:" });
  }

  /** An event on its own: raw DML, or its template's single form (preparing it if needed). */
  async #execAlone(e: SequencedEvent): Promise<void> {
    if (e.template === RAW_DML_TEMPLATE) return this.#execRawDml(e);
    if (!this.#templates) throw new SyncError(ErrorCode.NOT_READY, "replica has no registry installed");
    const c = await this.#templates.prepare(e.template, this.#h.write);
    await this.#run(c.forms.single, bindParams(c.template, e.params));
  }

  /**
   * A raw DML event (never batched: it always runs alone, in its own transaction). The text
   * is checked again here, whatever the gateway said: nothing unchecked reaches Kuzu. A refusal
   * throws, so the event is recorded as failed, identically on every replica. Kuzu's query timeout
   * (`RawDmlLimits.timeoutMs`) bounds the work no static check sees; hitting it throws
   * APPLY_TIMEOUT, which stops this replica before the event rather than recording a failure.
   */
  async #execRawDml(e: SequencedEvent): Promise<void> {
    const check = checkRawDmlParams(e.params);
    if (!check.ok) throw new SyncError(check.code, `raw DML refused by the replica: ${check.message}`, { eventId: e.id });
    if (describeStatement(check.cypher).updates) this.#txUpdated = true;
    const timeoutMs = this.#rawDmlTimeoutMs;
    const write = this.#h.write;
    try {
      await k.withQueryTimeout(write, timeoutMs, async () => {
        // prepare() refuses multi-statement text (conn.query() would run it and crash Bun).
        const prepared = await write.prepare(check.cypher);
        if (!prepared.isSuccess()) throw new Error(prepared.getErrorMessage());
        await k.exec(write, prepared, {});
      });
    } catch (error) {
      if (!k.isInterrupted(error)) throw error;
      throw new SyncError(ErrorCode.APPLY_TIMEOUT, `raw DML event ${e.id} (seq ${e.seq}) ran past the ${timeoutMs} ms query timeout; the replica stops before it`, { cause: error, eventId: e.id });
    }
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new SyncError(ErrorCode.CLOSED, "replica is closed"));
    const next = this.#queue.then(task, task);
    this.#queue = next.catch(() => {});
    return next;
  }
}

/** A path as a Cypher string literal; paths come from our own temp dirs, but never splice blindly. */
function quotePath(path: string): string {
  if (/['\\\n\r]/.test(path)) throw new SyncError(ErrorCode.INTERNAL, `path ${JSON.stringify(path)} contains a quote, backslash or newline`);
  return `'${path}'`;
}
