/**
 * Wire messages between clients and the gateway, and the single parse boundary for each direction.
 * Every frame is one JSON object with a `type`. See docs/PROTOCOL.md.
 * @module
 */
import { z } from "zod";
import { ClientEventSchema, Limits, SequencedEventSchema, type ClientEvent } from "./event.ts";
import { ErrorCode, isErrorCode } from "./errors.ts";
import { AGGREGATE_NAME } from "./aggregates.ts";
import { shapeProblem } from "./frame-shape.ts";
import { isPlainClientEvent, plainServerMessage } from "./plain-event.ts";

export { MAX_JSON_DEPTH } from "./frame-shape.ts";
import type { WireRegistry } from "./templates.ts";
import { WireRegistrySchema } from "./wire-registry.ts";

const idString = z.string().min(1).max(Limits.maxIdLength);
const seq = z.number().int().nonnegative();

// ---- client → server ----------------------------------------------------------------------

export const HelloSchema = z.strictObject({
  type: z.literal("hello"),
  clientId: idString,
  /** Highest seq the client's replica has applied (0 for a new replica). */
  lastSeq: seq,
  /** Registry hash the replica runs, if any. */
  registryHash: z.string().max(128).optional(),
  /** Registry version the replica runs (absent: none yet, or a replica from before versions). */
  registryVersion: z.number().int().positive().optional(),
});

export const EventMessageSchema = z.strictObject({
  type: z.literal("event"),
  event: ClientEventSchema,
});

/** Most events one `events` frame may carry (the frame must also fit in `maxMessageBytes`). */
export const MAX_EVENTS_PER_FRAME = 1000;

/**
 * Several events in one frame, for writers with many in flight: each is checked, stored and
 * answered (`ack` / `reject`) exactly as if it had come in an `event` frame of its own, in the
 * order given. A bad event among good ones is refused alone (see {@link parseClientMessage}).
 */
