/**
 * How a replica applies a stretch of template events (no registry event among them): events of
 * prepared templates go in windows of few transactions (apply-window.ts, cut where relationship
 * hazards lie, rel-hazards.ts); raw DML, templates that cannot run batched and quarantined events
 * go one at a time. Every outcome is the one applying the events one by one would give. Kept
 * apart from the replica, which owns the applied seq and the registry in force and hands them over
 * through {@link TemplateApplierHost}, and which runs this from its write queue.
 * @module
 */
import { ErrorCode, RAW_DML_TEMPLATE, SyncError, type SequencedEvent } from "@kuzu-sync/protocol";
import type { Logger } from "@kuzu-sync/telemetry";
import { classifyApplyError } from "./apply-errors.ts";
import { failedOutcome, logApplied, stopUnlessDeterministic } from "./apply-outcomes.ts";
import { ApplyStrategy } from "./apply-strategy.ts";
import { WindowRolledBack, applyWindow, type WindowExecutor } from "./apply-window.ts";
import type { Compiled, CompiledTemplates } from "./compiled-templates.ts";
import type * as k from "./kuzu.ts";
import { execRawDml } from "./raw-dml.ts";
import { cutAtRelHazards } from "./rel-hazards.ts";
import type { ApplyOutcome } from "./replica-types.ts";
import { splitByShape } from "./row-shapes.ts";
import { bindParams } from "./template-statements.ts";
import type { WriteSession } from "./write-session.ts";

/** The replica whose events are applied: its templates and its applied seq. */
export interface TemplateApplierHost {
  /** The templates in force (null: no registry installed). */
  templates(): CompiledTemplates | null;
  /** SET_SEQ, prepared if needed; throws NOT_READY when no registry is installed. */
  seqStatement(): Promise<k.PreparedStatement>;
  appliedSeq(): number;
  /** The applied seq is now `seq` (committed). */
  applied(seq: number): void;
}

/**
 * @example
 * const applier = new TemplateApplier(tx, log, host, { maxBatchRows: 2_000, rawDmlTimeoutMs: RawDmlLimits.timeoutMs });
 * const outcomes = await applier.apply(events); // from the write queue
 */
export class TemplateApplier {
  readonly #tx: WriteSession;
  readonly #log: Logger;
  readonly #host: TemplateApplierHost;
  readonly #maxBatchRows: number;
  readonly #rawDmlTimeoutMs: number;
  readonly #strategy = new ApplyStrategy<Compiled>();
  readonly #executor: WindowExecutor<Compiled>;

  constructor(tx: WriteSession, log: Logger, host: TemplateApplierHost, options: { readonly maxBatchRows: number; readonly rawDmlTimeoutMs: number }) {
    this.#tx = tx;
    this.#log = log;
    this.#host = host;
    this.#maxBatchRows = options.maxBatchRows;
    this.#rawDmlTimeoutMs = options.rawDmlTimeoutMs;
    this.#executor = this.#makeExecutor();
  }

