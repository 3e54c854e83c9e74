/**
 * What `GET /health` says about the gateway beyond its positions: `status` is `ok`, `degraded`
 * when the server replica is more than `DEGRADED_LAG_SECONDS` behind the log (its oldest unapplied
 * event is that old), and `unhealthy` when it has stopped applying (an engine fault, a timeout, a
 * poison event its crash guard refuses: see server-replica.ts). `problems` says why, in words.
 *
 * The HTTP status stays 200 either way: a liveness probe that restarted the gateway would not fix
 * a poison event (and the gateway still sequences and serves clients); probes read `status`.
 * @module
 */
import type { Lag } from "./replica-lag.ts";
import type { ApplyStop } from "./server-replica.ts";

export type HealthStatus = "ok" | "degraded" | "unhealthy";

/** The fields `GET /health` adds for the server replica. */
export interface ReplicaHealth {
  readonly status: HealthStatus;
  readonly replicaLag: Lag;
  /** Why the server replica is not applying (times as ISO strings); null while it follows the log. */
  readonly replicaStopped: (Omit<ApplyStop, "since" | "retryAt"> & { readonly since: string; readonly retryAt: string }) | null;
  /** Why the status is not `ok`; empty when it is. */
  readonly problems: readonly string[];
}

/**
 * @example
 * replicaHealth(follower.lag(), follower.halted, 30) // { status: "ok", replicaLag: { events: 0, seconds: 0 }, replicaStopped: null, problems: [] }
 */
export function replicaHealth(lag: Lag, halted: ApplyStop | null, degradedLagSeconds: number): ReplicaHealth {
  const problems: string[] = [];
  let status: HealthStatus = "ok";
  if (halted !== null) {
    status = "unhealthy";
    problems.push(`the server replica stopped before seq ${halted.seq} (${halted.code}) ${halted.attempts} time(s): ${halted.message}`);
  } else if (degradedLagSeconds > 0 && lag.seconds > degradedLagSeconds) {
    status = "degraded";
    problems.push(`the server replica is ${lag.events} event(s), ${lag.seconds} s behind the log (more than ${degradedLagSeconds} s)`);
  }
  return {
    status,
    replicaLag: lag,
    replicaStopped: halted === null ? null : { ...halted, since: new Date(halted.since).toISOString(), retryAt: new Date(halted.retryAt).toISOString() },
    problems,
  };
}
