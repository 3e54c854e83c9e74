/**
 * @kuzu-sync/replica — the one KuzuDB adapter, used by gateway and clients alike.
 * @module
 */
export { META_TABLE, Replica } from "./replica.ts";
export type { ApplyOutcome, ReplicaOptions } from "./replica.ts";
