/**
 * The gateway's own KuzuDB replica: follows the log in order, in batches, in the background.
 * It is what snapshots, digests and server-side reads are made from.
 *
 * When applying stops (the replica throws: `APPLY_STOPPED` — an engine fault, or a poison event
 * its crash guard refuses — `APPLY_TIMEOUT`, a gap), the follower records why and at which seq,
 * reports it (`describe()`, in `/health` as `unhealthy`), and tries again with a growing delay
 * (never faster than every 250 ms, at most every 30 s), reading the events again from the log — so
 * an event quarantined meanwhile arrives marked and is skipped. It never moves past an event by
 * itself.
 * @module
 */
import type { SequencedEvent } from "@kuzu-sync/protocol";
import { LogCursor, LogCursorError, type EventLog } from "@kuzu-sync/log";
import type { ApplyOutcome, CrashGuard, Replica } from "@kuzu-sync/replica";
import type { Logger } from "@kuzu-sync/telemetry";
import { ReplicaLag, type Lag } from "./replica-lag.ts";

/** Why the server replica is not applying, as `/health` shows it. */
export interface ApplyStop {
  /** The seq it stopped before. */
  readonly seq: number;
  readonly code: string;
  readonly message: string;
  /** When it first stopped there (ms since epoch). */
  readonly since: number;
  /** Failed attempts so far. */
  readonly attempts: number;
  /** When the next attempt is due (ms since epoch). */
  readonly retryAt: number;
}

export interface ServerReplicaOptions {
  /** Most events per apply (default 5000). */
  readonly batch?: number;
  /**
   * Live: after a commit, wait this long (ms) for more before applying, unless `coalesceEvents`
   * are already waiting (default 100). 0 applies every commit at once.
   */
  readonly coalesceMs?: number;
  /** Live: apply at once when this many events wait (default 2000). */
  readonly coalesceEvents?: number;
  /** Marker around each apply, so a poison event cannot crash-loop the gateway (crash-guard.ts). */
  readonly guard?: CrashGuard;
  /** Delay before the first retry after a stop (default 250 ms); doubles up to `maxRetryMs`. */
  readonly retryMs?: number;
  /** Longest delay between retries (default 30 s). */
  readonly maxRetryMs?: number;
  readonly now?: () => number;
}

/**
 * Live commits are applied in coalesced batches: a Kuzu transaction has a high fixed cost (an
 * INCREMENT_COUNTER run costs ~500 µs of CPU per event in batches of 5, ~70 in batches of 50, ~45
 * in batches of 200, ~14 in batches of 2000), and under many writers each commit group is small.
 * Nobody waits on the server replica's latency (snapshots and `replicaSeq` follow it), so it
 * trades up to 100 ms of it for CPU.
 *
 * @example
 * const follower = new ServerReplica(replica, log, logger, { guard });
 * follower.start();
 * await follower.waitFor(log.headSeq);
 */
export class ServerReplica {
  readonly replica: Replica;
  readonly #log: EventLog;
  readonly #logger: Logger;
  readonly #batch: number;
  readonly #guard: CrashGuard | null;
  readonly #retryMs: number;
  readonly #maxRetryMs: number;
  readonly #now: () => number;
  readonly #lag = new ReplicaLag();
  readonly #coalesceMs: number;
  readonly #coalesceEvents: number;
  /** Ends a coalescing wait early (stop()). */
  #interrupt: (() => void) | null = null;
  #cursor: LogCursor | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  #halt: ApplyStop | null = null;
  #wakeRetry: (() => void) | null = null;
  /** Wakes the loop while it waits for a commit (a hold was released). */
  #nudge: (() => void) | null = null;
  #unsubscribe: (() => void) | null = null;
  /** A seq the next batch must end at (someone wants the replica exactly there, e.g. for a digest). */
  readonly #holds = new Set<number>();
  readonly #waiters = new Set<{ seq: number; resolve: () => void }>();
  readonly #appliedListeners = new Set<(events: readonly SequencedEvent[], outcomes: readonly ApplyOutcome[]) => void>();

  constructor(replica: Replica, log: EventLog, logger: Logger, options: ServerReplicaOptions | number = {}) {
    const o = typeof options === "number" ? { batch: options } : options;
    this.replica = replica;
    this.#log = log;
    this.#logger = logger;
    this.#batch = o.batch ?? 5_000;
    this.#guard = o.guard ?? null;
    this.#retryMs = o.retryMs ?? 250;
    this.#maxRetryMs = o.maxRetryMs ?? 30_000;
    this.#now = o.now ?? Date.now;
    this.#coalesceMs = o.coalesceMs ?? 100;
    this.#coalesceEvents = o.coalesceEvents ?? 2_000;
  }

  get appliedSeq(): number {
    return this.replica.appliedSeq;
  }

  /** Why applying has stopped, or null while it follows the log. */
  get halted(): ApplyStop | null {
    return this.#halt;
  }

  /** Lag behind the log's head, in events and seconds (the age of the oldest unapplied event). */
  lag(): Lag {
    return this.#lag.report(this.#log.headSeq, this.replica.appliedSeq, this.#now());
  }

