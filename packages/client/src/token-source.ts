/**
 * A token for one connection attempt from the application's `getToken()`. It is called before
 * every attempt, so a reconnect after the server closed an expired session (4001) uses a fresh one.
 * @module
 */
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";

/**
 * Resolves with a non-empty token; rejects with UNAUTHORIZED when `getToken()` throws or gives
 * none (the client reports it and tries again with backoff).
 * @example
 * const token = await fetchToken(options.getToken);
 */
export async function fetchToken(getToken: () => string | Promise<string>): Promise<string> {
  let token: unknown;
  try {
    token = await getToken();
  } catch (cause) {
    throw new SyncError(ErrorCode.UNAUTHORIZED, `getToken() failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (typeof token !== "string" || token.length === 0) throw new SyncError(ErrorCode.UNAUTHORIZED, "getToken() returned no token");
  return token;
}
