/**
 * What a replica records and logs about the events it applies: an event that failed on its own
 * account (recorded identically on every replica, so its message must not carry anything that
 * differs between them), the engine giving up (APPLY_STOPPED: the replica stops before the event),
 * and the debug lifecycle records that let one write be followed to every replica.
 * @module
 */
import { ErrorCode, SyncError, type SequencedEvent } from "@kuzu-sync/protocol";
import type { Logger } from "@kuzu-sync/telemetry";
import { classifyApplyError } from "./apply-errors.ts";
import type { ApplyOutcome } from "./replica-types.ts";

/**
 * The outcome of `e` failing with `failure` (deterministically: the same on every replica), logged.
 * @example return failedOutcome(e, error, log); // { seq, template, ok: false, error }
 */
export function failedOutcome(e: SequencedEvent, failure: unknown, log: Logger): ApplyOutcome {
  // Kuzu names a node by its physical offset in some errors ("Node(nodeOffset: 3) has more
  // than one neighbour…"); offsets depend on the order nodes were stored in, which differs
  // between replicas (batched, one at a time, imported from a snapshot), so it is left out.
  const message = (failure instanceof Error ? failure.message : String(failure)).replace(/\(nodeOffset: \d+\)/g, "");
  log.warn("event failed to apply", { seq: e.seq, template: e.template, eventId: e.id, clientId: e.clientId, traceparent: e.traceparent, error: message });
  return { seq: e.seq, template: e.template, ok: false, error: message };
}

/**
 * Throw unless `failure` is one the statement itself causes, the same on every replica
 * (apply-errors.ts): the engine giving up (a timeout, I/O, memory…) says nothing about the event,
 * so the replica, still at `appliedSeq`, stops before it (APPLY_TIMEOUT passes through as it is).
 * @example stopUnlessDeterministic(e, failure, replica.appliedSeq); // then record the failure
 */
export function stopUnlessDeterministic(e: SequencedEvent, failure: unknown, appliedSeq: number): void {
  const judged = classifyApplyError(failure);
  if (judged.deterministic) return;
  if (failure instanceof SyncError && failure.code === ErrorCode.APPLY_TIMEOUT) throw failure;
  throw new SyncError(
    ErrorCode.APPLY_STOPPED,
    `seq ${e.seq} (event ${e.id}, ${e.template}) was not applied: a ${judged.kind} error that is not the event's (${judged.message}); the replica stays at seq ${appliedSeq} and must be retried`,
    { cause: failure, eventId: e.id },
  );
}

/**
 * Debug lifecycle records, with the traceparent, so one write can be followed to every replica.
 * @example logApplied(log, events);
 */
export function logApplied(log: Logger, events: readonly SequencedEvent[]): void {
  if (!log.isEnabled("debug")) return;
  for (const e of events) {
    log.debug("event applied", { eventId: e.id, seq: e.seq, template: e.template, clientId: e.clientId, traceparent: e.traceparent });
  }
}
