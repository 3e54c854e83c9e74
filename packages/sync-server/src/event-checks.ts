/**
 * What an event must pass before it is handed to the log, beyond being a well-formed frame: the
 * connection said hello, the event is written as the connection's client, the token may write
 * its template, raw DML is allowed, and the parameters fit the template (or the raw Cypher passes
 * the raw-DML check). The first failure is the answer.
 * @module
 */
import { ErrorCode, RAW_DML_TEMPLATE, checkRawDmlParams, type ClientEvent, type TemplateRegistry } from "@kuzu-sync/protocol";
import type { Principal } from "./auth.ts";

/** What the connection is, as far as the checks care. */
export interface EventWriter {
  /** From its hello; null before it. */
  readonly clientId: string | null;
  /** From its token; null when authentication is off. */
  readonly principal: Principal | null;
}

export type EventCheck = { readonly ok: true; readonly event: ClientEvent } | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/**
 * Check `event` from `writer`; on success the event carries the parameters as validated (raw DML:
 * `{ cypher }` only).
 * @example
 * const checked = checkEvent(event, ws.data, registry, false);
 * if (!checked.ok) return reject(event.id, checked.code, checked.message);
 */
export function checkEvent(event: ClientEvent, writer: EventWriter, registry: TemplateRegistry, allowRawDml: boolean): EventCheck {
  const refuse = (code: ErrorCode, message: string): EventCheck => ({ ok: false, code, message });
  if (writer.clientId === null) return refuse(ErrorCode.NOT_READY, "send hello before events");
  if (event.clientId !== writer.clientId) {
    return refuse(ErrorCode.FORBIDDEN, `event clientId ${JSON.stringify(event.clientId)} differs from this connection's ${JSON.stringify(writer.clientId)}`);
  }
  const raw = event.template === RAW_DML_TEMPLATE;
  if (raw && !allowRawDml) {
    return refuse(ErrorCode.RAW_DML_DISABLED, "raw DML is disabled on this server; use a registered template (or start the server with --allow-raw-dml)");
  }
  const allowed = writer.principal?.templates;
  if (allowed && !allowed.has(event.template)) {
    return refuse(ErrorCode.FORBIDDEN, `this token may not write ${event.template}; it may write: ${[...allowed].join(", ") || "nothing"}`);
  }
  const valid = raw ? checkRawDmlParams(event.params) : registry.validate(event.template, event.params);
  if (!valid.ok) return refuse(valid.code, valid.message);
  return { ok: true, event: { ...event, params: "params" in valid ? valid.params : { cypher: valid.cypher } } };
}
