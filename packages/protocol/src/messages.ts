/**
 * Wire messages between clients and the gateway, and the single parse boundary for each direction.
 * Every frame is one JSON object with a `type`. See docs/PROTOCOL.md.
 * @module
 */
import { z } from "zod";
import { ClientEventSchema, Limits, SequencedEventSchema } from "./event.ts";
import { ErrorCode, isErrorCode } from "./errors.ts";
import { AGGREGATE_NAME } from "./aggregates.ts";
import type { WireRegistry } from "./templates.ts";

const idString = z.string().min(1).max(Limits.maxIdLength);
const seq = z.number().int().nonnegative();

// ---- client → server ----------------------------------------------------------------------

export const HelloSchema = z.strictObject({
  type: z.literal("hello"),
  clientId: idString,
  /** Highest seq the client's replica has applied (0 for a new replica). */
  lastSeq: seq,
  /** Registry hash the replica was built with, if any. */
  registryHash: z.string().max(128).optional(),
});

export const EventMessageSchema = z.strictObject({
  type: z.literal("event"),
  event: ClientEventSchema,
});

export const DmlMessageSchema = z.strictObject({
  type: z.literal("dml"),
  id: idString,
  clientId: idString,
  cypher: z.string().min(1).max(65_536),
  timestamp: z.number().int().nonnegative(),
});

/** Longest aggregate group key accepted in a request. */
const MAX_AGGREGATE_KEY = 1024;

/** Ask for an aggregate: one group's value (`key`), or every group. Answered with `aggregate`. */
export const AggregateRequestSchema = z.strictObject({
  type: z.literal("aggregate"),
  /** Chosen by the client; echoed in the answer (or in a `reject`). */
  id: idString,
  name: z.string().regex(AGGREGATE_NAME, "must be an aggregate name"),
  key: z.string().max(MAX_AGGREGATE_KEY).optional(),
});

