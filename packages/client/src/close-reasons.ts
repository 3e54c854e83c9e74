/**
 * Which closes and refused upgrades end reconnecting: retrying unchanged cannot help there.
 * @module
 */
import { CloseCode, ErrorCode, SyncError } from "@kuzu-sync/protocol";

/** A close after which reconnecting unchanged cannot help (see docs/PROTOCOL.md, close codes). */
export function fatalClose(code: number, reason: string): SyncError | null {
  if (code === CloseCode.POLICY_VIOLATION) return new SyncError(ErrorCode.FORBIDDEN, `server closed the connection: ${reason || "policy violation"}`);
  return null;
}

/** An upgrade the server answered with 401 or 403: a bad token or origin, not a network problem. */
export function refusedUpgrade(failure: string, url: string): SyncError | null {
  const status = /\b(401|403)\b/.exec(failure)?.[1];
  if (status === "401") return new SyncError(ErrorCode.UNAUTHORIZED, `${url} refused the token (HTTP 401)`);
  if (status === "403") return new SyncError(ErrorCode.FORBIDDEN, `${url} refused this origin (HTTP 403)`);
  return null;
}
