/**
 * Progress of a replica catching up: a redrawn bar with rate and ETA on a terminal, a few plain
 * lines otherwise (logs and pipes get no carriage returns).
 * @module
 */
import type { SyncClient } from "../client.ts";
import { formatCount, formatDuration } from "./format.ts";
import type { Terminal } from "./terminal.ts";

export interface ProgressOptions {
  /** Redraw the bar in place (a TTY) or print plain lines. */
  readonly tty: boolean;
  readonly label?: string;
  readonly unit?: string;
  readonly now?: () => number;
  /** Terminal width for the bar (default 80). */
  readonly columns?: number;
  /** Plain mode: least time between two lines (default 2000 ms). */
  readonly plainEveryMs?: number;
  /** Plain mode: stay silent for runs shorter than this many items (default 1000). */
  readonly plainMinTotal?: number;
  /** TTY mode: least time between two redraws (default 80 ms). */
  readonly redrawEveryMs?: number;
  /** TTY mode: draw nothing for catch-ups shorter than this (default 400 ms), so no flicker. */
  readonly showAfterMs?: number;
}

/**
 * The bar line, without colours: `catching up [=====>    ] 45% 4,500/10,000 events 3,210/s ETA 2s`.
 * @example renderBar({ label: "catching up", unit: "events", done: 50, total: 100, ratePerSec: 10, columns: 80 })
 */
export function renderBar(p: { label: string; unit: string; done: number; total: number; ratePerSec: number; columns: number }): string {
  const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  const eta = p.ratePerSec > 0 ? formatDuration(((p.total - p.done) / p.ratePerSec) * 1_000) : "?";
  const tail = `${pct} ${formatCount(p.done)}/${formatCount(p.total)} ${p.unit} ${formatCount(p.ratePerSec)}/s ETA ${eta}`;
  const room = p.columns - 1 - p.label.length - tail.length - 4;
  if (room < 10) return `${p.label} ${tail}`;
  const width = Math.min(40, room);
  const filled = Math.round(fraction * width);
  const bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? (filled === width ? "=" : ">") : "") + " ".repeat(width - filled);
  return `${p.label} [${bar}] ${tail}`;
}

/**
 * @example
 * const progress = new Progress(term, { tty: process.stderr.isTTY === true });
 * progress.start(10_000);
 * progress.update(4_500);
 * progress.finish();
 */
export class Progress {
  readonly #term: Terminal;
  readonly #tty: boolean;
  readonly #label: string;
  readonly #unit: string;
  readonly #now: () => number;
  readonly #columns: number;
  readonly #plainEveryMs: number;
  readonly #plainMinTotal: number;
  readonly #redrawEveryMs: number;
  readonly #showAfterMs: number;
  #total = 0;
  #done = 0;
  #startedAt = 0;
  #lastDraw = -Infinity;
  #drawn = false;
  #active = false;

  constructor(term: Terminal, options: ProgressOptions) {
    this.#term = term;
    this.#tty = options.tty;
    this.#label = options.label ?? "catching up";
    this.#unit = options.unit ?? "events";
    this.#now = options.now ?? (() => performance.now());
    this.#columns = options.columns ?? 80;
    this.#plainEveryMs = options.plainEveryMs ?? 2_000;
    this.#plainMinTotal = options.plainMinTotal ?? 1_000;
    this.#redrawEveryMs = options.redrawEveryMs ?? 80;
    this.#showAfterMs = options.showAfterMs ?? 400;
  }

  get active(): boolean {
    return this.#active;
  }

