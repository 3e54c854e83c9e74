/**
 * The gateway's own KuzuDB replica: follows the log in order, in batches, in the background.
 * It is what snapshots and server-side reads are made from.
 * @module
 */
import type { SequencedEvent } from "@kuzu-sync/protocol";
import { LogCursor, LogCursorError, type EventLog } from "@kuzu-sync/log";
import type { ApplyOutcome, Replica } from "@kuzu-sync/replica";
import type { Logger } from "@kuzu-sync/telemetry";

/** Options of {@link ServerReplica}. */
export interface ServerReplicaOptions {
  /** Most events applied in one transaction (default 5000). */
  readonly batch?: number;
  /**
   * Live: after a commit, wait this long (ms) for more before applying, unless `coalesceEvents`
   * are already waiting (default 100). 0 applies every commit at once.
   */
  readonly coalesceMs?: number;
  /** Live: apply at once when this many events wait (default 2000). */
  readonly coalesceEvents?: number;
}

/**
 * Live commits are applied in coalesced batches: a Kuzu transaction has a high fixed cost (an
 * INCREMENT_COUNTER run costs ~500 µs of CPU per event in batches of 5, ~70 in batches of 50, ~45
 * in batches of 200, ~14 in batches of 2000), and under many writers each commit group is small.
 * Nobody waits on the server replica's latency (snapshots and `replicaSeq` follow it), so it
 * trades up to 100 ms of it for CPU.
 *
 * @example
 * const follower = new ServerReplica(replica, log, logger);
 * follower.start();
 * await follower.waitFor(log.headSeq);
 */
export class ServerReplica {
  readonly replica: Replica;
  readonly #log: EventLog;
  readonly #logger: Logger;
  readonly #batch: number;
  readonly #coalesceMs: number;
  readonly #coalesceEvents: number;
  /** Ends a coalescing wait early (stop()). */
  #interrupt: (() => void) | null = null;
  #cursor: LogCursor | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  readonly #waiters = new Set<{ seq: number; resolve: () => void }>();
  readonly #appliedListeners = new Set<(events: readonly SequencedEvent[], outcomes: readonly ApplyOutcome[]) => void>();

  constructor(replica: Replica, log: EventLog, logger: Logger, options: ServerReplicaOptions = {}) {
    this.replica = replica;
    this.#log = log;
    this.#logger = logger;
    this.#batch = options.batch ?? 5_000;
    this.#coalesceMs = options.coalesceMs ?? 100;
    this.#coalesceEvents = options.coalesceEvents ?? 2_000;
  }

  get appliedSeq(): number {
    return this.replica.appliedSeq;
  }

  /** Begin following: replay what the replica has not applied yet, then every new commit. */
  start(): void {
    if (this.#cursor !== null) return;
    this.#log.recordReplicaSeq?.(this.replica.appliedSeq);
    this.#cursor = new LogCursor(this.#log, this.replica.appliedSeq);
    this.#running = this.#follow(this.#cursor);
  }

  /**
   * Called after each applied batch with the events read and the outcome of each newly applied one
   * (the gateway's DML statistics count them). Returns an unsubscribe function.
   */
  onApplied(listener: (events: readonly SequencedEvent[], outcomes: readonly ApplyOutcome[]) => void): () => void {
    this.#appliedListeners.add(listener);
    return () => this.#appliedListeners.delete(listener);
  }

  /** Resolves once the replica has applied `seq`. */
  waitFor(seq: number): Promise<void> {
    if (this.replica.appliedSeq >= seq) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.add({ seq, resolve }));
  }

  /** Stop following and let the current batch finish. The replica itself is closed by its owner. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#interrupt?.();
    this.#cursor?.close();
    await this.#running;
  }

  /**
   * Apply batch after batch until caught up, then wait for the next commit. Pages come from the
   * log's recent events while the replica keeps up, so it need not read them back. After a failure
   * it tries again from what it applied at the next commit.
   */
  async #follow(cursor: LogCursor): Promise<void> {
    while (!this.#stopped) {
      if (cursor.caughtUp) {
        await cursor.nextCommit();
        await this.#coalesce(cursor);
        continue;
      }
      try {
        await this.#applyNext(cursor);
      } catch (error) {
        const message =
          error instanceof LogCursorError && error.firstHeld !== null
            ? `the log starts at seq ${error.firstHeld} but the server replica is at ${this.replica.appliedSeq}: events were archived before it applied them; rebuild it from a snapshot or restore the archived range`
            : String(error);
        this.#logger.error("server replica stopped following the log", { error: message, appliedSeq: this.replica.appliedSeq });
        cursor.seek(this.replica.appliedSeq);
        await cursor.nextCommit();
      }
    }
    // Stopping: what was committed before stop() is applied, as it would have been without the
    // coalescing wait (a gateway that stops right after a write restarts with it applied).
    const head = this.#log.headSeq;
    try {
      while (cursor.position < head && !cursor.caughtUp) await this.#applyNext(cursor);
    } catch (error) {
      this.#logger.warn("server replica: could not apply the last events before stopping", { error: String(error), appliedSeq: this.replica.appliedSeq });
    }
  }

  /** Live: give the next commits a moment to join this one (see the class comment). */
  async #coalesce(cursor: LogCursor): Promise<void> {
    if (this.#coalesceMs <= 0 || this.#stopped) return;
    const deadline = performance.now() + this.#coalesceMs;
    while (!this.#stopped && this.#log.headSeq - cursor.position < this.#coalesceEvents) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      // Woken by the next commit (to count again), by the deadline, or by stop().
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        let settled = false;
        function done(): void {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve();
        }
        this.#interrupt = done;
        void cursor.nextCommit().then(done);
      });
      this.#interrupt = null;
    }
  }

  async #applyNext(cursor: LogCursor): Promise<void> {
    const events = await cursor.next(this.#batch);
    if (events.length === 0) return;
    const outcomes = await this.replica.apply(events);
    this.#log.recordReplicaSeq?.(this.replica.appliedSeq);
    for (const o of outcomes) if (!o.ok) this.#logger.warn("server replica: event failed", { seq: o.seq, template: o.template, error: o.error });
    for (const listener of this.#appliedListeners) {
      try {
        listener(events, outcomes);
      } catch (error) {
        // Statistics must never stop the replica from following the log.
        this.#logger.error("server replica: applied listener threw", { error: String(error) });
      }
    }
    for (const w of this.#waiters) {
      if (this.replica.appliedSeq >= w.seq) {
        this.#waiters.delete(w);
        w.resolve();
      }
    }
  }
}
