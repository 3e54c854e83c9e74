/**
 * A KuzuDB replica that applies template events strictly in `seq` order, exactly once, with the
 * applied `seq` written in the same transaction as the events' effects.
 * @module
 */
import { dirname, existsSync, mkdirSync } from "#host-fs";
import {
  ErrorCode,
  RAW_DML_TEMPLATE,
  RawDmlLimits,
  REGISTRY_TEMPLATE,
  SyncError,
  checkRawDmlParams,
  checkReadOnlyCypher,
  type SequencedEvent,
  type WireRegistry,
  type WireTemplate,
} from "@kuzu-sync/protocol";
import { silentLogger, type Logger } from "@kuzu-sync/telemetry";
import { ApplyStrategy } from "./apply-strategy.ts";
import * as k from "./kuzu.ts";
import { META_TABLE, SET_SEQ, createMeta, readMeta, upgradeMetaColumns, writeRegistry, type MetaState } from "./meta.ts";
import { applyRegistryChange } from "./registry-change.ts";
import { bindParams, splitRuns } from "./runs.ts";
import { rewriteExportedSchema } from "./snapshot-schema.ts";
import { checkExportedCypher } from "./snapshot-check.ts";

export { META_TABLE };

export interface ReplicaOptions {
  /** Database file; null or absent for an in-memory replica. */
  readonly path?: string | null;
  readonly logger?: Logger;
  /** Longest run of one template applied with a single UNWIND statement. */
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

/** What happened to one event. A failed event still advances the seq: it failed on every replica. */
export interface ApplyOutcome {
  readonly seq: number;
  readonly template: string;
  readonly ok: boolean;
  readonly error?: string;
}

interface Compiled {
  readonly template: WireTemplate;
  readonly single: k.PreparedStatement;
  readonly batch: k.PreparedStatement | undefined;
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
  readonly #db: k.Database;
  readonly #write: k.Connection;
  readonly #read: k.Connection;
  readonly #log: Logger;
  readonly #maxBatchRows: number;
  readonly #rawDmlTimeoutMs: number;
  readonly #strategy = new ApplyStrategy();
  #appliedSeq: number;
  #hash: string | null;
  /** The registry in force (null: none installed, or a replica from before versions not yet told). */
  #registry: WireRegistry | null;
  #version: number | null;
  #templates = new Map<string, WireTemplate>();
  #compiled = new Map<string, Compiled>();
  /** Every write goes through this chain: one transaction at a time on the write connection. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(path: string | null, db: k.Database, options: ReplicaOptions, meta: MetaState | null) {
    this.path = path;
    this.#db = db;
    this.#write = k.openConnection(db);
    this.#read = k.openConnection(db);
    this.#log = options.logger ?? silentLogger;
    this.#maxBatchRows = options.maxBatchRows ?? 2_000;
    this.#rawDmlTimeoutMs = options.rawDmlTimeoutMs ?? RawDmlLimits.timeoutMs;
    this.#appliedSeq = meta?.seq ?? 0;
    this.#hash = meta?.hash ?? null;
    this.#registry = meta?.registry ?? null;
    this.#version = meta?.version ?? null;
    if (this.#registry) this.#templates = new Map(this.#registry.templates.map((t) => [t.name, t]));
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
          `replica ${this.path ?? ":memory:"} runs registry ${this.#describeRegistry()}, not version ${registry.version} (${registry.hash.slice(0, 12)})`,
        );
      }
      if (this.#hash === null) {
        await this.#transaction(async () => {
          for (const ddl of registry.schema) await k.run(this.#write, ddl);
          await createMeta(this.#write, this.#appliedSeq, registry);
        });
      } else if (this.#registry === null) {
        await writeRegistry(this.#write, this.#appliedSeq, registry);
      }
      this.#useRegistry(registry);
      await this.#prepareMeta();
      if (options.prepareAll) for (const t of registry.templates) await this.#compile(t.name);
    });
  }

  #describeRegistry(): string {
    return `${this.#version === null ? "" : `version ${this.#version} `}(${(this.#hash ?? "none").slice(0, 12)})`;
  }

  #useRegistry(registry: WireRegistry): void {
    this.#hash = registry.hash;
    this.#version = registry.version;
    this.#registry = registry;
    this.#templates = new Map(registry.templates.map((t) => [t.name, t]));
    // Statements prepared against the old catalog may not survive DDL: prepare again on first use.
    this.#compiled = new Map();
  }

  async #prepareMeta(): Promise<void> {
    this.#setSeq = await k.prepare(this.#write, SET_SEQ);
  }

  async #transaction(task: () => Promise<void>): Promise<void> {
    await k.run(this.#write, "BEGIN TRANSACTION");
    try {
      await task();
      await k.run(this.#write, "COMMIT");
    } catch (error) {
      await this.#rollback();
      throw error;
    }
  }

  /** The prepared statements of a template, prepared on first use. Runs inside the write queue. */
  async #compile(name: string): Promise<Compiled> {
    const known = this.#compiled.get(name);
    if (known) return known;
    const t = this.#templates.get(name);
    if (!t) throw new SyncError(ErrorCode.UNKNOWN_TEMPLATE, `template ${name} is not in the installed registry`);
    const compiled: Compiled = {
      template: t,
      single: await k.prepare(this.#write, t.cypher),
      batch: t.batch ? await k.prepare(this.#write, t.batch.cypher) : undefined,
    };
    this.#compiled.set(name, compiled);
    return compiled;
  }

  #setSeq: k.PreparedStatement | undefined;

  /** The statement that moves the applied seq, prepared on first use (a reopened replica needs no install). */
  async #seqStatement(): Promise<k.PreparedStatement> {
    if (this.#hash === null) throw new SyncError(ErrorCode.NOT_READY, "replica has no registry installed");
    return (this.#setSeq ??= await k.prepare(this.#write, SET_SEQ));
  }

  /**
   * Apply events in order. Events at or below {@link appliedSeq} are skipped (so redelivery is
   * harmless); a gap throws, because applying past it would diverge.
   */
  apply(events: readonly SequencedEvent[]): Promise<ApplyOutcome[]> {
    return this.#serial(async () => {
      const fresh = events.filter((e) => e.seq > this.#appliedSeq);
      if (fresh.length === 0) return [];
      for (let i = 0; i < fresh.length; i++) {
        const expected = this.#appliedSeq + 1 + i;
        if (fresh[i]!.seq !== expected) {
          throw new SyncError(ErrorCode.INTERNAL, `gap in event stream: expected seq ${expected}, got ${fresh[i]!.seq}`);
        }
      }
      const outcomes: ApplyOutcome[] = [];
      let start = 0;
      for (let i = 0; i <= fresh.length; i++) {
        const e = fresh[i];
        if (e !== undefined && e.template !== REGISTRY_TEMPLATE) continue;
        // Registry events are barriers: what comes before runs with the registry then in force.
        if (i > start) outcomes.push(...(await this.#applyEvents(fresh.slice(start, i))));
        if (e !== undefined) outcomes.push(await this.#applyRegistry(e));
        start = i + 1;
      }
      return outcomes;
    });
  }

  /** A registry event: steps and the new registry in one transaction with its seq (see registry-change.ts). */
  async #applyRegistry(e: SequencedEvent): Promise<ApplyOutcome> {
    const running = this.#hash === null ? null : { hash: this.#hash, version: this.#version };
    const step = e.duplicateOf !== undefined ? ({ action: "skip" } as const) : applyRegistryChange(running, e.params);
    if (step.action === "run") {
      try {
        await this.#transaction(async () => {
          for (const statement of step.statements) await k.run(this.#write, statement);
          if (step.create) await createMeta(this.#write, e.seq, step.registry);
          else await writeRegistry(this.#write, e.seq, step.registry);
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
      await this.#prepareMeta();
      this.#appliedSeq = e.seq;
      this.#log.info("registry version applied", { seq: e.seq, version: step.registry.version, hash: step.registry.hash.slice(0, 12), steps: step.statements.length });
      return { seq: e.seq, template: e.template, ok: true };
    }
    await k.exec(this.#write, await this.#seqStatement(), { seq: e.seq });
    this.#appliedSeq = e.seq;
    if (step.action === "skip") return { seq: e.seq, template: e.template, ok: true };
    this.#log.warn("registry event does not apply to this replica", { seq: e.seq, error: step.reason });
    return { seq: e.seq, template: e.template, ok: false, error: step.reason };
  }

  /** Template events (no registry event among them), in one transaction when they all succeed. */
  async #applyEvents(fresh: readonly SequencedEvent[]): Promise<ApplyOutcome[]> {
    const setSeq = await this.#seqStatement();
    const last = fresh[fresh.length - 1]!.seq;
    try {
      await k.run(this.#write, "BEGIN TRANSACTION");
      for (const run of splitRuns(fresh, this.#templates, this.#maxBatchRows)) await this.#execRun(run);
      await k.exec(this.#write, setSeq, { seq: last });
      await k.run(this.#write, "COMMIT");
      this.#appliedSeq = last;
      this.#logApplied(fresh);
      return fresh.map((e) => ({ seq: e.seq, template: e.template, ok: true }));
    } catch (error) {
      await this.#rollback();
      if (fresh.length === 1) return [await this.#applyOne(fresh[0]!, error)];
      // One event in the batch failed: redo them one transaction each, so only that one fails.
      const outcomes: ApplyOutcome[] = [];
      for (const e of fresh) outcomes.push(await this.#applyOne(e));
      return outcomes;
    }
  }

  /**
   * Run `statements` on the replica's data in a transaction that is rolled back, and say whether
   * they fail (their error) or not (null). The gateway checks a registry upgrade's steps with it.
   * @example const failure = await replica.dryRun(["ALTER TABLE Task ADD priority INT64 DEFAULT 0"]);
   */
  dryRun(statements: readonly string[]): Promise<string | null> {
    return this.#serial(async () => {
      await k.run(this.#write, "BEGIN TRANSACTION");
      try {
        for (const [i, s] of statements.entries()) {
          try {
            await k.run(this.#write, s);
          } catch (error) {
            return `step ${i} \`${s}\`: ${error instanceof Error ? error.message : String(error)}`;
          }
        }
        return null;
      } finally {
        await this.#rollback();
        // Prepared statements may not survive the catalog's rollback.
        this.#compiled = new Map();
        if (this.#hash !== null) await this.#prepareMeta();
      }
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
    return this.#serial(async () => {
      if (this.#hash === null) throw new SyncError(ErrorCode.NOT_READY, "replica has no registry installed; nothing to export");
      if (existsSync(dir)) throw new SyncError(ErrorCode.INTERNAL, `cannot export to ${dir}: it already exists`);
      await k.run(this.#write, `EXPORT DATABASE ${quotePath(dir)} (format='parquet')`);
      // Kuzu's export drops column defaults; put the declared statements back (snapshot-schema.ts).
      if (this.#registry !== null) rewriteExportedSchema(dir, this.#registry.schema);
      return { dir, seq: this.#appliedSeq, registryHash: this.#hash, registryVersion: this.#version };
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
      return await k.runPrepared(this.#read, cypher, params);
    } catch (cause) {
      throw new SyncError(ErrorCode.BAD_MESSAGE, cause instanceof Error ? cause.message : String(cause), { cause });
    }
  }

  /** Wait for pending writes, then close connections and the database. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => {});
    await this.#read.close();
    await this.#write.close();
    await this.#db.close();
  }

  async #applyOne(e: SequencedEvent, knownError?: unknown): Promise<ApplyOutcome> {
    const setSeq = this.#setSeq!;
    let failure = knownError;
    if (failure === undefined) {
      try {
        await k.run(this.#write, "BEGIN TRANSACTION");
        await this.#execRun([e]);
        await k.exec(this.#write, setSeq, { seq: e.seq });
        await k.run(this.#write, "COMMIT");
        this.#appliedSeq = e.seq;
        this.#logApplied([e]);
        return { seq: e.seq, template: e.template, ok: true };
      } catch (error) {
        failure = error;
        await this.#rollback();
      }
    }
    // The engine giving up is not a property of the statement: stop here, do not move past it.
    if (failure instanceof SyncError && failure.code === ErrorCode.APPLY_TIMEOUT) throw failure;
    // The statement fails the same way on every replica (same state, same order), so the event
    // is recorded as applied-with-failure and the stream moves on.
    await k.exec(this.#write, setSeq, { seq: e.seq });
    this.#appliedSeq = e.seq;
    const message = failure instanceof Error ? failure.message : String(failure);
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

  async #rollback(): Promise<void> {
    try {
      await k.run(this.#write, "ROLLBACK");
    } catch {
      // Kuzu already rolled the transaction back when the statement failed.
    }
  }

  async #execRun(events: readonly SequencedEvent[]): Promise<void> {
    // A slot marked duplicateOf repeats an event already applied at a lower seq: no effect.
    const run = events.filter((e) => e.duplicateOf === undefined);
    const first = run[0];
    if (!first) return;
    if (first.template === RAW_DML_TEMPLATE) {
      for (const e of run) await this.#execRawDml(e);
      return;
    }
    const c = await this.#compile(first.template);
    const plan = this.#strategy.choose(first.template, run.length, c.batch !== undefined);
    let started = performance.now();
    const probed = plan.how === "single" ? run.length : plan.probeSingle;
    for (let i = 0; i < probed; i++) await k.exec(this.#write, c.single, bindParams(c.template, run[i]!.params));
    if (probed > 0) this.#strategy.record(first.template, "single", probed, performance.now() - started);
    if (probed === run.length) return;
    const rest = probed === 0 ? run : run.slice(probed);
    started = performance.now();
    await k.exec(this.#write, c.batch!, { rows: rest.map((e) => bindParams(c.template, e.params)) });
    this.#strategy.record(first.template, plan.how, rest.length, performance.now() - started);
  }

  /**
   * A raw DML event (never batched: it has no batch form, so each is a run of its own). The text
   * is checked again here, whatever the gateway said: nothing unchecked reaches Kuzu. A refusal
   * throws, so the event is recorded as failed, identically on every replica.
   *
   * Kuzu's query timeout (`RawDmlLimits.timeoutMs`) bounds the work no static check sees. Hitting
   * it is not deterministic (a slower machine gives up where a faster one finished), so it throws
   * APPLY_TIMEOUT, which stops this replica before the event rather than recording a failure.
   */
  async #execRawDml(e: SequencedEvent): Promise<void> {
    const check = checkRawDmlParams(e.params);
    if (!check.ok) throw new SyncError(check.code, `raw DML refused by the replica: ${check.message}`, { eventId: e.id });
    const timeoutMs = this.#rawDmlTimeoutMs;
    try {
      await k.withQueryTimeout(this.#write, timeoutMs, async () => {
        // prepare() refuses multi-statement text (conn.query() would run it and crash Bun).
        const prepared = await this.#write.prepare(check.cypher);
        if (!prepared.isSuccess()) throw new Error(prepared.getErrorMessage());
        await k.exec(this.#write, prepared, {});
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
