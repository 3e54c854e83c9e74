/**
 * Pending `connect()` calls: each resolves once the replica has caught up with the head the server
 * had when this connection said hello (`live`), or rejects on its timeout, a refusal, or `close()`.
 * @module
 */

interface ConnectWaiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * @example
 * const waiters = new ConnectWaiters();
 * const live = waiters.wait(30_000, () => new SyncError(ErrorCode.TIMEOUT, "not live in 30 s"));
 * waiters.resolveAll(); // on `live`
 * await live;
 */
export class ConnectWaiters {
  readonly #waiting = new Set<ConnectWaiter>();

  get size(): number {
    return this.#waiting.size;
  }

  /** Resolves on {@link resolveAll}; rejects on {@link rejectAll} or with `timeout()` after `timeoutMs`. */
  wait(timeoutMs: number, timeout: () => unknown): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: ConnectWaiter = {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      const timer = setTimeout(() => {
        this.#waiting.delete(waiter);
        reject(timeout());
      }, timeoutMs);
      this.#waiting.add(waiter);
    });
  }

  /** Resolve every waiter; returns whether there was any. */
  resolveAll(): boolean {
    const any = this.#waiting.size > 0;
    for (const w of this.#waiting) w.resolve();
    this.#waiting.clear();
    return any;
  }

  rejectAll(error: unknown): void {
    for (const w of this.#waiting) w.reject(error);
    this.#waiting.clear();
  }
}
