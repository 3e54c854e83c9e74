import { describe, expect, test } from "bun:test";
import { z } from "zod";
import type { AggregateDefinition } from "./aggregates.ts";
import { exampleRegistry } from "./example-templates.ts";
import { parseClientMessage, parseServerMessage } from "./messages.ts";
import { defineTemplates } from "./templates.ts";

const templates = {
  INC: { params: { id: z.string(), n: z.int().default(1), note: z.string().optional() }, cypher: "MERGE (c:C {id: $id}) SET c.n = $n, c.note = $note" },
  PUT: { params: { id: z.string(), owner: z.string(), tag: z.string().optional() }, cypher: "MERGE (p:P {id: $id}) SET p.owner = $owner, p.tag = $tag" },
  DEL: { params: { id: z.string() }, cypher: "MATCH (p:P {id: $id}) DELETE p" },
};
const define = (aggregates: Record<string, AggregateDefinition>) => defineTemplates({ schema: [], templates, aggregates });

describe("registry aggregates", () => {
  test("the example registry declares counters and postsByAuthor, and sends them in the wire registry", () => {
    const wire = exampleRegistry.toWire();
    expect(wire.aggregates.map((a) => a.name)).toEqual(["counters", "postsByAuthor"]);
    expect(wire.aggregates[0]).toMatchObject({ kind: "sum", from: { INCREMENT_COUNTER: { groupBy: "counterId", value: "amount" } } });
    expect(wire.aggregates[1]).toMatchObject({ kind: "entityCount", set: { CREATE_POST: { id: "id", groupBy: "authorId" } }, remove: { DELETE_POST: { id: "id" } } });
    expect(Object.isFrozen(wire.aggregates[0])).toBe(true);
  });

  test("aggregates do not change the replica hash (adding one must not force replicas to rebuild)", () => {
    const plain = defineTemplates({ schema: [], templates });
    const withAggregates = define({ total: { kind: "sum", from: { INC: { groupBy: "id", value: "n" } } } });
    expect(withAggregates.hash).toBe(plain.hash);
    expect(plain.toWire().aggregates).toEqual([]);
  });

  test("a welcome carrying aggregates parses on the client side, and one without them gets []", () => {
    const registry = exampleRegistry.toWire();
    const welcome = { type: "welcome", serverId: "s", headSeq: 0, horizonSeq: 1, registry, maxMessageBytes: 1024 };
    const parsed = parseServerMessage(JSON.stringify(welcome));
    expect(parsed.ok && parsed.message.type === "welcome" && parsed.message.registry.aggregates).toEqual([...registry.aggregates]);
    const { aggregates: _omit, ...older } = registry;
    const parsedOlder = parseServerMessage(JSON.stringify({ ...welcome, registry: older }));
    expect(parsedOlder.ok && parsedOlder.message.type === "welcome" && parsedOlder.message.registry.aggregates).toEqual([]);
  });

  test.each([
    [{ "bad name": { kind: "sum", from: { INC: { groupBy: "id", value: "n" } } } }, /aggregate name "bad name"/],
    [{ a: { kind: "sum", from: {} } }, /'from' names no template/],
    [{ a: { kind: "sum", from: { NOPE: { groupBy: "id", value: 1 } } } }, /template NOPE is not in the registry/],
    [{ a: { kind: "sum", from: { INC: { groupBy: "missing", value: 1 } } } }, /INC has no parameter missing \(groupBy\)/],
    [{ a: { kind: "sum", from: { INC: { groupBy: "id", value: "note" } } } }, /INC.note \(value\) must be a number parameter/],
    [{ a: { kind: "sum", from: { INC: { groupBy: "note", value: 1 } } } }, /INC.note \(groupBy\) must be a required parameter/],
    [{ a: { kind: "sum", from: { INC: { groupBy: "id", value: Number.NaN } } } }, /value must be a parameter name or a finite number/],
    [{ a: { kind: "entityCount", set: {}, remove: {} } }, /'set' names no template/],
    [{ a: { kind: "entityCount", set: { PUT: { id: "id", groupBy: "tag" } }, remove: {} } }, /PUT.tag \(groupBy\) must be a required parameter/],
    [{ a: { kind: "entityCount", set: { PUT: { id: "id", groupBy: "owner" } }, remove: { PUT: { id: "id" } } } }, /PUT cannot both set and remove/],
    [{ a: { kind: "entityCount", set: { PUT: { id: "id", groupBy: "owner" } }, remove: { DEL: { id: "nope" } } } }, /DEL has no parameter nope \(id\)/],
    [{ a: { kind: "max", from: {} } }, /unknown kind "max"/],
  ])("a malformed declaration stops defineTemplates: %j", (aggregates, message) => {
    expect(() => define(aggregates as unknown as Record<string, AggregateDefinition>)).toThrow(message);
  });

  test("the aggregate request is a client message with its own parse rules", () => {
    expect(parseClientMessage(JSON.stringify({ type: "aggregate", id: "r1", name: "counters", key: "c1" }))).toMatchObject({
      ok: true,
      message: { type: "aggregate", id: "r1", name: "counters", key: "c1" },
    });
    expect(parseClientMessage(JSON.stringify({ type: "aggregate", id: "r2", name: "counters" }))).toMatchObject({ ok: true });
    const bad = parseClientMessage(JSON.stringify({ type: "aggregate", id: "r3", name: "../etc", extra: 1 }));
    expect(bad).toMatchObject({ ok: false, code: "BAD_MESSAGE", id: "r3" });
  });

  test("the aggregate answer parses on the client side", () => {
    const one = { type: "aggregate" as const, id: "r1", name: "counters", key: "c1", seq: 10, fromSeq: 1, value: 42 };
    expect(parseServerMessage(JSON.stringify(one))).toEqual({ ok: true, message: one });
    const none = { ...one, value: null };
    expect(parseServerMessage(JSON.stringify(none))).toEqual({ ok: true, message: none });
    const all = { type: "aggregate" as const, id: "r2", name: "counters", seq: 10, fromSeq: 1, values: { c1: 42, c2: -1 } };
    expect(parseServerMessage(JSON.stringify(all))).toEqual({ ok: true, message: all });
  });
});