  /** Begin following: replay what the replica has not applied yet, then every new commit. */
  start(): void {
    if (this.#cursor !== null) return;
    this.#log.recordReplicaSeq?.(this.replica.appliedSeq);
    this.#unsubscribe = this.#log.onCommit(({ events }) => this.#lag.seen(events, this.replica.appliedSeq));
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

  /**
   * Make the replica stop exactly at `seq` (≥ its applied seq) until {@link release}: batches are
   * cut there. With {@link waitFor} this gives a moment when the replica is at `seq` exactly.
   */
  hold(seq: number): void {
    this.#holds.add(seq);
  }

  /** Let the replica go past a seq given to {@link hold}. */
  release(seq: number): void {
    if (!this.#holds.delete(seq)) return;
    this.#nudge?.();
  }

  /** Stop following and let the current batch finish. The replica itself is closed by its owner. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#interrupt?.();
    this.#unsubscribe?.();
    this.#cursor?.close();
    this.#wakeRetry?.();
    this.#nudge?.();
    await this.#running;
  }

  /**
   * Apply batch after batch until caught up, then wait for the next commit. Pages come from the
   * log's recent events while the replica keeps up, so it need not read them back. After a failure
   * it waits (growing delays), then reads again from what it applied.
   */
  async #follow(cursor: LogCursor): Promise<void> {
    while (!this.#stopped) {
      if (cursor.caughtUp || this.#heldHere()) {
        const live = !this.#heldHere();
        await Promise.race([cursor.nextCommit(), new Promise<void>((resolve) => (this.#nudge = resolve))]);
        this.#nudge = null;
        if (live) await this.#coalesce(cursor);
        continue;
      }
      try {
        await this.#applyNext(cursor);
      } catch (error) {
        cursor.seek(this.replica.appliedSeq);
        await this.#stoppedBy(error);
      }
    }
    // Stopping: what was committed before stop() is applied, as it would have been without the
    // coalescing wait (a gateway that stops right after a write restarts with it applied). Not
    // while applying is stopped (halted) or held where it is.
    const head = this.#log.headSeq;
    try {
      while (this.#halt === null && cursor.position < head && !cursor.caughtUp && !this.#heldHere()) {
        const before = cursor.position;
        await this.#applyNext(cursor);
        if (cursor.position === before) break;
      }
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

  /** Whether a hold keeps the replica where it is now. */
  #heldHere(): boolean {
    return this.#holds.has(this.replica.appliedSeq);
  }

  /** Record why applying stopped, then wait before the next attempt. */
  async #stoppedBy(error: unknown): Promise<void> {
    const seq = this.replica.appliedSeq + 1;
    const message =
      error instanceof LogCursorError && error.firstHeld !== null
        ? `the log starts at seq ${error.firstHeld} but the server replica is at ${this.replica.appliedSeq}: events were archived before it applied them; rebuild it from a snapshot or restore the archived range`
        : error instanceof Error
          ? error.message
          : String(error);
    const code = typeof (error as { code?: unknown }).code === "string" ? (error as { code: string }).code : "INTERNAL";
    const previous = this.#halt !== null && this.#halt.seq === seq && this.#halt.code === code ? this.#halt : null;
    const attempts = (previous?.attempts ?? 0) + 1;
    const delay = Math.min(this.#maxRetryMs, this.#retryMs * 2 ** Math.min(attempts - 1, 20));
    const now = this.#now();
    this.#halt = { seq, code, message, since: previous?.since ?? now, attempts, retryAt: now + delay };
    // Logged when it starts and then at most about once a minute, not on every retry.
    if (previous === null || attempts % Math.max(1, Math.round(60_000 / this.#maxRetryMs)) === 0) {
      this.#logger.error("server replica stopped applying", { seq, code, error: message, attempts, retryInMs: delay, appliedSeq: this.replica.appliedSeq });
    }
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        clearInterval(watch);
        resolve();
      };
      const timer = setTimeout(wake, delay);
      // An operator who quarantines the event should not wait out a long delay: look every second.
      const watch = setInterval(() => {
        if (this.#log.quarantine?.get(seq) !== undefined) wake();
      }, 1_000);
      this.#wakeRetry = wake;
    });
    this.#wakeRetry = null;
  }

  async #applyNext(cursor: LogCursor): Promise<void> {
    const applied = this.replica.appliedSeq;
    const hold = Math.min(...[...this.#holds].filter((s) => s > applied));
    const limit = Number.isFinite(hold) ? Math.min(this.#batch, hold - applied) : this.#batch;
    const events = await cursor.next(limit);
    if (events.length === 0) return;
    this.#lag.seen(events, applied);
    const outcomes = this.#guard === null ? await this.replica.apply(events) : await this.#guard.apply(this.replica, events);
    if (this.#halt !== null && this.replica.appliedSeq >= this.#halt.seq) {
      this.#logger.info("server replica applying again", { seq: this.#halt.seq, stoppedMs: this.#now() - this.#halt.since, attempts: this.#halt.attempts });
      this.#halt = null;
    }
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