export const ClientMessageSchema = z.discriminatedUnion("type", [HelloSchema, EventMessageSchema, DmlMessageSchema, AggregateRequestSchema]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
export type HelloMessage = z.infer<typeof HelloSchema>;
export type AggregateRequest = z.infer<typeof AggregateRequestSchema>;

// ---- server → client ----------------------------------------------------------------------

/**
 * `welcome.snapshot`: where to get a snapshot of the server replica instead of replaying history.
 * `required`: the client's `lastSeq` is below the archive horizon, so the log alone cannot bring
 * it up to date; the gateway sends `error SNAPSHOT_REQUIRED` and closes (4000) right after the
 * welcome. Otherwise it is an offer (the replay would be long) and catch-up proceeds as usual.
 */
export interface SnapshotOffer {
  /** The snapshot's seq is at least this (a fresher one may be served). */
  readonly seq: number;
  /** HTTP path (or absolute URL) of the snapshot archive, relative to the gateway's HTTP origin. */
  readonly url: string;
  readonly required: boolean;
}

export interface WelcomeMessage {
  readonly type: "welcome";
  readonly serverId: string;
  /** Head of the log when the client said hello; catch-up ends there. */
  readonly headSeq: number;
  /** First seq still in the hot log (1 until anything is archived). */
  readonly horizonSeq: number;
  readonly registry: WireRegistry;
  /** Largest frame the server accepts, in bytes. */
  readonly maxMessageBytes: number;
  /** Present when the client must (or may) bootstrap from a snapshot; see {@link SnapshotOffer}. */
  readonly snapshot?: SnapshotOffer;
}

const cypherText = z.union([z.string(), z.array(z.string()).min(1)]);

const WelcomeSchema = z.object({
  type: z.literal("welcome"),
  serverId: z.string(),
  headSeq: seq,
  horizonSeq: seq,
  registry: z.object({
    hash: z.string(),
    schema: z.array(z.string()),
    templates: z.array(
      z.object({
        name: z.string(),
        description: z.string().optional(),
        // One statement, or a short list run in one transaction (a plain string when one).
        cypher: cypherText,
        batch: z.object({ cypher: cypherText, keys: z.array(z.string()) }).optional(),
        paramNames: z.array(z.string()),
        required: z.array(z.string()),
        paramsJsonSchema: z.unknown(),
      }),
    ),
    // Absent from servers older than aggregates.
    aggregates: z.array(wireAggregateSchema()).default([]),
  }),
  maxMessageBytes: z.number().int().positive(),
  snapshot: z.object({ seq, url: z.string().min(1), required: z.boolean() }).optional(),
});

function wireAggregateSchema() {
  const base = { name: z.string(), description: z.string().optional() };
  return z.discriminatedUnion("kind", [
    z.object({ ...base, kind: z.literal("sum"), from: z.record(z.string(), z.object({ groupBy: z.string(), value: z.union([z.string(), z.number()]) })) }),
    z.object({
      ...base,
      kind: z.literal("entityCount"),
      set: z.record(z.string(), z.object({ id: z.string(), groupBy: z.string() })),
      remove: z.record(z.string(), z.object({ id: z.string() })),
    }),
  ]);
}

const code = z.string().refine(isErrorCode, "unknown error code") as unknown as z.ZodType<ErrorCode>;

const AckSchema = z.object({ type: z.literal("ack"), id: z.string(), seq: z.number().int().positive(), duplicate: z.boolean() });
const RejectSchema = z.object({
  type: z.literal("reject"),
  id: z.string(),
  code,
  message: z.string(),
  retryable: z.boolean(),
});
const EventsSchema = z.object({ type: z.literal("events"), events: z.array(SequencedEventSchema) });
/** Catch-up is complete at `seq`; everything after arrives live. */
const LiveSchema = z.object({ type: z.literal("live"), seq });
const ErrorSchema = z.object({ type: z.literal("error"), code, message: z.string() });
/**
 * Answer to an `aggregate` request, exact as of `seq` (the log head when it was answered).
 * `value` (null when no event has given the group a value) for a request with a `key`, `values`
 * (group → value) for one without. `fromSeq`: the first seq the aggregate counts (1 unless it was
 * added to a deployment that already had history).
 */
const AggregateResultSchema = z.object({
  type: z.literal("aggregate"),
  id: z.string(),
  name: z.string(),
  key: z.string().optional(),
  seq,
  fromSeq: z.number().int().positive(),
  value: z.number().nullable().optional(),
  values: z.record(z.string(), z.number()).optional(),
});

export const ServerMessageSchema = z.discriminatedUnion("type", [
  WelcomeSchema,
  AckSchema,
  RejectSchema,
  EventsSchema,
  LiveSchema,
  ErrorSchema,
  AggregateResultSchema,
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;
export type AckMessage = z.infer<typeof AckSchema>;
export type RejectMessage = z.infer<typeof RejectSchema>;
export type EventsMessage = z.infer<typeof EventsSchema>;
export type ErrorMessage = z.infer<typeof ErrorSchema>;
export type AggregateResult = z.infer<typeof AggregateResultSchema>;

// ---- parse boundary -----------------------------------------------------------------------

export type ParseResult<T> =
  | { readonly ok: true; readonly message: T }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly id?: string };

function decode(frame: string | ArrayBufferView | ArrayBuffer): unknown {
  const text = typeof frame === "string" ? frame : new TextDecoder("utf-8", { fatal: true }).decode(frame as ArrayBuffer);
  return JSON.parse(text);
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "message"}: ${i.message}`)
    .join("; ");
}

/** Best-effort id of the event a bad frame was about, so the reject can name it. */
function idOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const inner = typeof v["event"] === "object" && v["event"] !== null ? (v["event"] as Record<string, unknown>)["id"] : v["id"];
  return typeof inner === "string" && inner.length > 0 && inner.length <= Limits.maxIdLength ? inner : undefined;
}

/** Deepest JSON nesting accepted in a frame; deeper values would overflow the stack when re-encoded. */
export const MAX_JSON_DEPTH = 32;

/**
 * Reject what the schemas cannot see: nesting deeper than MAX_JSON_DEPTH, and `__proto__` keys
 * (zod drops them silently, so the stored event would differ from what the client sent).
 */
function shapeProblem(value: unknown): string | null {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth >= MAX_JSON_DEPTH) return `nesting deeper than ${MAX_JSON_DEPTH} levels`;
    if (Array.isArray(v)) {
      for (const item of v) stack.push([item, depth + 1]);
      continue;
    }
    for (const key of Object.keys(v)) {
      if (key === "__proto__") return "the key __proto__ is not allowed";
      stack.push([(v as Record<string, unknown>)[key], depth + 1]);
    }
  }
  return null;
}

/**
 * The gateway's only way to read a frame. Never throws.
 * @example
 * const r = parseClientMessage(frame);
 * if (!r.ok) ws.send(JSON.stringify({ type: "error", code: r.code, message: r.message }));
 */
export function parseClientMessage(frame: string | ArrayBufferView | ArrayBuffer): ParseResult<ClientMessage> {
  let value: unknown;
  try {
    value = decode(frame);
  } catch {
    return { ok: false, code: ErrorCode.BAD_FRAME, message: "frame is not valid UTF-8 JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, code: ErrorCode.BAD_FRAME, message: "frame must be a JSON object" };
  }
  const id = idOf(value);
  const problem = shapeProblem(value);
  if (problem !== null) return { ok: false, code: ErrorCode.BAD_MESSAGE, message: problem, ...(id === undefined ? {} : { id }) };
  const result = ClientMessageSchema.safeParse(value);
  if (result.success) return { ok: true, message: result.data };
  return { ok: false, code: ErrorCode.BAD_MESSAGE, message: describe(result.error), ...(id === undefined ? {} : { id }) };
}

/**
 * The client's only way to read a frame. Never throws.
 * @example const r = parseServerMessage(ev.data); if (r.ok && r.message.type === "ack") ...
 */
export function parseServerMessage(frame: string | ArrayBufferView | ArrayBuffer): ParseResult<ServerMessage> {
  let value: unknown;
  try {
    value = decode(frame);
  } catch {
    return { ok: false, code: ErrorCode.BAD_FRAME, message: "frame is not valid UTF-8 JSON" };
  }
  const result = ServerMessageSchema.safeParse(value);
  if (result.success) return { ok: true, message: result.data as ServerMessage };
  return { ok: false, code: ErrorCode.BAD_MESSAGE, message: describe(result.error) };
}

/** Serialise any server message (one place, so the framing never drifts). */
export function encodeServerMessage(message: ServerMessage | WelcomeMessage): string {
  return JSON.stringify(message);
}

/** Serialise any client message. */
export function encodeClientMessage(message: ClientMessage): string {
  return JSON.stringify(message);
}
