/**
 * A quick yes for the events a client writes in bulk: {@link checkClientEvent} encodes the event
 * and runs the gateway's whole parse boundary on it (JSON, the shape walk, zod), about a quarter
 * of a writing client's CPU. Most events are plainly valid; this says so without any of that, and
 * says nothing (false: ask the full check) about anything else.
 * @module
 */
import { Limits, type ClientEvent, type SequencedEvent } from "./event.ts";
import type { AckMessage, EventsMessage } from "./messages.ts";
import { isWellFormed } from "./frame-shape.ts";

/** Printable ASCII, no space: well-formed, one code unit per character, within the id limit. */
const PLAIN_ID = new RegExp(`^[\\x21-\\x7e]{1,${Limits.maxIdLength}}$`);
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const EVENT_KEYS = new Set(["id", "template", "params", "clientId", "timestamp", "traceparent"]);
/** Nesting allowed inside params here; deeper params go to the full check (its limit is 32 for the whole frame). */
const MAX_PLAIN_DEPTH = 16;

/**
 * True only when the gateway's parse boundary certainly accepts `event` as it is (the full check
 * would say ok); false means "not sure": run the full check. Plain means: exactly the event's
 * keys, ids of printable ASCII within the limit, a safe non-negative integer timestamp, a
 * well-formed traceparent if any, and params of plain objects and arrays (no `__proto__` key, no
 * `toJSON`), finite numbers, booleans, null and well-formed strings, nested at most 16 deep.
 * @example isPlainClientEvent({ id: "e1", template: "CREATE_USER", params: { id: "u1" }, clientId: "c1", timestamp: 0 }) // true
 */
export function isPlainClientEvent(event: ClientEvent): boolean {
  if (Object.getPrototypeOf(event) !== Object.prototype) return false;
  for (const key of Object.keys(event)) if (!EVENT_KEYS.has(key)) return false;
  const { id, template, params, clientId, timestamp, traceparent } = event as Record<keyof ClientEvent, unknown>;
  if (typeof id !== "string" || typeof template !== "string" || typeof clientId !== "string") return false;
  if (!PLAIN_ID.test(id) || !PLAIN_ID.test(template) || !PLAIN_ID.test(clientId)) return false;
  if (typeof timestamp !== "number" || !Number.isSafeInteger(timestamp) || timestamp < 0) return false;
  if (traceparent !== undefined && (typeof traceparent !== "string" || !TRACEPARENT.test(traceparent))) return false;
  return isPlainObject(params) && plainValue(params, 0);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype && !("toJSON" in v);
}

function plainValue(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case "string":
      return isWellFormed(v);
    case "number":
      return Number.isFinite(v);
    case "boolean":
      return true;
    case "object":
      break;
    default:
      return false; // undefined, bigint, function, symbol: the full check decides
  }
  if (v === null) return true;
  if (depth >= MAX_PLAIN_DEPTH) return false;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype || "toJSON" in v) return false;
    for (let i = 0; i < v.length; i++) if (!plainValue(v[i], depth + 1)) return false;
    return true;
  }
  if (!isPlainObject(v)) return false;
  for (const key of Object.keys(v)) {
    if (key === "__proto__" || !isWellFormed(key)) return false;
    if (!plainValue(v[key], depth + 1)) return false;
  }
  return true;
}

const SEQUENCED_KEYS = new Set(["id", "template", "params", "clientId", "timestamp", "traceparent", "seq", "serverTimestamp", "duplicateOf"]);
const idOk = (v: unknown): v is string => typeof v === "string" && v.length >= 1 && v.length <= Limits.maxIdLength;
const natOk = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const posOk = (v: unknown): v is number => natOk(v) && v > 0;

/**
 * The decoded server frames a client reads by the thousand — `ack`, and `events` whose events are
 * all plain — as `ServerMessageSchema` would return them (same fields, same order); undefined when
 * the schema must decide (then it does, and says why). plain-event.test.ts checks that on
 * generated frames.
 * @example const fast = plainServerMessage(JSON.parse(frame)) ?? ServerMessageSchema.parse(JSON.parse(frame));
 */
export function plainServerMessage(value: unknown): AckMessage | EventsMessage | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (v["type"] === "ack") {
    const { id, seq, duplicate } = v;
    if (typeof id !== "string" || !posOk(seq) || typeof duplicate !== "boolean") return undefined;
    return { type: "ack", id, seq, duplicate };
  }
  if (v["type"] !== "events" || !Array.isArray(v["events"])) return undefined;
  const events: SequencedEvent[] = [];
  for (const e of v["events"] as unknown[]) {
    const plain = plainSequencedEvent(e);
    if (plain === undefined) return undefined;
    events.push(plain);
  }
  return { type: "events", events };
}

function plainSequencedEvent(value: unknown): SequencedEvent | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  for (const key of Object.keys(value)) if (!SEQUENCED_KEYS.has(key)) return undefined;
  const { id, template, params, clientId, timestamp, traceparent, seq, serverTimestamp, duplicateOf } = value as Record<string, unknown>;
  if (!idOk(id) || !idOk(template) || !idOk(clientId) || !natOk(timestamp) || !posOk(seq) || !natOk(serverTimestamp)) return undefined;
  if (typeof params !== "object" || params === null || Array.isArray(params) || Object.getPrototypeOf(params) !== Object.prototype || Object.hasOwn(params, "__proto__")) return undefined;
  if (traceparent !== undefined && (typeof traceparent !== "string" || !TRACEPARENT.test(traceparent))) return undefined;
  if (duplicateOf !== undefined && !posOk(duplicateOf)) return undefined;
  return {
    id,
    template,
    params: { ...(params as Record<string, unknown>) },
    clientId,
    timestamp,
    ...(traceparent === undefined ? {} : { traceparent }),
    seq,
    serverTimestamp,
    ...(duplicateOf === undefined ? {} : { duplicateOf }),
  };
}
