/**
 * `#snapshot-bootstrap` in a browser. Snapshots are tar archives of Parquet files imported from a
 * host directory (`IMPORT DATABASE`), which a browser replica (in memory, in kuzu-wasm's worker)
 * does not do: it catches up from the log instead, so the client never asks for an optional
 * snapshot there. A gateway whose history before the client's seq is archived requires one: that
 * is refused with a clear error and the client keeps retrying with backoff (as under Bun when a
 * download fails) until the operator lets it catch up from the log.
 * @module
 */
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import type { Replica } from "@kuzu-sync/replica";
import type { BootstrapOptions } from "./bootstrap-options.ts";

/** A browser client does not use optional snapshots. */
export const SNAPSHOTS_SUPPORTED = false;

/** Nothing is left on a host file system in a browser. */
export function removeBootstrapLeftovers(_dbPath: string): void {}

/**
 * @example await bootstrapFromSnapshot(options); // rejects: snapshots need Bun
 */
export async function bootstrapFromSnapshot(o: BootstrapOptions): Promise<Replica> {
  throw new SyncError(
    ErrorCode.SNAPSHOT_REQUIRED,
    `the gateway requires a snapshot (its history before seq ${o.offer.seq} is archived), and a browser replica cannot import one; it needs the log from seq ${o.current.appliedSeq + 1}`,
  );
}