export const EventBatchSchema = z.strictObject({
  type: z.literal("events"),
  events: z.array(ClientEventSchema).min(1).max(MAX_EVENTS_PER_FRAME),
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

/**
 * Where the client's replica is: every seq up to `seq` is applied. Sent after hello, at most about
 * once a second while events are applied; the gateway shows it (dashboard, /stats) and nothing else.
 */
export const AppliedSchema = z.strictObject({
  type: z.literal("applied"),
  seq,
});

export const ClientMessageSchema = z.discriminatedUnion("type", [HelloSchema, EventMessageSchema, EventBatchSchema, DmlMessageSchema, AggregateRequestSchema, AppliedSchema]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
export type HelloMessage = z.infer<typeof HelloSchema>;
/** Client → server `events`: several events in one frame. */
export type EventBatchMessage = z.infer<typeof EventBatchSchema>;
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

/** One registry version of the log: its registry event's seq and its hash. */
export interface RegistryHistoryEntry {
  readonly version: number;
  readonly seq: number;
  readonly hash: string;
}

export interface WelcomeMessage {
  readonly type: "welcome";
  readonly serverId: string;
  /** Head of the log when the client said hello; catch-up ends there. */
  readonly headSeq: number;
  /** First seq still in the hot log (1 until anything is archived). */
  readonly horizonSeq: number;
  /** The current registry (its version included). */
  readonly registry: WireRegistry;
  /** Every registry version of the log, ascending (absent from servers older than versions). */
  readonly registryHistory?: readonly RegistryHistoryEntry[];
  /**
   * The registry in force after `lastSeq`, for a replica that has none of its own yet (a new
   * replica of a log from before registry versions); see docs/PROTOCOL.md §10.4.
   */
  readonly base?: WireRegistry;
  /** Largest frame the server accepts, in bytes. */
  readonly maxMessageBytes: number;
  /**
   * Most events the server accepts in one client `events` frame; absent from servers without
   * `events` frames (clients then send one `event` frame per event).
   */
  readonly maxEventsPerFrame?: number;
  /** Present when the client must (or may) bootstrap from a snapshot; see {@link SnapshotOffer}. */
  readonly snapshot?: SnapshotOffer;
}

const WelcomeSchema = z.object({
  type: z.literal("welcome"),
  serverId: z.string(),
  headSeq: seq,
  horizonSeq: seq,
  registry: WireRegistrySchema,
  registryHistory: z.array(z.object({ version: z.number().int().positive(), seq: z.number().int().positive(), hash: z.string() })).optional(),
  base: WireRegistrySchema.optional(),
  maxMessageBytes: z.number().int().positive(),
  maxEventsPerFrame: z.number().int().positive().optional(),
  snapshot: z.object({ seq, url: z.string().min(1), required: z.boolean() }).optional(),
});

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
  | {
      readonly ok: true;
      readonly message: T;
      /** `events` frames only: the events left out of `message.events`, each refused on its own. */
      readonly refused?: readonly RefusedEvent[];
    }
  | {
      readonly ok: false;
      readonly code: ErrorCode;
      readonly message: string;
      readonly id?: string;
      /** Set when the frame was an `events` frame whose envelope was refused (no event in it was looked at). */
      readonly eventsFrame?: true;
    };

/** One event of an `events` frame that is not well formed: its position, its id when it has a usable one, why. */
export interface RefusedEvent {
  readonly index: number;
  readonly id?: string;
  readonly code: ErrorCode;
  readonly message: string;
}

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

/**
 * The id of the event (or request) a bad frame was about, so the reject can name it and the
 * sender's promise settles. Any string is returned as it is, even one the schema refuses (empty,
 * too long, not well-formed): the sender matches the reject on exactly the id it sent.
 */
function idOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const event = v["event"];
  const inner = typeof event === "object" && event !== null && !Array.isArray(event) ? (event as Record<string, unknown>)["id"] : v["id"];
  return typeof inner === "string" ? inner : undefined;
}

/** Paths whose strings are the event's parameters: a problem there is INVALID_PARAMS. */
function paramsPath(type: unknown): (path: readonly (string | number)[]) => boolean {
  if (type === "event") return (path) => path[0] === "event" && path[1] === "params" && path.length > 2;
  if (type === "dml") return (path) => path[0] === "cypher";
  return () => false;
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
  if ((value as Record<string, unknown>)["type"] === "events") return parseEventsFrame(value as Record<string, unknown>);
  const id = idOf(value);
  const problem = shapeProblem(value, paramsPath((value as Record<string, unknown>)["type"]));
  if (problem !== null) {
    const code = problem.inParams ? ErrorCode.INVALID_PARAMS : ErrorCode.BAD_MESSAGE;
    return { ok: false, code, message: problem.message, ...(id === undefined ? {} : { id }) };
  }
  const result = ClientMessageSchema.safeParse(value);
  if (result.success) return { ok: true, message: result.data };
  return { ok: false, code: ErrorCode.BAD_MESSAGE, message: describe(result.error), ...(id === undefined ? {} : { id }) };
}

/**
 * An `events` frame: the envelope must be exactly `{type, events}` with 1..MAX_EVENTS_PER_FRAME
 * items (else the whole frame is refused); each item is then checked as the `event` of an
 * `event` frame would be — same shape rules, same depth — and a bad one is refused alone.
 */
function parseEventsFrame(value: Record<string, unknown>): ParseResult<ClientMessage> {
  const keys = Object.keys(value);
  const items = value["events"];
  if (keys.length !== 2 || !Array.isArray(items)) {
    return { ok: false, code: ErrorCode.BAD_MESSAGE, message: "an events frame is exactly {type: \"events\", events: [...]}", eventsFrame: true };
  }
  if (items.length < 1 || items.length > MAX_EVENTS_PER_FRAME) {
    return { ok: false, code: ErrorCode.BAD_MESSAGE, message: `an events frame carries 1 to ${MAX_EVENTS_PER_FRAME} events, not ${items.length}`, eventsFrame: true };
  }
  const events: ClientEvent[] = [];
  const refused: RefusedEvent[] = [];
  for (const [index, item] of items.entries()) {
    const id = idOf({ event: item });
    const refuse = (code: ErrorCode, message: string) => refused.push({ index, code, message: `events.${index}: ${message}`, ...(id === undefined ? {} : { id }) });
    // Wrapped as in an `event` frame, so depth, keys and strings are judged exactly as there
    // (a malformed string among the params is INVALID_PARAMS there, so here too).
    const problem = shapeProblem({ event: item }, paramsPath("event"));
    if (problem !== null) {
      refuse(problem.inParams ? ErrorCode.INVALID_PARAMS : ErrorCode.BAD_MESSAGE, problem.message);
      continue;
    }
    const result = ClientEventSchema.safeParse(item);
    if (result.success) events.push(result.data);
    else refuse(ErrorCode.BAD_MESSAGE, describe(result.error));
  }
  return { ok: true, message: { type: "events", events }, ...(refused.length === 0 ? {} : { refused }) };
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
  // Acks and live/catch-up events come by the thousand: plain ones skip the schema (same result).
  const plain = plainServerMessage(value);
  if (plain !== undefined) return { ok: true, message: plain };
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

/** Outcome of {@link checkClientEvent} and {@link checkClientId}. */
export type ClientCheck = { readonly ok: true } | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/**
 * What the gateway's parse boundary would say about this event, decided before it is stored or
 * sent: the same encoding and the same {@link parseClientMessage}, so a client refuses exactly what
 * the gateway would (template names and params are still checked against the registry there).
 * @example
 * const r = checkClientEvent({ id: "", template: "CREATE_USER", params: {}, clientId: "c1", timestamp: 0 });
 * // { ok: false, code: "BAD_MESSAGE", message: "event.id: Too small: expected string to have >=1 characters" }
 */
export function checkClientEvent(event: ClientEvent): ClientCheck {
  if (isPlainClientEvent(event)) return { ok: true }; // the common case, without encoding and parsing
  return checkEncoded(() => encodeClientMessage({ type: "event", event }));
}

/**
 * Whether the gateway would accept this client id in `hello` (1–128 code points, well-formed).
 * @example checkClientId("x".repeat(129)).ok // false
 */
export function checkClientId(clientId: string): ClientCheck {
  return checkEncoded(() => encodeClientMessage({ type: "hello", clientId, lastSeq: 0 }));
}

function checkEncoded(encode: () => string): ClientCheck {
  let text: string;
  try {
    text = encode();
  } catch (error) {
    return { ok: false, code: ErrorCode.BAD_MESSAGE, message: `cannot be encoded as JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = parseClientMessage(text);
  return parsed.ok ? { ok: true } : { ok: false, code: parsed.code, message: parsed.message };
}