  /** Template events (no registry event among them): windows of prepared templates, the rest alone. */
  async apply(fresh: readonly SequencedEvent[]): Promise<ApplyOutcome[]> {
    const templates = this.#host.templates();
    if (!templates) throw new SyncError(ErrorCode.NOT_READY, "replica has no registry installed");
    await this.#host.seqStatement();
    await templates.prepareSome(new Set(fresh.map((e) => e.template)), this.#tx.write);
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

  /** Consecutive events of prepared templates (and duplicate slots), in few transactions. */
  async #applyWindow(events: readonly SequencedEvent[]): Promise<ApplyOutcome[]> {
    const outcomes: ApplyOutcome[] = [];
    for (const run of cutAtRelHazards(events, (e) => this.#host.templates()!.known(e.template)?.rels ?? null)) outcomes.push(...(await this.#applyRun(run)));
    return outcomes;
  }

  /** Consecutive events of prepared templates (and duplicate slots), in one transaction. */
  async #applyRun(events: readonly SequencedEvent[]): Promise<ApplyOutcome[]> {
    if (events.length <= 1) return events.length === 0 ? [] : [await this.#applyOne(events[0]!)];
    const last = events[events.length - 1]!.seq;
    try {
      await applyWindow(this.#executor, events, last);
    } catch (error) {
      // An event failed (WindowRolledBack: up to it), or nothing to pin the failure on (all of
      // them): one transaction per event there, each recording its real outcome; the rest of the
      // run goes on batched, in a new transaction (see apply-window.ts for why not a retry).
      const upTo = error instanceof WindowRolledBack ? error.upTo : last;
      const outcomes: ApplyOutcome[] = [];
      for (const e of events) if (e.seq <= upTo) outcomes.push(await this.#applyOne(e));
      outcomes.push(...(await this.#applyRun(events.filter((e) => e.seq > upTo))));
      return outcomes;
    }
    this.#host.applied(last);
    if (this.#log.isEnabled("debug")) logApplied(this.#log, events);
    return events.map((e) => ({ seq: e.seq, template: e.template, ok: true }));
  }

  /** How a window reaches Kuzu (see apply-window.ts). */
  #makeExecutor(): WindowExecutor<Compiled> {
    // Statements are prepared again when a rollback reopened the database (reopen.ts).
    const forms = async (c: Compiled) => (await this.#host.templates()!.prepare(c.template.name, this.#tx.write)).forms;
    return {
      maxRows: this.#maxBatchRows,
      strategy: this.#strategy,
      templateOf: (e) => this.#host.templates()!.known(e.template),
      hasBatch: (c) => c.template.batch !== undefined,
      begin: () => this.#tx.begin(),
      single: async (c, e) => this.#tx.run((await forms(c)).single, bindParams(c.template, e.params)),
      // One statement per row shape: Kuzu types a row list by its first row (row-shapes.ts).
      batch: async (c, events) => {
        const statements = (await forms(c)).batch!;
        for (const rows of splitByShape(events.map((e) => bindParams(c.template, e.params)))) await this.#tx.run(statements, { rows });
      },
      commit: async (lastSeq) => {
        await this.#tx.recordSeq(lastSeq);
        await this.#tx.commit();
      },
      rollback: () => this.#tx.rollback(),
      deterministic: (cause) => classifyApplyError(cause).deterministic,
    };
  }

  /**
   * A quarantined event: its seq is recorded and nothing runs (every replica that reaches it does
   * the same). Registry events are never quarantined (`sync-server quarantine` refuses them, and
   * `apply` ignores the mark on one).
   */
  async #skipQuarantined(e: SequencedEvent): Promise<ApplyOutcome> {
    await this.#tx.recordSeq(e.seq);
    this.#host.applied(e.seq);
    const error = `quarantined by the operator${e.quarantined ? `: ${e.quarantined}` : ""}`;
    this.#log.warn("quarantined event skipped", { seq: e.seq, template: e.template, eventId: e.id, reason: e.quarantined });
    return { seq: e.seq, template: e.template, ok: false, error };
  }

  /** One event in its own transaction, with its single form: the outcome every replica records. */
  async #applyOne(e: SequencedEvent): Promise<ApplyOutcome> {
    let failure: unknown;
    try {
      await this.#tx.begin();
      if (e.duplicateOf === undefined) await this.#execAlone(e);
      await this.#tx.recordSeq(e.seq);
      await this.#tx.commit();
      this.#host.applied(e.seq);
      logApplied(this.#log, [e]);
      return { seq: e.seq, template: e.template, ok: true };
    } catch (error) {
      failure = error;
      await this.#tx.rollback();
    }
    // Only a failure the statement itself causes is the same on every replica (apply-errors.ts);
    // the engine giving up (a timeout, I/O, memory…) says nothing about the event: stop before it.
    stopUnlessDeterministic(e, failure, this.#host.appliedSeq());
    // The statement fails the same way on every replica (same state, same order), so the event
    // is recorded as applied-with-failure and the stream moves on.
    await this.#tx.recordSeq(e.seq);
    this.#host.applied(e.seq);
    return failedOutcome(e, failure, this.#log);
  }

  /** An event on its own: raw DML, or its template's single form (preparing it if needed). */
  async #execAlone(e: SequencedEvent): Promise<void> {
    if (e.template === RAW_DML_TEMPLATE) return execRawDml(this.#tx, e, this.#rawDmlTimeoutMs);
    const templates = this.#host.templates();
    if (!templates) throw new SyncError(ErrorCode.NOT_READY, "replica has no registry installed");
    const c = await templates.prepare(e.template, this.#tx.write);
    await this.#tx.run(c.forms.single, bindParams(c.template, e.params));
  }
}
