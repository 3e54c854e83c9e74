/**
 * Keeps a persistent replica from crash-looping on a poison event: an event that makes the engine
 * crash the process (a segfault in Kuzu cannot be caught in-process), again on every restart,
 * because the event is replayed.
 *
 * Before each apply the guard writes a marker file beside the database (`<path>.applying`: the seq
 * range being applied) and removes it once the apply returned or threw. A marker found at start-up
 * means the process died inside that range. The guard then applies that range one event per call,
 * with a marker per event, so the next death names its event; each death on the same event alone
 * is counted in the marker. After {@link DEFAULT_CRASH_LIMIT} such deaths the event is *poisoned*:
 * the guard refuses to apply it (`APPLY_STOPPED`, naming the seq and `sync-server quarantine`),
 * so the process stays up, reports it and retries, until the event arrives marked `quarantined`
 * (an operator took it out of service), which the replica skips. A random kill rarely lands on the
 * same single event three times in a row; a poison event does every time.
 *
 * An in-memory replica has nothing to find after a crash: the guard does nothing for it.
 * @module
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "#host-fs";
import { ErrorCode, REGISTRY_TEMPLATE, SyncError, type SequencedEvent } from "@kuzu-sync/protocol";
import { silentLogger, type Logger } from "@kuzu-sync/telemetry";
import type { ApplyOutcome, Replica } from "./replica.ts";

/** This process's id, for the marker (0 in a browser, where the guard never writes one: no path). */
const PID = (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;

/** Deaths while applying one event alone after which it is refused until quarantined. */
export const DEFAULT_CRASH_LIMIT = 3;

/** The marker's content. */
interface Marker {
  readonly from: number;
  readonly to: number;
  /** Deaths already seen while applying `from` alone (from === to). */
  readonly crashes: number;
  readonly pid: number;
  readonly at: string;
}

/** An event the engine kept crashing on. */
export interface PoisonedEvent {
  readonly seq: number;
  readonly crashes: number;
}

export interface CrashGuardOptions {
  /** The replica's database path; null (in memory): no guard. */
  readonly path: string | null;
  readonly logger?: Logger;
  /** Deaths on one event alone before it is refused (default {@link DEFAULT_CRASH_LIMIT}). */
  readonly crashLimit?: number;
  /** Who is guarded, for messages ("the gateway's server replica", "this client"). */
  readonly who?: string;
}

/**
 * @example
 * const guard = CrashGuard.open({ path: "./data/replica/db.kuzu", logger });
 * const outcomes = await guard.apply(replica, events); // instead of replica.apply(events)
 */
export class CrashGuard {
  readonly #marker: string | null;
  readonly #log: Logger;
  readonly #limit: number;
  readonly #who: string;
  /** The range the process died in last time, applied one event at a time until passed. */
  #suspect: { readonly from: number; readonly to: number; readonly crashes: number } | null = null;
  #poisoned: PoisonedEvent | null = null;

  private constructor(options: CrashGuardOptions) {
    this.#marker = options.path === null ? null : `${options.path}.applying`;
    this.#log = options.logger ?? silentLogger;
    this.#limit = options.crashLimit ?? DEFAULT_CRASH_LIMIT;
    this.#who = options.who ?? "this replica";
  }

  /** Read what a previous process left: a marker means it died applying that range. */
  static open(options: CrashGuardOptions): CrashGuard {
    const guard = new CrashGuard(options);
    guard.#recover();
    return guard;
  }

  /** The event this replica refuses until it is quarantined, if any. */
  get poisoned(): PoisonedEvent | null {
    return this.#poisoned;
  }

  /** Whether the last process died inside a range this one has not passed yet. */
  get narrowing(): boolean {
    return this.#suspect !== null;
  }

  /**
   * `replica.apply(events)` inside the marker. Throws APPLY_STOPPED before a poisoned event that is
   * not quarantined (the events before it are applied).
   */
  async apply(replica: Replica, events: readonly SequencedEvent[]): Promise<ApplyOutcome[]> {
    if (this.#marker === null) return replica.apply(events);
    const suspect = this.#suspect;
    if (suspect !== null && replica.appliedSeq >= suspect.to) this.#passed(suspect.to);
    const fresh = events.filter((e) => e.seq > replica.appliedSeq);
    if (fresh.length === 0) return replica.apply(events);
    if (this.#suspect === null) return this.#marked(replica, fresh, 0);
    const outcomes: ApplyOutcome[] = [];
    for (const [i, e] of fresh.entries()) {
      const range = this.#suspect;
      if (range === null || e.seq > range.to) {
        outcomes.push(...(await this.#marked(replica, fresh.slice(i), 0)));
        break;
      }
      const crashes = range.from === range.to && range.from === e.seq ? range.crashes : 0;
      if (crashes >= this.#limit && e.quarantined === undefined && e.template !== REGISTRY_TEMPLATE) {
        this.#poisoned = { seq: e.seq, crashes };
        throw new SyncError(
          ErrorCode.APPLY_STOPPED,
          `${this.#who} stops before seq ${e.seq} (event ${e.id}, ${e.template}): the process died ${crashes} times applying it alone (a poison event). ` +
            `Take it out of service with \`sync-server quarantine --seq ${e.seq} --reason "…"\`; every replica that has not applied it then skips it`,
          { eventId: e.id },
        );
      }
      outcomes.push(...(await this.#marked(replica, [e], crashes)));
      if (replica.appliedSeq >= range.to) this.#passed(range.to);
    }
    return outcomes;
  }

  /** Apply with the marker on disk; it stays only if the process dies meanwhile. */
  async #marked(replica: Replica, events: readonly SequencedEvent[], crashes: number): Promise<ApplyOutcome[]> {
    const marker: Marker = { from: events[0]!.seq, to: events[events.length - 1]!.seq, crashes, pid: PID, at: new Date().toISOString() };
    writeFileSync(this.#marker!, JSON.stringify(marker));
    try {
      return await replica.apply(events);
    } finally {
      rmSync(this.#marker!, { force: true });
    }
  }

  #passed(seq: number): void {
    if (this.#poisoned !== null) this.#log.info("poisoned event passed (quarantined)", { seq: this.#poisoned.seq });
    else this.#log.info("passed the range a previous process died in", { to: seq });
    this.#suspect = null;
    this.#poisoned = null;
  }

  #recover(): void {
    const path = this.#marker;
    if (path === null || !existsSync(path)) return;
    let marker: Marker;
    try {
      marker = JSON.parse(readFileSync(path, "utf8")) as Marker;
    } catch {
      // Torn by the crash itself: the range is unknown, so nothing is suspected.
      rmSync(path, { force: true });
      return;
    }
    rmSync(path, { force: true });
    if (!Number.isSafeInteger(marker.from) || !Number.isSafeInteger(marker.to) || marker.from > marker.to) return;
    const alone = marker.from === marker.to;
    const crashes = alone ? (Number.isSafeInteger(marker.crashes) ? marker.crashes : 0) + 1 : 0;
    this.#suspect = { from: marker.from, to: marker.to, crashes };
    if (alone && crashes >= this.#limit) {
      this.#poisoned = { seq: marker.from, crashes };
      this.#log.error("the engine keeps crashing on one event: it is refused until quarantined", { seq: marker.from, crashes, who: this.#who });
    } else {
      this.#log.warn("the previous process died while applying: applying that range one event at a time", { from: marker.from, to: marker.to, crashes, who: this.#who });
    }
  }
}
