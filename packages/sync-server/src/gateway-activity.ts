/**
 * What a gateway reports as it works, as one stream of typed activities: the data path (sessions,
 * fan-out, HTTP routes, the server replica) says what happened, and whoever keeps statistics
 * listens — `GatewayStats` (which feeds /stats, the dashboard and the Prometheus counters) is the
 * one listener today. The data path never calls statistics code itself.
 * @module
 */
import type { ErrorCode, SequencedEvent } from "@kuzu-sync/protocol";
import { silentLogger, type Logger } from "@kuzu-sync/telemetry";

/** Outcome of one event on the server replica. */
export interface ReplicaOutcome {
  readonly seq: number;
  readonly ok: boolean;
}

export type GatewayActivity =
  /** A socket said hello as `clientId`, its replica at `lastSeq` (it stays connected until `disconnected`). */
  | { readonly type: "connected"; readonly clientId: string; readonly lastSeq: number }
  /** A connected client reported that its replica has applied every seq up to `seq` (`applied`). */
  | { readonly type: "progress"; readonly clientId: string; readonly seq: number }
  /** A socket that had said hello as `clientId` closed. */
  | { readonly type: "disconnected"; readonly clientId: string }
  /** A valid event from a client, handed to the log (resends included). */
  | { readonly type: "accepted"; readonly template: string; readonly clientId: string }
  /** An appended event was acknowledged (durable), `latencyMs` after its frame arrived. */
  | { readonly type: "acked"; readonly latencyMs: number; readonly duplicate: boolean }
  /** A frame or event was refused with `code`. */
  | { readonly type: "rejected"; readonly code: ErrorCode }
  /** A commit's events that take effect (duplicate slots left out). */
  | { readonly type: "committed"; readonly events: readonly SequencedEvent[] }
  /**
   * Events written to sockets: live fan-out (`live`, to every live socket at once) or one catch-up
   * page. `recipients`: the client id of each socket (null for one that has not said hello).
   */
  | { readonly type: "delivered"; readonly events: readonly SequencedEvent[]; readonly recipients: readonly (string | null)[]; readonly live: boolean }
  /** The server replica applied a batch: the events read, and the outcome of each newly applied one. */
  | { readonly type: "applied"; readonly events: readonly SequencedEvent[]; readonly outcomes: readonly ReplicaOutcome[] }
  /** An aggregate read was answered. */
  | { readonly type: "aggregate-read"; readonly via: "http" | "socket" };

export type ActivityListener = (activity: GatewayActivity) => void;

/**
 * @example
 * const activity = new ActivityFeed(logger);
 * activity.subscribe((a) => stats.observe(a));
 * activity.emit({ type: "rejected", code: ErrorCode.BAD_MESSAGE });
 */
export class ActivityFeed {
  readonly #listeners = new Set<ActivityListener>();
  readonly #logger: Logger;

  constructor(logger: Logger = silentLogger) {
    this.#logger = logger;
  }

  subscribe(listener: ActivityListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tell every listener. A listener that throws is the listener's bug: it never breaks the data path. */
  emit(activity: GatewayActivity): void {
    for (const listener of this.#listeners) {
      try {
        listener(activity);
      } catch (error) {
        // Statistics must never fail a write, a delivery or a read.
        this.#logger.error("activity listener threw", { activity: activity.type, error: String(error) });
      }
    }
  }
}
