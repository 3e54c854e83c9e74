/**
 * In-memory gateway counters, so /stats never touches the log's history.
 * @module
 */
import type { SequencedEvent } from "@kuzu-sync/protocol";

/** Counters updated as events commit and frames are rejected. */
export class GatewayStats {
  readonly #rejected = new Map<string, number>();
  readonly #byClient = new Map<string, number>();
  /** Commit times of the last minute, one entry per second bucket: [second, count]. */
  readonly #recent: [number, number][] = [];
  #appendLatencyMsTotal = 0;
  #appends = 0;

  committed(events: readonly SequencedEvent[]): void {
    const second = Math.floor(Date.now() / 1000);
    const last = this.#recent[this.#recent.length - 1];
    if (last && last[0] === second) last[1] += events.length;
    else this.#recent.push([second, events.length]);
    while (this.#recent.length > 0 && this.#recent[0]![0] <= second - 60) this.#recent.shift();
    for (const e of events) this.#byClient.set(e.clientId, (this.#byClient.get(e.clientId) ?? 0) + 1);
  }

  rejected(code: string): void {
    this.#rejected.set(code, (this.#rejected.get(code) ?? 0) + 1);
  }

  appended(latencyMs: number): void {
    this.#appends++;
    this.#appendLatencyMsTotal += latencyMs;
  }

  snapshot(templateCounts: Record<string, number>): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    const lastMinute = this.#recent.filter(([s]) => s > now - 60).reduce((sum, [, n]) => sum + n, 0);
    return {
      events: {
        total: Object.values(templateCounts).reduce((a, b) => a + b, 0),
        byTemplate: templateCounts,
        byClientSinceStart: Object.fromEntries(this.#byClient),
        perSecondLastMinute: lastMinute / 60,
      },
      rejected: Object.fromEntries(this.#rejected),
      appendLatencyMsAvg: this.#appends === 0 ? 0 : this.#appendLatencyMsTotal / this.#appends,
    };
  }
}