  start(total: number): void {
    this.#total = total;
    this.#done = 0;
    this.#startedAt = this.#now();
    this.#lastDraw = this.#startedAt;
    this.#drawn = false;
    this.#active = true;
    if (!this.#tty && this.#loud()) this.#term.note(`${this.#label}: ${formatCount(total)} ${this.#unit}`);
  }

  update(done: number): void {
    if (!this.#active) return;
    this.#done = Math.min(done, this.#total);
    const now = this.#now();
    if (this.#tty) {
      if (now - this.#startedAt >= this.#showAfterMs && now - this.#lastDraw >= this.#redrawEveryMs) this.#draw(now);
    } else if (this.#loud() && this.#done < this.#total && now - this.#lastDraw >= this.#plainEveryMs) {
      this.#lastDraw = now;
      const rate = this.#rate(now);
      const eta = rate > 0 ? formatDuration(((this.#total - this.#done) / rate) * 1_000) : "?";
      const pct = Math.floor((this.#done / Math.max(1, this.#total)) * 100);
      this.#term.note(`${this.#label}: ${formatCount(this.#done)}/${formatCount(this.#total)} ${this.#unit} (${pct}%, ${formatCount(rate)}/s, ETA ${eta})`);
    }
  }

  /** Done: clear the bar and print one summary line. */
  finish(): void {
    if (!this.#active) return;
    this.#active = false;
    const shown = this.#drawn;
    this.#clear();
    if (!shown && !this.#loud()) return;
    const elapsed = this.#now() - this.#startedAt;
    const rate = elapsed > 0 ? (this.#total / elapsed) * 1_000 : 0;
    this.#term.note(`${this.#label}: done, ${formatCount(this.#total)} ${this.#unit} in ${formatDuration(elapsed)} (${formatCount(rate)}/s)`);
  }

  /** Abandoned (error, interrupt): clear the bar, print nothing. */
  stop(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#clear();
  }

  #loud(): boolean {
    return this.#total >= this.#plainMinTotal;
  }

  #rate(now: number): number {
    const elapsed = now - this.#startedAt;
    return elapsed > 0 ? (this.#done / elapsed) * 1_000 : 0;
  }

  #draw(now: number): void {
    if (this.#term.quiet) return;
    this.#lastDraw = now;
    this.#drawn = true;
    const line = renderBar({ label: this.#label, unit: this.#unit, done: this.#done, total: this.#total, ratePerSec: this.#rate(now), columns: this.#columns });
    this.#term.rawErr(`\r\x1b[2K${this.#term.errColors.cyan(line)}`);
  }

  #clear(): void {
    if (this.#drawn) this.#term.rawErr("\r\x1b[2K");
    this.#drawn = false;
  }
}

/**
 * Show catch-up progress for a client: total = the head announced in `connected` minus what the
 * replica had; done = seqs of applied events. Works across reconnects. Returns an unsubscribe.
 * @example const stop = followCatchUp(client, () => new Progress(term, { tty: true }));
 */
export function followCatchUp(client: SyncClient, progress: Progress): () => void {
  let base = 0;
  let head = 0;
  let pending = false;
  const offs = [
    client.on("connected", ({ headSeq }) => {
      progress.stop();
      base = client.lastAppliedSeq;
      head = headSeq;
      pending = head > base;
    }),
    client.on("event", (e) => {
      // Timing starts with the first applied event, so a fresh replica's schema set-up does not
      // count against the rate and the ETA.
      if (pending) {
        pending = false;
        progress.start(head - base);
      }
      if (!progress.active) return;
      progress.update(e.seq - base);
      if (e.seq >= head) progress.finish();
    }),
    client.on("live", () => {
      pending = false;
      progress.finish();
    }),
    client.on("disconnected", () => {
      pending = false;
      progress.stop();
    }),
  ];
  return () => {
    for (const off of offs) off();
    progress.stop();
  };
}

/**
 * Shows a snapshot bootstrap: a bar of bytes downloaded (when the server announced the size),
 * then one line when the import starts. Returns a function that stops following.
 * @example const stop = followSnapshot(client, new Progress(term, { tty: true, label: "snapshot", unit: "bytes" }), term);
 */
export function followSnapshot(client: SyncClient, progress: Progress, term: Terminal): () => void {
  let downloading = false;
  const off = client.on("snapshot", ({ phase, bytes, total, seq }) => {
    if (phase === "download") {
      if (!downloading && total !== null && total > 0) {
        downloading = true;
        progress.start(total);
      }
      progress.update(bytes);
    } else if (phase === "import") {
      progress.finish();
      downloading = false;
      term.note(`importing snapshot${seq === null ? "" : ` at seq ${formatCount(seq)}`}`);
    } else {
      progress.finish();
      downloading = false;
    }
  });
  return () => {
    off();
    progress.stop();
  };
}
