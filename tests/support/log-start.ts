/**
 * How a new log starts: the gateway records its registry with a `genesis` registry event at seq 1
 * (docs/PROTOCOL.md §10.1), so the first client event of a fresh gateway is sequenced at seq 2,
 * and the head after n client writes is n + 1. Registry events are not DML: per-template and
 * per-client counts, DML statistics and the client's `event`s leave them out. Tests compute seqs
 * from these instead of writing the offset as a bare `+ 1`.
 *
 * A log written directly by a test helper (aged-log.ts, aged-stream.ts) has no genesis: the
 * gateway appends an `adopt` registry event at its head + 1 when it starts.
 * @module
 */
import { REGISTRY_CLIENT_ID, REGISTRY_TEMPLATE } from "@kuzu-sync/protocol";

/** Seq of the genesis registry event of a new log. */
export const GENESIS_SEQ = 1;

/** Seq of the first client event of a new log. */
export const FIRST_CLIENT_SEQ = GENESIS_SEQ + 1;

/**
 * Head of a new log after `written` client events.
 * @example expect(health.headSeq).toBe(headAfter(20));
 */
export function headAfter(written: number): number {
  return GENESIS_SEQ + written;
}

/**
 * Whether an event id is a registry event's (`kuzu-sync-registry-v<version>-<hash>`).
 * @example expect(isRegistryEventId(stream[0]!.id)).toBe(true);
 */
export function isRegistryEventId(id: string): boolean {
  return /^kuzu-sync-registry-v[1-9][0-9]*-[0-9a-f]{64}$/.test(id);
}

/** Template and client id of registry events, for assertions on events read from a log or a stream. */
export const REGISTRY_EVENT = Object.freeze({ template: REGISTRY_TEMPLATE, clientId: REGISTRY_CLIENT_ID });
