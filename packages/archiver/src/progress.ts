/**
 * One self-overwriting status line on a terminal; silent when the stream is not a TTY (cron
 * mails and log files get the final summary only).
 * @module
 */

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * @example
 * const progress = new Progress(process.stderr);
 * progress.update("archived 10000 events in 1 segment");
 * progress.done();
 */
export class Progress {
  readonly #stream: ProgressStream;
  readonly #enabled: boolean;
  #shown = false;
  #last = 0;

  constructor(stream: ProgressStream, enabled: boolean = stream.isTTY === true) {
    this.#stream = stream;
    this.#enabled = enabled;
  }

  /** Show `text` (at most ten redraws a second). */
  update(text: string): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (this.#shown && now - this.#last < 100) return;
    this.#last = now;
    this.#shown = true;
    this.#stream.write(`\r\x1b[2K${text}`);
  }

  /** End the status line, if one is showing. */
  done(): void {
    if (this.#enabled && this.#shown) this.#stream.write("\r\x1b[2K");
    this.#shown = false;
  }
}
