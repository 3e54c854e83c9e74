/**
 * The shapes a {@link Replica} takes and hands back — its options, an exported snapshot, one
 * event's outcome, the replica at rest — kept apart from the class so the modules that only
 * need a type (the overlay, the crash guard, snapshots) do not read the whole replica to find it.
 * replica.ts re-exports them: import them from there, or from the package entry points.
 * @module
 */
import type { Logger } from "@kuzu-sync/telemetry";

/**
 * How to open a replica.
 * @example const options: ReplicaOptions = { path: "./data/replica.kuzu", maxBatchRows: 1_000 };
 */
export interface ReplicaOptions {
  /** Database file; null or absent for an in-memory replica. */
  readonly path?: string | null;
  readonly logger?: Logger;
  /** Most rows of one UNWIND statement (longer groups of one template are split). */
  readonly maxBatchRows?: number;
  /** Kuzu query timeout for one raw DML statement, in ms (default `RawDmlLimits.timeoutMs`). */
  readonly rawDmlTimeoutMs?: number;
}

/**
 * What {@link Replica.exportSnapshot} wrote: the directory holds the replica as of `seq`.
 * @example const { dir, seq }: ExportedSnapshot = await replica.exportSnapshot("/tmp/snap");
 */
export interface ExportedSnapshot {
  readonly dir: string;
  readonly seq: number;
  readonly registryHash: string;
  /** The registry version in force at `seq` (null for a replica made before registry versions). */
  readonly registryVersion: number | null;
}

/**
 * What happened to one event. A failed event still advances the seq: it failed on every replica.
 * A quarantined event (taken out of service by an operator, see docs/SECURITY.md) is not run: it
 * is reported as failed, with `error` starting with "quarantined".
 * @example const failed = (await replica.apply(events)).filter((o: ApplyOutcome) => !o.ok);
 */
export interface ApplyOutcome {
  readonly seq: number;
  readonly template: string;
  readonly ok: boolean;
  readonly error?: string;
}

/**
 * The replica between two applied batches, as {@link Replica.atRest} hands it out.
 * @example const seq = await replica.atRest(async (r: ReplicaAtRest) => r.seq);
 */
export interface ReplicaAtRest {
  /** The applied seq: nothing moves it while the task runs. */
  readonly seq: number;
  /** A read, as {@link Replica.query}. */
  query(cypher: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]>;
  /** `EXPORT DATABASE` to `dir` (which must not exist), as {@link Replica.exportSnapshot}. */
  exportTo(dir: string): Promise<ExportedSnapshot>;
}
