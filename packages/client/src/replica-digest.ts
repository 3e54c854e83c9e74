/**
 * `#replica-digest` under Bun: a replica's graph digest at its applied seq (graph-digest.ts in
 * @kuzu-sync/replica), what `client.verify()` compares with the gateway's.
 * @module
 */
import { digestReplica, type Replica, type ReplicaDigest } from "@kuzu-sync/replica";

/** Whether this build can digest a replica (`#replica-digest`: yes under Bun). */
export const DIGEST_SUPPORTED = true;

/**
 * @example const { seq, sha256 } = await digestLocal(replica);
 */
export function digestLocal(replica: Replica): Promise<ReplicaDigest> {
  return digestReplica(replica);
}
