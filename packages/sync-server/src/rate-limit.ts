/**
 * Per-connection rate limit: a token bucket, refilled continuously.
 * @module
 */

/**
 * `burst` frames may arrive back to back; after that, `ratePerSecond` on average.
 * @example
 * const bucket = new TokenBucket(1000, 2000);
 * if (!bucket.take()) return reject(id, "RATE_LIMITED", "slow down");
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  constructor(ratePerSecond: number, burst: number, now: () => number = performance.now.bind(performance)) {
    this.#rate = ratePerSecond / 1000;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#at = now();
  }

  /** Spend one token if there is one. */
  take(): boolean {
    return this.takeUpTo(1) === 1;
  }

  /** Spend up to `n` whole tokens; how many were spent (an `events` frame spends one per event). */
  takeUpTo(n: number): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#rate);
    this.#at = now;
    const spent = Math.max(0, Math.min(n, Math.floor(this.#tokens)));
    this.#tokens -= spent;
    return spent;
  }

  /** Milliseconds until the next token (0 when one is available). */
  waitMs(): number {
    const missing = 1 - Math.min(this.#burst, this.#tokens + (this.#now() - this.#at) * this.#rate);
    return missing <= 0 ? 0 : Math.ceil(missing / this.#rate);
  }
}
