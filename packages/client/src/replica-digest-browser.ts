/**
 * `#replica-digest` in a browser. Graph digests stay on the Bun side (they hash with node:crypto,
 * incrementally, over a dump of every table): a browser replica cannot be verified yet, and
 * `client.verify()` says so.
 * @module
 */
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import type { Replica } from "@kuzu-sync/replica";

/** A browser client does not digest its replica. */
export const DIGEST_SUPPORTED = false;

/** The digest's shape, as the Bun build returns it. */
interface ReplicaDigest {
  readonly seq: number;
  readonly sha256: string;
  readonly nodes: number;
  readonly relationships: number;
}

/**
 * @example await digestLocal(replica); // rejects: digests need Bun
 */
export async function digestLocal(_replica: Replica): Promise<ReplicaDigest> {
  throw new SyncError(ErrorCode.NOT_READY, "verifying a replica needs Bun: a browser replica cannot be digested yet");
}
