/**
 * Why a client stops for good (no reconnect loop), with what to do about it: the errors a client
 * raises when going on would change a replica that does not belong to this server's history.
 * @module
 */
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";

/**
 * The replica has applied more than the server's log holds: applying on would skip seqs that are
 * other events there. Nothing of the replica or its outbox is touched.
 * @example throw replicaAhead({ appliedSeq: 120, headSeq: 80, dbPath: "./r.kuzu", url: "ws://gw", unsent: 2 });
 */
export function replicaAhead(o: { readonly appliedSeq: number; readonly headSeq: number; readonly dbPath: string | null; readonly url: string; readonly unsent: number }): SyncError {
  const replica = o.dbPath === null ? "the replica" : `the replica at ${o.dbPath}`;
  const kept = o.unsent > 0 ? ` and its ${o.unsent} unsent event(s) stay in its outbox` : "";
  return new SyncError(
    ErrorCode.REPLICA_AHEAD,
    `${replica} has applied up to seq ${o.appliedSeq} but ${o.url}'s log ends at seq ${o.headSeq}: the server lost history (restored from an older backup, a recreated stream) ` +
      `or the replica belongs to another deployment. The client stops; the replica is unchanged${kept}. ` +
      `To sync with this server, move the replica aside (and its outbox, whose events were written against the other history) and connect again to build a new one; ` +
      `or connect it to the deployment it came from, or restore the server's missing history (docs/ARCHIVE.md).`,
  );
}
