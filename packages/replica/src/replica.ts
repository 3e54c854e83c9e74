/**
 * A KuzuDB replica that applies template events strictly in `seq` order, exactly once, with the
 * applied `seq` written in the same transaction as the events' effects.
 * @module
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  ErrorCode,
  RAW_DML_TEMPLATE,
  SyncError,
  checkRawDmlParams,
  checkReadOnlyCypher,
  cypherStatements,
  type SequencedEvent,
  type WireRegistry,
  type WireTemplate,
} from "@kuzu-sync/protocol";
import { silentLogger, type Logger } from "@kuzu-sync/telemetry";
import { planApply, type PlanStep, type PlanTemplate } from "./apply-plan.ts";
import { ApplyStrategy } from "./apply-strategy.ts";
import { bindParams, pickParams, statementParams } from "./bind-params.ts";
import { deriveFootprint } from "./footprint.ts";
import * as k from "./kuzu.ts";
import { readSchemaTables, type SchemaTables } from "./schema-tables.ts";
import { checkExportedCypher } from "./snapshot-check.ts";

/** Table holding the applied seq and the registry hash, inside the replica itself. */
export const META_TABLE = "KuzuSyncMeta";
const META_DDL = `CREATE NODE TABLE ${META_TABLE}(k STRING, seq INT64, hash STRING, PRIMARY KEY(k))`;

export interface ReplicaOptions {
  /** Database file; null or absent for an in-memory replica. */
  readonly path?: string | null;
  readonly logger?: Logger;
  /** Most rows of one UNWIND statement (longer groups of one template are split). */
  readonly maxBatchRows?: number;
}

/** What {@link Replica.exportSnapshot} wrote: the directory holds the replica as of `seq`. */
export interface ExportedSnapshot {
  readonly dir: string;
  readonly seq: number;
  readonly registryHash: string;
}

/** What happened to one event. A failed event still advances the seq: it failed on every replica. */
export interface ApplyOutcome {
  readonly seq: number;
  readonly template: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** One prepared statement of a template, and the parameters it names. */
interface Statement {
  readonly prepared: k.PreparedStatement;
  readonly params: readonly string[] | null;
}

/** A template ready to run: its statements prepared, its footprint derived (see apply-plan.ts). */
interface Compiled extends PlanTemplate {
  readonly template: WireTemplate;
  readonly single: readonly Statement[];
  readonly batch: readonly Statement[] | undefined;
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
  readonly #strategy = new ApplyStrategy<Compiled>();
  #appliedSeq: number;
  #hash: string | null;
  #templates = new Map<string, WireTemplate>();
  #tables: SchemaTables = readSchemaTables([]);
  #compiled = new Map<string, Compiled>();
  /** Every write goes through this chain: one transaction at a time on the write connection. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(path: string | null, db: k.Database, options: ReplicaOptions, seq: number, hash: string | null) {
    this.path = path;
    this.#db = db;
    this.#write = k.openConnection(db);
    this.#read = k.openConnection(db);
    this.#log = options.logger ?? silentLogger;
    this.#maxBatchRows = options.maxBatchRows ?? 2_000;
    this.#appliedSeq = seq;
    this.#hash = hash;
  }

  /** Open (or create) a replica. A persistent one resumes from the seq it stored. */
  static async open(options: ReplicaOptions = {}): Promise<Replica> {
    const path = options.path ?? null;
    if (path !== null) mkdirSync(dirname(path), { recursive: true });
    const db = k.openDatabase(path);
    const conn = k.openConnection(db);
    let seq = 0;
    let hash: string | null = null;
    try {
      const tables = await k.run(conn, "CALL show_tables() RETURN name");
      if (tables.some((t) => t["name"] === META_TABLE)) {
        const rows = await k.run(conn, `MATCH (m:${META_TABLE} {k: 'state'}) RETURN m.seq AS seq, m.hash AS hash`);
        seq = Number(rows[0]?.["seq"] ?? 0);
        hash = (rows[0]?.["hash"] as string | null | undefined) ?? null;
      } else if (tables.length > 0) {
        throw new SyncError(ErrorCode.REGISTRY_MISMATCH, `${path} holds tables but is not a kuzu-sync replica`);
      }
    } catch (error) {
      await conn.close();
      await db.close();
      throw error;
    }
    await conn.close();
    return new Replica(path, db, options, seq, hash);
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
    let seq: number;
    let hash: string;
    try {
      await k.run(conn, `IMPORT DATABASE ${quotePath(dir)}`);
      const rows = await k.run(conn, `MATCH (m:${META_TABLE} {k: 'state'}) RETURN m.seq AS seq, m.hash AS hash`);
      const row = rows[0];
      if (!row || typeof row["hash"] !== "string") throw new SyncError(ErrorCode.INTERNAL, `snapshot in ${dir} has no ${META_TABLE} state`);
      seq = Number(row["seq"]);
      hash = row["hash"];
    } catch (error) {
      await conn.close();
      await db.close();
      throw error instanceof SyncError ? error : new SyncError(ErrorCode.INTERNAL, `cannot import snapshot ${dir}: ${String(error)}`, { cause: error });
    }
    await conn.close();
    return new Replica(path, db, options, seq, hash);
  }

