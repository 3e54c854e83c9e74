/**
 * `#optimistic-store` in a browser: there is no persistent client there (see
 * durable-outbox-browser.ts), so this is never reached; it fails clearly if it is.
 * @module
 */
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import type { OptimisticStore } from "./optimistic-store.ts";

/** @example durableOptimisticStore("replica.kuzu.optimistic.sqlite"); // throws: dbPath needs Bun */
export function durableOptimisticStore(path: string): OptimisticStore {
  throw new SyncError(ErrorCode.BAD_MESSAGE, `a persistent store of optimistic events (${path}) needs Bun; in a browser leave dbPath unset`);
}
