/**
 * The template event: what a client sends, and what the gateway sequences.
 * @module
 */
import { z } from "zod";

/** Limits shared by both sides; the gateway enforces them, clients check early. */
export const Limits = {
  /** Longest event id / client id / template name accepted. */
  maxIdLength: 128,
  /** Longest W3C traceparent header value. */
  maxTraceparentLength: 55,
  /** Longest reason an operator can give when quarantining an event (`sync-server quarantine --reason`). */
  maxQuarantineReasonLength: 500,
} as const;

const idString = z.string().min(1).max(Limits.maxIdLength);
const traceparent = z
  .string()
  .regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/, "must be a W3C traceparent");

/** Parameters are a JSON object; each template narrows it with its own schema. */
export const ParamsSchema = z.record(z.string(), z.unknown());

/** An event as a client submits it. `id` is the idempotency key, unique forever. */
export const ClientEventSchema = z.strictObject({
  id: idString,
  template: idString,
  params: ParamsSchema,
  clientId: idString,
  timestamp: z.number().int().nonnegative(),
  traceparent: traceparent.optional(),
});
export type ClientEvent = z.infer<typeof ClientEventSchema>;

/**
 * An event after the gateway gave it its place in the global order.
 *
 * `duplicateOf` marks a slot of the order that repeats an `id` already stored at that lower seq
 * (possible only with the JetStream log, when a resend reaches the stream after its duplicate
 * window). Such a slot has no effect: replicas record its seq as applied and run nothing, so the
 * order stays gap-free while the event still takes effect exactly once.
 *
 * `quarantined` marks an event an operator took out of service (`sync-server quarantine --seq N`,
 * recorded beside the log): its value is the operator's reason ("" when none was given). Every
 * replica that has not applied it yet records its seq and runs nothing, like a duplicate slot;
 * registry events are never marked.
 */
export const SequencedEventSchema = ClientEventSchema.extend({
  seq: z.number().int().positive(),
  serverTimestamp: z.number().int().nonnegative(),
  duplicateOf: z.number().int().positive().optional(),
  quarantined: z.string().max(Limits.maxQuarantineReasonLength).optional(),
});
export type SequencedEvent = z.infer<typeof SequencedEventSchema>;
