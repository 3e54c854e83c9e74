import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exampleRegistry, type SequencedEvent } from "@kuzu-sync/protocol";
import { Replica } from "./replica.ts";

const registry = exampleRegistry.toWire();
const open: Replica[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function fresh(path?: string): Promise<Replica> {
  const r = await Replica.open({ path: path ?? null });
  open.push(r);
  await r.install(registry);
  return r;
}

let seq = 0;
function ev(template: string, params: Record<string, unknown>, s = ++seq): SequencedEvent {
  const v = exampleRegistry.validate(template, params);
  if (!v.ok) throw new Error(v.message);
  return { id: `e${s}-${Math.random()}`, template, params: v.params, clientId: "t", timestamp: 0, seq: s, serverTimestamp: 0 };
}

describe("Replica", () => {
  test("applies a batch in order, with repeated keys, like one-at-a-time", async () => {
    const events = [
      ev("CREATE_USER", { id: "a", name: "A1" }, 1),
      ev("CREATE_USER", { id: "b", name: "B" }, 2),
      ev("CREATE_USER", { id: "a", name: "A2", email: "a@x" }, 3),
      ev("INCREMENT_COUNTER", { counterId: "c" }, 4),
      ev("INCREMENT_COUNTER", { counterId: "c", amount: 5 }, 5),
      ev("FOLLOW_USER", { followerId: "a", targetId: "b" }, 6),
      ev("UPDATE_USER", { id: "b", email: "b@x" }, 7),
      ev("CREATE_POST", { id: "p1", authorId: "a", content: "hi" }, 8),
      ev("DELETE_USER", { id: "zz" }, 9),
    ];
    const batched = await fresh();
    const outcomes = await batched.apply(events);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const single = await fresh();
    for (const e of events) await single.apply([e]);
    const snapshot = async (r: Replica) => ({
      users: await r.query("MATCH (u:User) RETURN u.id AS id, u.name AS name, u.email AS email ORDER BY id"),
      counters: await r.query("MATCH (c:Counter) RETURN c.id AS id, c.value AS value"),
      follows: await r.query("MATCH (a)-[:FOLLOWS]->(b) RETURN a.id AS a, b.id AS b"),
      posts: await r.query("MATCH (u:User)-[:AUTHORED]->(p:Post) RETURN u.id AS u, p.id AS p"),
    });
    const a = await snapshot(batched);
    expect(a).toEqual(await snapshot(single));
    expect(a.users).toEqual([
      { id: "a", name: "A2", email: "a@x" },
      { id: "b", name: "B", email: "b@x" },
    ]);
    expect(a.counters).toEqual([{ id: "c", value: 6 }]);
    expect(batched.appliedSeq).toBe(9);
  });

  test("skips already-applied seqs and refuses gaps", async () => {
    const r = await fresh();
    await r.apply([ev("CREATE_USER", { id: "a", name: "A" }, 1)]);
    expect(await r.apply([ev("CREATE_USER", { id: "a", name: "again" }, 1)])).toEqual([]);
    await expect(r.apply([ev("CREATE_USER", { id: "b", name: "B" }, 3)])).rejects.toThrow(/gap/);
    expect((await r.query("MATCH (u:User) RETURN u.name AS n"))).toEqual([{ n: "A" }]);
  });

  test("a read-only query cannot write, not even by ending the transaction first", async () => {
    const r = await fresh();
    await r.apply([ev("CREATE_USER", { id: "a", name: "A" }, 1)]);
    await expect(r.query("CREATE (:User {id: 'x', name: 'X'})", undefined, { readOnly: true })).rejects.toThrow(/read-only/);
    await expect(r.query("COMMIT; CREATE (:User {id: 'y', name: 'Y'})", undefined, { readOnly: true })).rejects.toThrow(/multiple statements/);
    await r.query("COMMIT", undefined, { readOnly: true });
    const reads = await Promise.all([1, 2, 3].map(() => r.query("MATCH (u:User) RETURN u.id AS id", undefined, { readOnly: true })));
    expect(reads).toEqual([[{ id: "a" }], [{ id: "a" }], [{ id: "a" }]]);
    // Writes through apply() still work after read-only queries, and are seen by them.
    await r.apply([ev("CREATE_USER", { id: "b", name: "B" }, 2)]);
    expect(await r.query("MATCH (u:User) RETURN u.id AS id ORDER BY id", undefined, { readOnly: true })).toEqual([{ id: "a" }, { id: "b" }]);
  });

  test("hostile strings are stored verbatim as data", async () => {
    const r = await fresh();
    const nasty = `'); MATCH (n) DETACH DELETE n; // \\" \u0000 ` + "`x`" + " $id {}";
    await r.apply([ev("CREATE_USER", { id: "a", name: nasty }, 1), ev("CREATE_USER", { id: "b", name: "B" }, 2)]);
    expect(await r.query("MATCH (u:User) RETURN u.name AS n ORDER BY u.id")).toEqual([{ n: nasty }, { n: "B" }]);
  });

  test("a persistent replica resumes from its stored seq", async () => {
    const dir = mkdtempSync(join(tmpdir(), "replica-"));
    dirs.push(dir);
    const path = join(dir, "db.kuzu");
    const r1 = await Replica.open({ path });
    await r1.install(registry);
    await r1.apply([ev("CREATE_USER", { id: "a", name: "A" }, 1), ev("CREATE_USER", { id: "b", name: "B" }, 2)]);
    await r1.close();
    const r2 = await Replica.open({ path });
    open.push(r2);
    expect(r2.appliedSeq).toBe(2);
    expect(r2.registryHash).toBe(registry.hash);
    await r2.install(registry);
    await r2.apply([ev("DELETE_USER", { id: "a" }, 3)]);
    expect(await r2.query("MATCH (u:User) RETURN u.id AS id")).toEqual([{ id: "b" }]);
    await expect(r2.install({ ...registry, hash: "other" })).rejects.toThrow(/registry/);
  });
});
