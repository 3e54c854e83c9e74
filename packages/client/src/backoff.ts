/**
 * Reconnect delays: exponential backoff with full jitter.
 * @module
 */

export interface BackoffOptions {
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * Delay before reconnect attempt `attempt` (0-based): uniform in [0, min(max, initial·2^attempt)].
 * @example backoffDelay(3, { initialDelayMs: 100 }) // somewhere in 0..800 ms
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 10_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.max(initial / 2, Math.floor(random() * ceiling));
}
