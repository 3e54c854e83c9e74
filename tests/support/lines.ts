/**
 * Reads a child process's output line by line, and waits for a line — the one `waitForLine` of
 * every process launcher in tests/support (gateway, nats-server, sync-client, compose services).
 * A wait ends with the line, or rejects at its timeout, or as soon as the process has exited
 * (and its output is read) without printing it: a test never waits out a timeout for a process
 * that is already gone.
 * @module
 */

/**
 * Calls `onLine` for every complete line of `stream`, in order, until the stream ends.
 * @example await forEachLine(proc.stdout, (line) => output.push(line));
 */
export async function forEachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  }
}

/** After the process exits, how long its pipes may take to deliver the last lines (a grandchild may hold them open). */
const DRAIN_AFTER_EXIT_MS = 2_000;

/** Lines shown in a failure message (the last ones). */
const SHOWN_LINES = 200;

interface Waiter {
  readonly pattern: RegExp;
  readonly resolve: (line: string) => void;
  readonly reject: (error: Error) => void;
}

/**
 * The lines of one process's streams, and waits for a line among them.
 * @example
 * const out = new LineWatcher("gateway", [proc.stdout, proc.stderr], proc.exited);
 * const line = await out.waitForLine(/"body":"listening"/);
 */
export class LineWatcher {
  /** Every line read so far, in order of arrival. */
  readonly lines: string[] = [];
  /** Resolves once every stream has ended. */
  readonly ended: Promise<void>;
  readonly #label: string;
  readonly #waiters = new Set<Waiter>();
  /** Set once the process has exited and its output is read: why nothing more can come. */
  #gone: string | null = null;

  constructor(label: string, streams: readonly ReadableStream<Uint8Array>[], exited: Promise<number | null>) {
    this.#label = label;
    this.ended = Promise.all(streams.map((s) => forEachLine(s, (line) => this.#add(line)).catch(() => {}))).then(() => {});
    void exited.then(async (code) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.ended, new Promise((r) => (timer = setTimeout(r, DRAIN_AFTER_EXIT_MS)))]);
      clearTimeout(timer);
      this.#gone = `exited with ${code}`;
      for (const w of [...this.#waiters]) w.reject(this.#error(`${this.#gone} before printing ${w.pattern}`));
      this.#waiters.clear();
    });
  }

  /** Resolves with the first line matching `pattern`, printed already or still to come. */
  waitForLine(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const seen = this.lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.#gone !== null) return Promise.reject(this.#error(`${this.#gone} before printing ${pattern}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(this.#error(`did not print ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        pattern,
        resolve: (line) => (clearTimeout(timer), resolve(line)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
      this.#waiters.add(waiter);
    });
  }

  #add(line: string): void {
    this.lines.push(line);
    for (const w of this.#waiters) {
      if (w.pattern.test(line)) {
        this.#waiters.delete(w);
        w.resolve(line);
      }
    }
  }

  #error(what: string): Error {
    const shown = this.lines.slice(-SHOWN_LINES);
    const skipped = this.lines.length - shown.length;
    return new Error(`${this.#label} ${what}; output${skipped > 0 ? ` (last ${SHOWN_LINES} lines)` : ""}:\n${shown.join("\n")}`);
  }
}
