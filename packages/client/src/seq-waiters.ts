/**
 * `waitForSeq()` callers: each resolves once the local replica has applied its seq, or rejects
 * after its timeout or when the client closes.
 * @module
 */
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";

interface SeqWaiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: SyncError) => void;
}

/**
 * @example
 * const waiters = new SeqWaiters(() => replica.appliedSeq);
 * const done = waiters.wait(42, 30_000);
 * // after each applied batch:
 * waiters.applied();
 */
export class SeqWaiters {
  readonly #applied: () => number;
  readonly #waiting = new Set<SeqWaiter>();

  /** `applied` reads the seq the replica has applied. */
  constructor(applied: () => number) {
    this.#applied = applied;
  }

  /** Resolves once `seq` is applied; rejects with TIMEOUT after `timeoutMs`. */
  wait(seq: number, timeoutMs: number): Promise<void> {
    if (this.#applied() >= seq) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: SeqWaiter = {
        seq,
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      const timer = setTimeout(() => {
        this.#waiting.delete(waiter);
        reject(new SyncError(ErrorCode.TIMEOUT, `seq ${seq} not applied within ${timeoutMs} ms (at ${this.#applied()})`));
      }, timeoutMs);
      this.#waiting.add(waiter);
    });
  }

  /** The replica applied more: settle every waiter it has reached. */
  applied(): void {
    const at = this.#applied();
    for (const w of this.#waiting) {
      if (at >= w.seq) {
        this.#waiting.delete(w);
        w.resolve();
      }
    }
  }

  failAll(error: SyncError): void {
    for (const w of this.#waiting) w.reject(error);
    this.#waiting.clear();
  }
}
