/**
 * Why a client stops for good (no reconnect loop), or finds its replica differs, with what to do
 * about it: the errors a client raises when going on would change a replica that does not belong
 * to this server's history, or that no longer matches it.
 * @module
 */
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import type { VerifyResult } from "./replica-verify.ts";

/**
 * The replica runs a registry the server's history does not know (`problem` says how): it belongs
 * to another deployment. Nothing of it is touched, its outbox stays where it is.
 * @example throw registryMismatch("replica runs version 3, the server knows 1–2", { dbPath: null, url: "ws://gw", unsent: 0 });
 */
export function registryMismatch(problem: string, o: { readonly dbPath: string | null; readonly url: string; readonly unsent: number }): SyncError {
  const kept = o.unsent > 0 ? `; its ${o.unsent} unsent event(s) stay in its outbox` : "";
  return new SyncError(ErrorCode.REGISTRY_MISMATCH, `${problem}. The replica${o.dbPath ? ` at ${o.dbPath}` : ""} belongs to another deployment than ${o.url}${kept}; the client stops`);
}

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

/**
 * `verify()` found the replica's graph different from the gateway's at the same seq; says whether
 * it is being rebuilt from the gateway's snapshot and, if not, how to do that.
 * @example client.on("error", (e) => e.code === "REPLICA_DIVERGED" && alert(e.message));
 */
export function diverged(result: VerifyResult, o: { readonly dbPath: string | null; readonly url: string; readonly rebuild: boolean; readonly repair: boolean }): SyncError {
  const { local, server } = result;
  return new SyncError(
    ErrorCode.REPLICA_DIVERGED,
    `the replica${o.dbPath ? ` at ${o.dbPath}` : ""} differs from ${o.url}'s at seq ${result.seq} ` +
      `(${local.nodes} nodes, ${local.relationships} relationships, ${local.sha256.slice(0, 12)} here; ${server.nodes}, ${server.relationships}, ${server.sha256.slice(0, 12)} there)` +
      (o.rebuild ? "; rebuilding it from the gateway's snapshot (the outbox is kept)" : o.repair ? "; this build cannot import a snapshot" : "; verify({ repair: true }) rebuilds it from the gateway's snapshot"),
  );
}
