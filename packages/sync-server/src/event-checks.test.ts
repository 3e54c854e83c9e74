import { describe, expect, test } from "bun:test";
import { ErrorCode, exampleRegistry, RAW_DML_TEMPLATE, type ClientEvent } from "@kuzu-sync/protocol";
import { checkEvent, type EventWriter } from "./event-checks.ts";

const event = (extra: Partial<ClientEvent> = {}): ClientEvent => ({
  id: "e1",
  template: "CREATE_USER",
  params: { id: "u1", name: "Ann" },
  clientId: "a",
  timestamp: 1,
  ...extra,
});
const writer = (extra: Partial<EventWriter> = {}): EventWriter => ({ clientId: "a", principal: null, ...extra });
const codeOf = (e: ClientEvent, w: EventWriter, raw = false) => {
  const r = checkEvent(e, w, exampleRegistry, raw);
  return r.ok ? "ok" : r.code;
};

describe("checkEvent", () => {
  test("each rule, in order", () => {
    expect(codeOf(event(), writer({ clientId: null }))).toBe(ErrorCode.NOT_READY);
    expect(codeOf(event({ clientId: "b" }), writer())).toBe(ErrorCode.FORBIDDEN);
    expect(codeOf(event({ template: RAW_DML_TEMPLATE, params: { cypher: "CREATE (:User {id: 'x'})" } }), writer())).toBe(ErrorCode.RAW_DML_DISABLED);
    const principal = { sub: "a", expiresAt: Date.now() + 60_000, templates: new Set(["CREATE_POST"]) };
    expect(codeOf(event(), writer({ principal }))).toBe(ErrorCode.FORBIDDEN);
    expect(codeOf(event({ params: { id: 1 } }), writer())).not.toBe("ok");
    expect(codeOf(event(), writer())).toBe("ok");
    expect(codeOf(event(), writer({ principal: { ...principal, templates: null } }))).toBe("ok");
  });

  test("a passing event carries its validated parameters; raw DML only its cypher", () => {
    const ok = checkEvent(event(), writer(), exampleRegistry, false);
    expect(ok).toMatchObject({ ok: true, event: { id: "e1", template: "CREATE_USER", clientId: "a" } });
    const raw = checkEvent(event({ template: RAW_DML_TEMPLATE, params: { cypher: "CREATE (:User {id: 'x'})" } }), writer(), exampleRegistry, true);
    expect(raw).toEqual({ ok: true, event: event({ template: RAW_DML_TEMPLATE, params: { cypher: "CREATE (:User {id: 'x'})" } }) });
  });
});
