/**
 * Tells the gateway how far the replica is (`applied {seq}`, docs/PROTOCOL.md), so an operator
 * sees each client's applied seq and lag: after events are applied, at most once per interval
 * (default 1 s), and only when the seq moved since the last report on this connection.
 * @module
 */

/**
 * @example
 * const reports = new AppliedReports((seq) => connection.send({ type: "applied", seq }), () => replica.appliedSeq);
 * reports.applied();   // after each applied batch
 * reports.reconnected(); // after each handshake: the next position is reported again
 * reports.stop();
 */
export class AppliedReports {
  readonly #send: (seq: number) => boolean;
  readonly #position: () => number;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #reported = -1;

  /** `send` returns whether the report went out (false when not connected). */
  constructor(send: (seq: number) => boolean, position: () => number, intervalMs = 1_000) {
    this.#send = send;
    this.#position = position;
    this.#intervalMs = intervalMs;
  }

  /** Events were applied: report the position within the interval. */
  applied(): void {
    if (this.#timer !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const seq = this.#position();
      if (seq !== this.#reported && this.#send(seq)) this.#reported = seq;
    }, this.#intervalMs);
    (this.#timer as { unref?: () => void }).unref?.(); // a browser timer has no unref
  }

  /** A new connection knows nothing of earlier reports. */
  reconnected(): void {
    this.#reported = -1;
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
