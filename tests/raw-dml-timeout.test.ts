/**
 * The replica's backstop for raw DML work no static bound sees (issue 14, finding 4), on a real
 * Kuzu: the statement runs under Kuzu's query timeout, and hitting it stops the replica before
 * the event (APPLY_TIMEOUT) instead of recording a failure that another machine would not have.
 */
import { afterEach, expect, test } from "bun:test";
import { INTERNAL_TABLE, RAW_DML_TEMPLATE, SyncError, exampleRegistry, type SequencedEvent } from "@kuzu-sync/protocol";
import { META_TABLE, Replica } from "@kuzu-sync/replica";

const open: Replica[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});

async function replica(rawDmlTimeoutMs: number): Promise<Replica> {
  const r = await Replica.open({ path: null, rawDmlTimeoutMs });
  open.push(r);
  await r.install(exampleRegistry.toWire());
  return r;
}

const event = (seq: number, template: string, params: Record<string, unknown>): SequencedEvent => ({
  id: `e${seq}`,
  template,
  params: template === RAW_DML_TEMPLATE ? params : (exampleRegistry.validate(template, params) as { params: Record<string, unknown> }).params,
  clientId: "t",
  timestamp: 0,
  seq,
  serverTimestamp: 0,
});

/** Within every static bound (three 40 000-element lists), but 6.4e13 rows: only a timeout stops it. */
const HEAVY = "UNWIND range(1, 40000) AS i UNWIND range(1, 40000) AS j UNWIND range(1, 40000) AS k WITH i, j, k WHERE i + j + k = -1 CREATE (:User {id: 'never', name: 'x'})";

test("a raw DML statement past the timeout throws APPLY_TIMEOUT; the replica applied everything before it and nothing after it", async () => {
  const r = await replica(300);
  const events = [
    event(1, "CREATE_USER", { id: "u1", name: "Ann" }),
    event(2, RAW_DML_TEMPLATE, { cypher: "MATCH (u:User {id: 'u1'}) SET u.email = 'before'" }),
    event(3, RAW_DML_TEMPLATE, { cypher: HEAVY }),
    event(4, "CREATE_USER", { id: "u2", name: "Bob" }),
  ];
  // In one batch (the whole transaction is rolled back, then redone one event at a time)…
  const error = await r.apply(events).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SyncError);
  expect(error).toMatchObject({ code: "APPLY_TIMEOUT", eventId: "e3", message: expect.stringContaining("300 ms query timeout") });
  expect(r.appliedSeq).toBe(2);
  // …and alone: it never moves past it.
  await expect(r.apply(events.slice(2))).rejects.toMatchObject({ code: "APPLY_TIMEOUT" });
  expect(r.appliedSeq).toBe(2);
  expect(await r.query("MATCH (u:User) RETURN u.id AS id, u.email AS email ORDER BY id")).toEqual([{ id: "u1", email: "before" }]);
});

test("the budget is per replica (RawDmlLimits.timeoutMs by default): a bulk write that fits it runs to the end", async () => {
  const other = await replica(60_000);
  const outcomes = await other.apply([
    event(1, RAW_DML_TEMPLATE, { cypher: "UNWIND range(1, 20000) AS i CREATE (:User {id: CAST(i AS STRING), name: 'n'})" }),
    event(2, "CREATE_USER", { id: "last", name: "L" }),
  ]);
  expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
  expect(await other.query("MATCH (u:User) RETURN count(*) AS n")).toEqual([{ n: 20001 }]);
});

test("the raw DML checker and the replica name the same internal table", () => {
  expect(INTERNAL_TABLE).toBe(META_TABLE);
});
