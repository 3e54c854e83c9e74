import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { SequencedEvent } from "@kuzu-sync/protocol";
import { planApply, type PlanTemplate } from "./apply-plan.ts";
import { entityAccesses, type Access } from "./footprint.ts";

interface T extends PlanTemplate {
  readonly name: string;
}

const p = (param: string) => ({ param });
const create: T = { name: "CREATE", accesses: [{ write: true, table: "USER", key: [p("id")] }], batchKeys: ["id"] };
const follow: T = {
  name: "FOLLOW",
  accesses: [
    { write: false, table: "USER", key: [p("a")] },
    { write: false, table: "USER", key: [p("b")] },
    { write: true, table: "FOLLOWS", key: ["USER", p("a"), "USER", p("b")] },
  ],
  batchKeys: ["a", "b"],
};
const renameAll: T = { name: "RENAME_ALL", accesses: [{ write: true, table: "USER", key: null }], batchKeys: null };
const opaque: T = { name: "OPAQUE", accesses: null, batchKeys: ["id"] };
const templates = new Map([create, follow, renameAll, opaque].map((t) => [t.name, t]));

let seq = 0;
const ev = (template: string, params: Record<string, unknown> = {}, extra: Partial<SequencedEvent> = {}): SequencedEvent => ({
  id: `e${++seq}`, template, params, clientId: "c", timestamp: 0, seq, serverTimestamp: 0, ...extra,
});
const plan = (events: SequencedEvent[], maxRows = 100) =>
  planApply(events, (e) => templates.get(e.template) ?? null, maxRows).map((s) => `${s.template?.name ?? "ALONE"}:${s.events.map((e) => e.seq).join(",")}`);

describe("planApply", () => {
  test("independent events of interleaved templates: one group per template, in order of first appearance", () => {
    seq = 0;
    const events = [ev("CREATE", { id: "a" }), ev("FOLLOW", { a: "x", b: "y" }), ev("CREATE", { id: "b" }), ev("FOLLOW", { a: "x", b: "z" })];
    expect(plan(events)).toEqual(["CREATE:1,3", "FOLLOW:2,4"]);
  });

  test("an event goes after what it conflicts with: read after write, write after read, repeated writes", () => {
    seq = 0;
    const events = [
      ev("FOLLOW", { a: "u1", b: "u2" }), // 1: reads u1, u2
      ev("CREATE", { id: "u1" }), //          2: writes u1: after 1
      ev("FOLLOW", { a: "u1", b: "u3" }), // 3: reads u1: after 2
      ev("CREATE", { id: "u9" }), //          4: free
      ev("CREATE", { id: "u1" }), //          5: writes u1 again: after 3
      ev("FOLLOW", { a: "u4", b: "u5" }), // 6: free
    ];
    expect(plan(events)).toEqual(["FOLLOW:1,6", "CREATE:4", "CREATE:2", "FOLLOW:3", "CREATE:5"]);
  });

  test("a whole-table write conflicts with every key of the table", () => {
    seq = 0;
    const events = [ev("CREATE", { id: "a" }), ev("FOLLOW", { a: "b", b: "c" }), ev("RENAME_ALL"), ev("CREATE", { id: "d" }), ev("FOLLOW", { a: "e", b: "f" })];
    expect(plan(events)).toEqual(["CREATE:1", "FOLLOW:2", "RENAME_ALL:3", "CREATE:4", "FOLLOW:5"]);
  });

  test("unknown footprints, raw DML and unknown templates are barriers, each event alone", () => {
    seq = 0;
    const events = [
      ev("CREATE", { id: "a" }),
      ev("OPAQUE", { id: "1" }),
      ev("OPAQUE", { id: "2" }),
      ev("CREATE", { id: "b" }),
      ev("RAW_DML", { cypher: "x" }),
      ev("RAW_DML", { cypher: "y" }),
      ev("NOPE", {}),
      ev("CREATE", { id: "c" }),
      ev("CREATE", { id: "d" }),
    ];
    expect(plan(events)).toEqual(["CREATE:1", "OPAQUE:2", "OPAQUE:3", "CREATE:4", "ALONE:5", "ALONE:6", "ALONE:7", "CREATE:8,9"]);
  });

  test("duplicateOf slots are left out; a repeated batch key moves to a later layer; long groups are cut", () => {
    seq = 0;
    const events = [ev("CREATE", { id: "a" }), ev("CREATE", { id: "a" }, { duplicateOf: 1 }), ev("FOLLOW", { a: "x", b: "y" }), ev("FOLLOW", { a: "x", b: "y" })];
    expect(plan(events)).toEqual(["CREATE:1", "FOLLOW:3", "FOLLOW:4"]);
    seq = 0;
    expect(plan(Array.from({ length: 5 }, (_, i) => ev("CREATE", { id: `u${i}` })), 2)).toEqual(["CREATE:1,2", "CREATE:3,4", "CREATE:5"]);
  });

  test("property: every pair of conflicting events stays in seq order, and each step holds one template", () => {
    const pool: T[] = [
      create,
      follow,
      renameAll,
      opaque,
      { name: "READ_ALL", accesses: [{ write: false, table: "USER", key: null }, { write: true, table: "LOG", key: [p("id")] }], batchKeys: null },
    ];
    const byName = new Map(pool.map((t) => [t.name, t]));
    const keys = fc.constantFrom("k1", "k2", "k3", "k4");
    const event = fc.record({ template: fc.constantFrom(...pool.map((t) => t.name), "RAW_DML"), id: keys, a: keys, b: keys, dup: fc.boolean() });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (raw, maxRows) => {
        const events = raw.map((r, i): SequencedEvent => ({
          id: `e${i}`, template: r.template, params: { id: r.id, a: r.a, b: r.b }, clientId: "c", timestamp: 0, seq: i + 1, serverTimestamp: 0,
          ...(r.dup && i > 0 ? { duplicateOf: 1 } : {}),
        }));
        const steps = planApply(events, (e) => byName.get(e.template) ?? null, maxRows);
        const position = new Map<number, number>();
        steps.forEach((s, i) => {
          expect(s.events.length).toBeGreaterThan(0);
          expect(s.events.length).toBeLessThanOrEqual(maxRows);
          expect(new Set(s.events.map((e) => e.template)).size).toBe(1);
          if (s.template === null || s.template.accesses === null) expect(s.events).toHaveLength(1);
          for (const e of s.events) position.set(e.seq, i);
        });
        const planned = events.filter((e) => e.duplicateOf === undefined);
        expect([...position.keys()].sort((x, y) => x - y)).toEqual(planned.map((e) => e.seq));
        const touches = (e: SequencedEvent): Access[] | null => byName.get(e.template)?.accesses?.slice() ?? null;
        for (let i = 0; i < planned.length; i++) {
          for (let j = i + 1; j < planned.length; j++) {
            const [x, y] = [planned[i]!, planned[j]!];
            const [ax, ay] = [touches(x), touches(y)];
            const conflict =
              ax === null || ay === null ||
              entityAccesses(ax, x.params).some((a) =>
                entityAccesses(ay, y.params).some((b) => a.table === b.table && (a.write || b.write) && (a.key === null || b.key === null || a.key === b.key)),
              );
            if (conflict) expect(position.get(x.seq)!).toBeLessThan(position.get(y.seq)!);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
