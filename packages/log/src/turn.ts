/**
 * One shared "end of this turn" for the JetStream log's parts: the projector (record what the
 * consumer brought) and the appender (publish what clients sent) each ask for a flush, and both
 * run in one `setImmediate` callback, projector first. So the appender looks ids up in the freshest
 * index, and everything both send to NATS (new events, and the republished committed ones) leaves
 * in one socket write: the NATS client writes once per microtask checkpoint, and each macrotask
 * has its own.
 * @module
 */

/**
 * @example
 * const turn = new Turn([() => projector.flush(), () => appender.flush()]);
 * turn.request(); // from either part; runs every flush once, at the end of this turn
 */
export class Turn {
  readonly #flushes: readonly (() => void)[];
  readonly #onError: (error: unknown) => void;
  #scheduled = false;

  /** `flushes` run in this order; each must be cheap when it has nothing to do. */
  constructor(flushes: readonly (() => void)[], onError: (error: unknown) => void) {
    this.#flushes = flushes;
    this.#onError = onError;
  }

  request(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#run());
  }

  #run(): void {
    this.#scheduled = false;
    for (const flush of this.#flushes) {
      try {
        flush();
      } catch (error) {
        // One part's failure must not keep the other from flushing.
        this.#onError(error);
      }
    }
  }
}