  /** Highest seq whose effects are committed in this replica. */
  get appliedSeq(): number {
    return this.#appliedSeq;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Hash of the registry this replica was built with (null before {@link install}). */
  get registryHash(): string | null {
    return this.#hash;
  }

  /**
   * Create the schema on a fresh replica, or check that an existing one was built from the same
   * registry. A template's statements are prepared when it is first applied (or all of them now,
   * with `prepareAll`): a client installs while catch-up pages pour in, and every prepare is a
   * round trip to Kuzu that waits behind the parsing of those pages, so twenty of them held the
   * first apply back by a quarter of a second. The gateway prepares all of them at start-up, so a
   * template Kuzu cannot prepare stops it there rather than failing on every replica later.
   * @example
   * await replica.install(welcome.registry);
   * await serverReplica.install(registry.toWire(), { prepareAll: true });
   */
  install(registry: WireRegistry, options: { readonly prepareAll?: boolean } = {}): Promise<void> {
    return this.#serial(async () => {
      if (this.#hash !== null && this.#hash !== registry.hash) {
        throw new SyncError(
          ErrorCode.REGISTRY_MISMATCH,
          `replica ${this.path ?? ":memory:"} was built with registry ${this.#hash.slice(0, 12)}, server has ${registry.hash.slice(0, 12)}; start from an empty replica`,
        );
      }
      if (this.#hash === null) {
        // DDL is not transactional everywhere in Kuzu; the hash is written last, so a crash here
        // leaves a replica that refuses to open rather than one that is silently incomplete.
        for (const ddl of registry.schema) await k.run(this.#write, ddl);
        await k.run(this.#write, META_DDL);
        await k.run(this.#write, `CREATE (:${META_TABLE} {k: 'state', seq: 0, hash: $hash})`, { hash: registry.hash });
        this.#hash = registry.hash;
      }
      this.#templates = new Map(registry.templates.map((t) => [t.name, t]));
      this.#tables = readSchemaTables(registry.schema);
      this.#compiled = new Map();
      if (options.prepareAll) for (const t of registry.templates) await this.#compile(t.name);
      this.#setSeq = await k.prepare(this.#write, `MATCH (m:${META_TABLE} {k: 'state'}) SET m.seq = $seq`);
    });
  }

  /** The prepared statements of a template, prepared on first use. Runs inside the write queue. */
  async #compile(name: string): Promise<Compiled> {
    const known = this.#compiled.get(name);
    if (known) return known;
    const t = this.#templates.get(name);
    if (!t) throw new SyncError(ErrorCode.UNKNOWN_TEMPLATE, `template ${name} is not in the installed registry`);
    const prepareAll = async (text: WireTemplate["cypher"]): Promise<Statement[]> => {
      const out: Statement[] = [];
      for (const statement of cypherStatements(text)) out.push({ prepared: await k.prepare(this.#write, statement), params: statementParams(statement) });
      return out;
    };
    const footprint = deriveFootprint(cypherStatements(t.cypher), this.#tables);
    if (!footprint.known) this.#log.debug("template is applied as a barrier", { template: name, reason: footprint.reason });
    const compiled: Compiled = {
      template: t,
      single: await prepareAll(t.cypher),
      batch: t.batch ? await prepareAll(t.batch.cypher) : undefined,
      accesses: footprint.known ? footprint.accesses : null,
      batchKeys: t.batch ? t.batch.keys : null,
    };
    this.#compiled.set(name, compiled);
    return compiled;
  }

  /**
   * Prepare the templates of `events` that are not prepared yet. One that cannot be prepared
   * stays out of the plan (its events run alone, and fail there, the same on every replica).
   */
  async #compileFor(events: readonly SequencedEvent[]): Promise<void> {
    for (const e of events) {
      if (e.template === RAW_DML_TEMPLATE || this.#compiled.has(e.template) || !this.#templates.has(e.template)) continue;
      try {
        await this.#compile(e.template);
      } catch {
        // Reported when its event runs.
      }
    }
  }

  #setSeq: k.PreparedStatement | undefined;

  /**
   * Apply events in order. Events at or below {@link appliedSeq} are skipped (so redelivery is
   * harmless); a gap throws, because applying past it would diverge. The events go in one
   * transaction, in the order `planApply` gives (conflict-free layers, one group per template:
   * equivalent to seq order); when it fails, each half is applied on its own, down to the single
   * event that fails, so outcomes and state are those of applying one event at a time.
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
      if (!this.#setSeq) throw new SyncError(ErrorCode.NOT_READY, "replica has no registry installed");
      await this.#compileFor(fresh);
      return this.#applyRange(fresh);
    });
  }

  /** Apply consecutive events in one transaction, or, when that fails, each half on its own. */
  async #applyRange(events: readonly SequencedEvent[]): Promise<ApplyOutcome[]> {
    if (events.length === 1) return [await this.#applyOne(events[0]!)];
    const last = events[events.length - 1]!.seq;
    try {
      await k.run(this.#write, "BEGIN TRANSACTION");
      const plan = planApply(events, (e) => (e.template === RAW_DML_TEMPLATE ? null : (this.#compiled.get(e.template) ?? null)), this.#maxBatchRows);
      for (const step of plan) await this.#execStep(step);
      await k.exec(this.#write, this.#setSeq!, { seq: last });
      await k.run(this.#write, "COMMIT");
    } catch {
      await this.#rollback();
      const half = Math.ceil(events.length / 2);
      return [...(await this.#applyRange(events.slice(0, half))), ...(await this.#applyRange(events.slice(half)))];
    }
    this.#appliedSeq = last;
    this.#logApplied(events);
    return events.map((e) => ({ seq: e.seq, template: e.template, ok: true }));
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
      return { dir, seq: this.#appliedSeq, registryHash: this.#hash };
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

  /** One event in its own transaction, with its single form: the outcome every replica records. */
  async #applyOne(e: SequencedEvent): Promise<ApplyOutcome> {
    const setSeq = this.#setSeq!;
    let failure: unknown;
    try {
      await k.run(this.#write, "BEGIN TRANSACTION");
      if (e.duplicateOf === undefined) await this.#execAlone(e);
      await k.exec(this.#write, setSeq, { seq: e.seq });
      await k.run(this.#write, "COMMIT");
      this.#appliedSeq = e.seq;
      this.#logApplied([e]);
      return { seq: e.seq, template: e.template, ok: true };
    } catch (error) {
      failure = error;
      await this.#rollback();
    }
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

  /**
   * One step of a plan: a group of one template's events (they touch disjoint entities, so one
   * batch statement, or one statement each, leaves the same state), or one barrier event.
   */
  async #execStep(step: PlanStep<Compiled>): Promise<void> {
    const c = step.template;
    if (c === null) {
      for (const e of step.events) await this.#execAlone(e);
      return;
    }
    const group = step.events;
    const plan = this.#strategy.choose(c, group.length, c.batch !== undefined);
    let started = performance.now();
    const probed = plan.how === "single" ? group.length : plan.probeSingle;
    for (let i = 0; i < probed; i++) await this.#execSingle(c, group[i]!);
    if (probed > 0) this.#strategy.record(c, "single", probed, performance.now() - started);
    if (probed === group.length) return;
    const rows = (probed === 0 ? group : group.slice(probed)).map((e) => bindParams(c.template, e.params));
    started = performance.now();
    for (const st of c.batch!) await k.exec(this.#write, st.prepared, pickParams({ rows }, st.params));
    this.#strategy.record(c, "batch", rows.length, performance.now() - started);
  }

  /** An event on its own: raw DML, or its template's single form (preparing it if needed). */
  async #execAlone(e: SequencedEvent): Promise<void> {
    if (e.template === RAW_DML_TEMPLATE) return this.#execRawDml(e);
    await this.#execSingle(await this.#compile(e.template), e);
  }

  async #execSingle(c: Compiled, e: SequencedEvent): Promise<void> {
    const bound = bindParams(c.template, e.params);
    for (const st of c.single) await k.exec(this.#write, st.prepared, pickParams(bound, st.params));
  }

  /**
   * A raw DML event (never batched: it is a barrier in every plan, see apply-plan.ts). The text
   * is checked again here, whatever the gateway said: nothing unchecked reaches Kuzu. A refusal
   * throws, so the event is recorded as failed, identically on every replica.
   */
  async #execRawDml(e: SequencedEvent): Promise<void> {
    const check = checkRawDmlParams(e.params);
    if (!check.ok) throw new SyncError(check.code, `raw DML refused by the replica: ${check.message}`, { eventId: e.id });
    // prepare() refuses multi-statement text (conn.query() would run it and crash Bun).
    const prepared = await this.#write.prepare(check.cypher);
    if (!prepared.isSuccess()) throw new Error(prepared.getErrorMessage());
    await k.exec(this.#write, prepared, {});
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
