/**
 * The JetStream stream that holds the log: its configuration (created or updated at start), the
 * encoding of one event as one stream message, and ranged reads for catch-up.
 * @module
 */
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  nanos,
  type Consumer,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamInfo,
} from "nats";
import { ClientEventSchema, ErrorCode, SyncError, type ClientEvent, type SequencedEvent } from "@kuzu-sync/protocol";

/** Subject the log's messages are published on; one per stream, outside `kuzu-sync.events.>`. */
export function logSubject(stream: string): string {
  return `kuzu-sync.log.${stream}`;
}

/** Header naming the gateway that appended a message (it alone republishes it on core NATS). */
export const ORIGIN_HEADER = "Kuzu-Sync-Origin";

/** How far back JetStream itself recognises a repeated `Nats-Msg-Id` (its default). */
export const DUPLICATE_WINDOW_MS = 120_000;

export interface StreamSettings {
  readonly name: string;
  readonly replicas: number;
}

/**
 * Create the stream, or update it to these settings when it exists (e.g. more replicas).
 * @example const info = await ensureStream(jsm, { name: "KUZU_SYNC_EVENTS", replicas: 3 });
 */
export async function ensureStream(jsm: JetStreamManager, settings: StreamSettings): Promise<StreamInfo> {
  const config = {
    name: settings.name,
    subjects: [logSubject(settings.name)],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    // Never drop the oldest events to make room: a full stream refuses writes (LOG_UNAVAILABLE).
    discard: DiscardPolicy.New,
    num_replicas: settings.replicas,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  };
  let existing: StreamInfo | null = null;
  try {
    existing = await jsm.streams.info(settings.name);
  } catch (error) {
    if (!/stream not found/i.test(String(error))) throw error;
  }
  if (existing === null) return jsm.streams.add(config);
  const c = existing.config;
  if (c.num_replicas === config.num_replicas && c.subjects.includes(config.subjects[0]!) && c.duplicate_window === config.duplicate_window) {
    return existing;
  }
  return jsm.streams.update(settings.name, { ...c, ...config });
}

/** A stream message decoded: the event with its seq, and the gateway that appended it. */
export interface StreamEvent {
  readonly event: SequencedEvent;
  readonly origin: string | null;
}

/** What a gateway stores per event: the client's event and its own timestamp; `seq` is the stream's. */
export function encodeStreamEvent(event: ClientEvent, serverTimestamp: number): string {
  return JSON.stringify({ ...event, serverTimestamp });
}

/**
 * A stream message body (a client event plus the appending gateway's `serverTimestamp`) with its
 * stream seq as a sequenced event; null when the body is not one. Every gateway decodes every
 * message, so the common case — ASCII ids, a plain params object — is checked by hand
 * ({@link plainLogRecord}); anything else goes through `ClientEventSchema`, which decides.
 * @example const event = decodeLogRecord(msg.json(), msg.seq);
 */
export function decodeLogRecord(body: unknown, seq: number): SequencedEvent | null {
  if (typeof body !== "object" || body === null) return null;
  const plain = plainLogRecord(body as Record<string, unknown>, seq);
  if (plain !== undefined) return plain;
  const { serverTimestamp, ...rest } = body as Record<string, unknown>;
  const parsed = ClientEventSchema.safeParse(rest);
  if (!parsed.success || typeof serverTimestamp !== "number") return null;
  return { ...parsed.data, seq, serverTimestamp };
}

const RECORD_KEYS = new Set(["id", "template", "params", "clientId", "timestamp", "traceparent", "serverTimestamp"]);
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
/** Printable ASCII, no space: what ids and template names are in practice. */
const PLAIN_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The record as `ClientEventSchema` would return it (same fields, same order, then seq and
 * serverTimestamp), when it is plainly valid; undefined when the schema must decide. It only ever
 * accepts what the schema accepts (jetstream-stream.test.ts checks that on generated records): at
 * most the schema's keys, ids of printable ASCII within the length limit, a plain params object
 * without a `__proto__` key (the schema drops that key), a safe non-negative integer timestamp, a
 * well-formed traceparent if any, a numeric serverTimestamp. `maxIdLength` is 128 (the regex).
 */
function plainLogRecord(b: Record<string, unknown>, seq: number): SequencedEvent | undefined {
  for (const key in b) if (!RECORD_KEYS.has(key)) return undefined;
  const { id, template, params, clientId, timestamp, traceparent, serverTimestamp } = b;
  if (typeof id !== "string" || typeof template !== "string" || typeof clientId !== "string") return undefined;
  if (!PLAIN_ID.test(id) || !PLAIN_ID.test(template) || !PLAIN_ID.test(clientId)) return undefined;
  if (typeof params !== "object" || params === null || Object.getPrototypeOf(params) !== Object.prototype || Object.hasOwn(params, "__proto__")) return undefined;
  if (typeof timestamp !== "number" || !Number.isSafeInteger(timestamp) || timestamp < 0) return undefined;
  if (typeof serverTimestamp !== "number") return undefined;
  if (traceparent === undefined) return { id, template, params: params as Record<string, unknown>, clientId, timestamp, seq, serverTimestamp };
  if (typeof traceparent !== "string" || !TRACEPARENT.test(traceparent)) return undefined;
  return { id, template, params: params as Record<string, unknown>, clientId, timestamp, traceparent, seq, serverTimestamp };
}

