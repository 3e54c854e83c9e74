/**
 * DML statistics: per-template counters of events sent, received, applied and failed, and the
 * plain-text report printed every few seconds.
 * @module
 */

export interface DmlCounts {
  sent: number;
  received: number;
  applied: number;
  failed: number;
}

export interface DmlStatsSnapshot extends DmlCounts {
  readonly clientId: string;
}

export interface TemplateStats extends DmlCounts {
  /** applied / (applied + failed), in percent; 100 while nothing has failed. */
  readonly successRate: number;
}

export type DmlOutcome = keyof DmlCounts;

const zero = (): DmlCounts => ({ sent: 0, received: 0, applied: 0, failed: 0 });

/**
 * Counters for one client (or one server, keyed by whatever id it chooses).
 * @example
 * const stats = new DmlStats("client-1");
 * stats.record("CREATE_USER", "sent");
 * stats.formatReport(); // "=== DML Statistics Report ===\nOverall: sent: 1, ..."
 */
export class DmlStats {
  readonly clientId: string;
  readonly #overall = zero();
  readonly #byTemplate = new Map<string, DmlCounts>();

  constructor(clientId: string) {
    this.clientId = clientId;
  }

  record(template: string, outcome: DmlOutcome, count = 1): void {
    this.#overall[outcome] += count;
    let t = this.#byTemplate.get(template);
    if (!t) this.#byTemplate.set(template, (t = zero()));
    t[outcome] += count;
  }

  /** `{ sent, received, applied, failed, clientId }` */
  getDMLStats(): DmlStatsSnapshot {
    return { ...this.#overall, clientId: this.clientId };
  }

  /** `{ [template]: { sent, received, applied, failed, successRate } }` */
  getDetailedStatsByTemplate(): Record<string, TemplateStats> {
    const out: Record<string, TemplateStats> = {};
    for (const [name, c] of [...this.#byTemplate].sort(([a], [b]) => a.localeCompare(b))) {
      out[name] = { ...c, successRate: successRate(c) };
    }
    return out;
  }

  /** The report in the documented format. */
  formatReport(): string {
    const o = this.#overall;
    const lines = [
      "=== DML Statistics Report ===",
      `Overall: sent: ${o.sent}, received: ${o.received}, applied: ${o.applied}, failed: ${o.failed}`,
    ];
    for (const [name, t] of Object.entries(this.getDetailedStatsByTemplate())) {
      lines.push(
        `Template: ${name} - sent: ${t.sent}, received: ${t.received}, applied: ${t.applied}, success rate: ${formatRate(t.successRate)}%`,
      );
    }
    return lines.join("\n");
  }
}

/**
 * applied / (applied + failed) in percent; 100 while nothing has failed. The gateway's DML
 * statistics use it too.
 * @example successRate({ applied: 3, failed: 1 }) // 75
 */
export function successRate(c: { readonly applied: number; readonly failed: number }): number {
  const done = c.applied + c.failed;
  return done === 0 ? 100 : (c.applied / done) * 100;
}

/**
 * A success rate as the reports print it: a whole number as is, else one decimal.
 * @example formatRate(66.666) // "66.7"
 */
export function formatRate(rate: number): string {
  return Number.isInteger(rate) ? String(rate) : rate.toFixed(1);
}
