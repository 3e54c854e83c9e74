/**
 * The gateway's own KuzuDB replica: follows the log in order, in batches, in the background.
 * It is what snapshots and server-side reads are made from.
 * @module
 */
import type { SequencedEvent } from "@kuzu-sync/protocol";
import { LogCursor, LogCursorError, type EventLog } from "@kuzu-sync/log";
import type { ApplyOutcome, Replica } from "@kuzu-sync/replica";
import type { Logger } from "@kuzu-sync/telemetry";

/**
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
  #cursor: LogCursor | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  readonly #waiters = new Set<{ seq: number; resolve: () => void }>();
  readonly #appliedListeners = new Set<(events: readonly SequencedEvent[], outcomes: readonly ApplyOutcome[]) => void>();

  constructor(replica: Replica, log: EventLog, logger: Logger, batch = 5_000) {
    this.replica = replica;
    this.#log = log;
    this.#logger = logger;
    this.#batch = batch;
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
