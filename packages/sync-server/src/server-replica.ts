/**
 * The gateway's own KuzuDB replica: follows the log in order, in batches, in the background.
 * It is what snapshots and server-side reads are made from.
 * @module
 */
import type { SequencedEvent } from "@kuzu-sync/protocol";
import type { EventLog } from "@kuzu-sync/log";
import type { ApplyOutcome, Replica } from "@kuzu-sync/replica";
import type { Logger } from "@kuzu-sync/telemetry";

/** Committed events held in memory for the replica before it falls back to reading the log. */
const MAX_RECENT = 50_000;

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
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;
  #unsubscribe: (() => void) | null = null;
  readonly #waiters = new Set<{ seq: number; resolve: () => void }>();
  readonly #appliedListeners = new Set<(events: readonly SequencedEvent[], outcomes: readonly ApplyOutcome[]) => void>();
  #recent: SequencedEvent[] = [];

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
    this.#log.recordReplicaSeq?.(this.replica.appliedSeq);
    this.#unsubscribe = this.#log.onCommit((events) => {
      // Keep the committed objects while the replica keeps up, so it need not read them back.
      if (this.#recent.length + events.length <= MAX_RECENT) this.#recent.push(...events);
      else this.#recent = [];
      this.#kick();
    });
    this.#kick();
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
    this.#unsubscribe?.();
    await this.#running;
  }

  /** The next batch from memory, when it starts exactly after the applied seq. */
  #take(): SequencedEvent[] | null {
    const applied = this.replica.appliedSeq;
    let start = 0;
    while (start < this.#recent.length && this.#recent[start]!.seq <= applied) start++;
    if (start > 0) this.#recent = this.#recent.slice(start);
    if (this.#recent[0]?.seq !== applied + 1) return null;
    const batch = this.#recent.slice(0, this.#batch);
    this.#recent = this.#recent.slice(batch.length);
    return batch;
  }

  #kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#pump().finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        this.#kick();
      }
    });
  }

  async #pump(): Promise<void> {
    try {
      while (!this.#stopped && this.replica.appliedSeq < this.#log.headSeq) {
        const events = this.#take() ?? (await this.#log.read(this.replica.appliedSeq, this.#batch));
        if (events.length === 0) break;
        if (events[0]!.seq > this.replica.appliedSeq + 1) {
          throw new Error(
            `the log starts at seq ${events[0]!.seq} but the server replica is at ${this.replica.appliedSeq}: events were archived before it applied them; rebuild it from a snapshot or restore the archived range`,
          );
        }
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
    } catch (error) {
      this.#logger.error("server replica stopped following the log", { error: String(error), appliedSeq: this.replica.appliedSeq });
    }
  }
}
