/**
 * The gateway's DML statistics, overall, per template and per client, in the words of the server
 * (the client's report says `sent`/`received` for what *it* submitted and got, which read the
 * other way round on the server):
 * - `accepted`: events the gateway accepted from clients and handed to the log (resends included);
 * - `delivered`: events the gateway wrote to clients (live fan-out and catch-up);
 * - `applied` / `failed`: outcome of each event on the server replica.
 * @module
 */
import { formatRate, successRate } from "@kuzu-sync/telemetry";

export interface DmlCounts {
  accepted: number;
  delivered: number;
  applied: number;
  failed: number;
}

export type DmlCount = keyof DmlCounts;

export interface TemplateDmlCounts extends DmlCounts {
  /** applied / (applied + failed), in percent; 100 while nothing has failed. */
  readonly successRate: number;
}

const zero = (): DmlCounts => ({ accepted: 0, delivered: 0, applied: 0, failed: 0 });

/**
 * @example
 * const dml = new DmlCounters();
 * dml.record("CREATE_USER", "accepted");
 * dml.report(); // "=== DML Statistics Report ===\nOverall: accepted: 1, delivered: 0, ..."
 */
export class DmlCounters {
  readonly #overall = zero();
  readonly #byTemplate = new Map<string, DmlCounts>();

  record(template: string, count: DmlCount, n = 1): void {
    this.#overall[count] += n;
    let t = this.#byTemplate.get(template);
    if (!t) this.#byTemplate.set(template, (t = zero()));
    t[count] += n;
  }

  overall(): DmlCounts {
    return { ...this.#overall };
  }

  /** `{ [template]: { accepted, delivered, applied, failed, successRate } }`, by template name. */
  byTemplate(): Record<string, TemplateDmlCounts> {
    const out: Record<string, TemplateDmlCounts> = {};
    for (const [name, c] of [...this.#byTemplate].sort(([a], [b]) => a.localeCompare(b))) out[name] = { ...c, successRate: successRate(c) };
    return out;
  }

  /** The plain-text report, laid out like the client's. */
  report(): string {
    const o = this.#overall;
    const lines = ["=== DML Statistics Report ===", `Overall: accepted: ${o.accepted}, delivered: ${o.delivered}, applied: ${o.applied}, failed: ${o.failed}`];
    for (const [name, t] of Object.entries(this.byTemplate())) {
      lines.push(`Template: ${name} - accepted: ${t.accepted}, delivered: ${t.delivered}, applied: ${t.applied}, success rate: ${formatRate(t.successRate)}%`);
    }
    return lines.join("\n");
  }
}