/** Decode a stream message; throws SyncError INTERNAL for a message no gateway wrote. */
export function decodeStreamEvent(m: JsMsg): StreamEvent {
  let body: unknown;
  try {
    body = m.json();
  } catch (cause) {
    throw new SyncError(ErrorCode.INTERNAL, `stream message ${m.seq} is not JSON`, { cause });
  }
  const event = decodeLogRecord(body, m.seq);
  if (event === null) throw new SyncError(ErrorCode.INTERNAL, `stream message ${m.seq} is not a kuzu-sync event`);
  return { event, origin: originOf(m) };
}

const ORIGIN_LINE = `\r\n${ORIGIN_HEADER}:`;
const headerText = new TextDecoder();

/**
 * The appending gateway's origin header of `m`, read from the raw header block: the NATS client's
 * own header parsing (every key canonicalised, every line split and copied) cost as much as the
 * rest of decoding a message. Same answer as `m.headers.get(ORIGIN_HEADER)` (exact key, first
 * value, trimmed); falls back to it when the message is not shaped as the pinned client makes it.
 */
export function originOf(m: JsMsg): string | null {
  const raw = rawHeaders(m);
  if (raw === null) return m.headers?.get(ORIGIN_HEADER) || null;
  const text = headerText.decode(raw);
  const at = text.indexOf(ORIGIN_LINE);
  if (at < 0) return null;
  const start = at + ORIGIN_LINE.length;
  const end = text.indexOf("\r\n", start);
  return text.slice(start, end < 0 ? text.length : end).trim() || null;
}

/** The header block of a message as nats.js 2.x holds it (`msg._rdata` up to `msg._msg.hdr`), or null. */
export function rawHeaders(m: JsMsg): Uint8Array | null {
  const inner = (m as unknown as { msg?: { _rdata?: unknown; _msg?: { hdr?: unknown } } }).msg;
  const data = inner?._rdata;
  const hdr = inner?._msg?.hdr;
  if (!(data instanceof Uint8Array) || typeof hdr !== "number" || hdr > data.length) return null;
  return hdr > 0 ? data.subarray(0, hdr) : new Uint8Array(0);
}

/** Rejects with LOG_UNAVAILABLE when `promise` takes longer than `ms`: no NATS call may hang a caller. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SyncError(ErrorCode.LOG_UNAVAILABLE, `${what}: no answer from NATS within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

let serial = 0;

/**
 * First seq the stream still holds: its first seq, or last seq + 1 when it holds nothing (fully
 * purged, or never written: a purged stream's first seq is already last + 1, a new one's is 0).
 * @example const horizon = streamHorizon((await jsm.streams.info(stream)).state);
 */
export function streamHorizon(state: { readonly first_seq: number; readonly last_seq: number; readonly messages: number }): number {
  return state.messages === 0 ? state.last_seq + 1 : state.first_seq;
}

/** A consumer opened by {@link openConsumer}, and how to delete it (never throws). */
export interface OpenedConsumer {
  readonly consumer: Consumer;
  readonly remove: () => Promise<void>;
}

/**
 * An ephemeral, unacknowledged consumer of the whole stream from `startSeq`, on one server (R1,
 * in memory): what an ordered consumer is, created by us so that every step is bounded in time
 * and a lost consumer is simply replaced (the caller checks the order by stream seq). The server
 * removes it a minute after its last pull, should its owner die without removing it.
 * `name` defaults to one naming this process (`kuzu-sync-<pid>-…`).
 * @example const { consumer, remove } = await openConsumer(nc.jetstream(), jsm, "KUZU_SYNC_EVENTS", 1, 5000);
 */
export async function openConsumer(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  startSeq: number,
  timeoutMs: number,
  name = `kuzu-sync-${process.pid}-${Date.now().toString(36)}-${++serial}`,
): Promise<OpenedConsumer> {
  await within(
    jsm.consumers.add(stream, {
      name,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(1, startSeq),
      ack_policy: AckPolicy.None,
      mem_storage: true,
      num_replicas: 1,
      // Removed by the server when nobody pulls from it any more (a gateway that died).
      inactive_threshold: nanos(60_000),
    }),
    timeoutMs,
    `creating a consumer of ${stream}`,
  );
  const remove = () => jsm.consumers.delete(stream, name).then(() => {}, () => {});
  try {
    return { consumer: await within(js.consumers.get(stream, name), timeoutMs, `opening consumer ${name}`), remove };
  } catch (error) {
    void remove();
    throw error;
  }
}

/**
 * Read stream messages `(afterSeq, toSeq]`, at most `limit`, through a short-lived consumer
 * (deleted afterwards). The first message may lie past `afterSeq + 1` when older ones were
 * removed from the stream (archived).
 * @example const page = await readStream(js, jsm, "KUZU_SYNC_EVENTS", 0, 100, 1000);
 */
export async function readStream(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  afterSeq: number,
  toSeq: number,
  limit: number,
  timeoutMs = 5_000,
): Promise<StreamEvent[]> {
  const want = Math.min(limit, toSeq - afterSeq);
  if (want <= 0) return [];
  const { consumer, remove } = await openConsumer(js, jsm, stream, afterSeq + 1, timeoutMs);
  const out: StreamEvent[] = [];
  try {
    const messages = await consumer.fetch({ max_messages: want, expires: timeoutMs });
    for await (const m of messages) {
      if (m.seq > toSeq) break;
      out.push(decodeStreamEvent(m));
      if (out.length >= want || m.seq >= toSeq) break;
    }
  } finally {
    void remove();
  }
  if (out.length === 0) throw new SyncError(ErrorCode.LOG_UNAVAILABLE, `stream ${stream} returned nothing after seq ${afterSeq} within ${timeoutMs} ms`);
  return out;
}
