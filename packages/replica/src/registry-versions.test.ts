import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineTemplates, registryChange, registryEvent, type RegistryChangeKind, type SequencedEvent, type TemplateRegistry } from "@kuzu-sync/protocol";
import { z } from "zod";
import * as k from "./kuzu.ts";
import { Replica } from "./replica.ts";

// A task tracker through three versions: v2 adds a column with a default and a template, v3
// changes a template's Cypher and removes one.
const id = z.string().min(1);
const v1 = defineTemplates({
  schema: ["CREATE NODE TABLE Task(id STRING, title STRING, PRIMARY KEY(id))"],
  templates: {
    ADD_TASK: { params: { id, title: z.string() }, cypher: "MERGE (t:Task {id: $id}) SET t.title = $title" },
    DELETE_TASK: { params: { id }, cypher: "MATCH (t:Task {id: $id}) DELETE t" },
  },
});
const v2 = defineTemplates({
  version: 2,
  schema: ["CREATE NODE TABLE Task(id STRING, title STRING, priority INT64 DEFAULT 0, PRIMARY KEY(id))"],
  migrate: ["ALTER TABLE Task ADD priority INT64 DEFAULT 0"],
  templates: {
    ADD_TASK: { params: { id, title: z.string() }, cypher: "MERGE (t:Task {id: $id}) SET t.title = $title" },
    DELETE_TASK: { params: { id }, cypher: "MATCH (t:Task {id: $id}) DELETE t" },
    SET_PRIORITY: { params: { id, priority: z.int() }, cypher: "MATCH (t:Task {id: $id}) SET t.priority = $priority" },
  },
});
const v3 = defineTemplates({
  version: 3,
  schema: v2.schema,
  migrate: ["MATCH (t:Task) WHERE t.priority > 5 SET t.priority = 5"],
  templates: {
    // Titles are upper-cased from version 3 on; DELETE_TASK is gone.
    ADD_TASK: { params: { id, title: z.string() }, cypher: "MERGE (t:Task {id: $id}) SET t.title = upper($title)" },
    SET_PRIORITY: { params: { id, priority: z.int() }, cypher: "MATCH (t:Task {id: $id}) SET t.priority = $priority" },
  },
});

let seq = 0;
const history: SequencedEvent[] = [];
function push(template: string, params: Record<string, unknown>, registry: TemplateRegistry): void {
  const v = registry.validate(template, params);
  if (!v.ok) throw new Error(v.message);
  seq++;
  history.push({ id: `e${seq}`, template, params: v.params, clientId: "t", timestamp: 0, seq, serverTimestamp: 0 });
}
function pushRegistry(kind: RegistryChangeKind, registry: TemplateRegistry): void {
  seq++;
  history.push({ ...registryEvent(registryChange(kind, registry.toWire()), 0), seq, serverTimestamp: 0 });
}

pushRegistry("genesis", v1);
for (let i = 0; i < 50; i++) push("ADD_TASK", { id: `t${i}`, title: `task ${i}` }, v1);
for (let i = 0; i < 50; i += 2) push("DELETE_TASK", { id: `t${i}` }, v1);
const v2At = seq + 1;
pushRegistry("upgrade", v2);
for (let i = 1; i < 50; i += 4) push("SET_PRIORITY", { id: `t${i}`, priority: i }, v2);
push("ADD_TASK", { id: "late", title: "late one" }, v2);
const v3At = seq + 1;
pushRegistry("upgrade", v3);
push("ADD_TASK", { id: "newest", title: "newest" }, v3);

const open: Replica[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "kuzu-sync-versions-"));
  dirs.push(d);
  return d;
};
async function replica(path: string | null = null): Promise<Replica> {
  const r = await Replica.open({ path });
  open.push(r);
  return r;
}
const tasks = (r: Replica) => r.query("MATCH (t:Task) RETURN t.id AS id, t.title AS title, t.priority AS priority ORDER BY id");

describe("registry events", () => {
  test("a replica built from seq 1 passes through every version; deleted tasks stay deleted", async () => {
    const r = await replica();
    const outcomes = await r.apply(history);
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(r.registryVersion).toBe(3);
    expect(r.registryHash).toBe(v3.hash);
    const rows = await tasks(r);
    // 25 of 50 deleted with version 1's DELETE_TASK (removed in version 3): they stay deleted.
    expect(rows.length).toBe(27);
    expect(rows.find((t) => t["id"] === "t0")).toBeUndefined();
    // Events before version 3 ran with their version's ADD_TASK; the one after with upper().
    expect(rows.find((t) => t["id"] === "late")).toEqual({ id: "late", title: "late one", priority: 0 });
    expect(rows.find((t) => t["id"] === "newest")).toEqual({ id: "newest", title: "NEWEST", priority: 0 });
    // Version 3's migrate capped priorities at 5.
    expect(rows.find((t) => t["id"] === "t9")?.["priority"]).toBe(5);
    expect(rows.find((t) => t["id"] === "t1")?.["priority"]).toBe(1);
  });

  test("a persistent replica upgraded in place, step by step and across restarts, equals one rebuilt from seq 1", async () => {
    const dir = tmp();
    const path = join(dir, "r.kuzu");
    let r = await replica(path);
    await r.apply(history.slice(0, v2At - 1));
    expect(r.registryVersion).toBe(1);
    await r.close();
    r = await replica(path);
    expect(r.registryVersion).toBe(1);
    expect(r.registry?.hash).toBe(v1.hash);
    await r.apply(history.slice(v2At - 1, v3At + 1));
    await r.close();
    r = await replica(path);
    expect(r.registryVersion).toBe(3);
    await r.apply(history);
    const rebuilt = await replica();
    await rebuilt.apply(history);
    expect(await tasks(r)).toEqual(await tasks(rebuilt));
    expect(r.appliedSeq).toBe(rebuilt.appliedSeq);
  });

  test("a snapshot carries the version and its templates", async () => {
    const src = await replica();
    await src.apply(history.slice(0, v3At - 1));
    const snap = join(tmp(), "snap");
    expect(await src.exportSnapshot(snap)).toMatchObject({ registryVersion: 2, registryHash: v2.hash });
    const copy = await Replica.importSnapshot(snap);
    open.push(copy);
    expect(copy.registryVersion).toBe(2);
    await copy.apply(history);
    const rebuilt = await replica();
    await rebuilt.apply(history);
    expect(await tasks(copy)).toEqual(await tasks(rebuilt));
  });

  test("a registry event that does not follow the replica's version fails identically and changes nothing", async () => {
    const r = await replica();
    await r.apply(history.slice(0, v2At - 1));
    const titles = () => r.query("MATCH (t:Task) RETURN t.id AS id, t.title AS title ORDER BY id");
    const before = await titles();
    const stray = { ...registryEvent(registryChange("upgrade", v3.toWire()), 0), seq: v2At, serverTimestamp: 0 };
    const [o] = await r.apply([stray]);
    expect(o).toMatchObject({ seq: v2At, ok: false });
    expect(o?.error).toContain("does not follow version 1");
    expect(r.registryVersion).toBe(1);
    expect(await titles()).toEqual(before);
    // A malformed one too, and a duplicate slot of a real one is a no-op.
    const forged = { ...stray, seq: v2At + 1, params: { ...stray.params, hash: v1.hash } };
    expect((await r.apply([forged]))[0]).toMatchObject({ ok: false });
    expect(r.appliedSeq).toBe(v2At + 1);
  });

  test("a replica from before registry versions (old meta table) opens, learns its version and upgrades", async () => {
    const dir = tmp();
    const path = join(dir, "legacy.kuzu");
    {
      // The replica format of the previous release: meta (k, seq, hash) only, no version, no registry.
      const db = k.openDatabase(path);
      const conn = k.openConnection(db);
      for (const ddl of v1.schema) await k.run(conn, ddl);
      await k.run(conn, "CREATE NODE TABLE KuzuSyncMeta(k STRING, seq INT64, hash STRING, PRIMARY KEY(k))");
      await k.run(conn, "CREATE (:KuzuSyncMeta {k: 'state', seq: 0, hash: $h})", { h: v1.hash });
      await conn.close();
      await db.close();
    }
    const r = await replica(path);
    expect(r.registryHash).toBe(v1.hash);
    expect(r.registryVersion).toBeNull();
    await r.install(v1.toWire()); // what a client does with the base the gateway sends
    expect(r.registryVersion).toBe(1);
    const legacyHistory = history.filter((e) => e.seq > 1).map((e, i) => ({ ...e, seq: i + 1 }));
    const adopt = { ...registryEvent(registryChange("adopt", v1.toWire()), 0), seq: 1, serverTimestamp: 0 };
    // The adopt event records version 1 on a replica that runs it (skip: already known).
    expect((await r.apply([adopt]))[0]).toMatchObject({ ok: true });
    const shifted = legacyHistory.slice(1).map((e, i) => ({ ...e, seq: i + 2 }));
    await r.apply(shifted);
    expect(r.registryVersion).toBe(3);
  });
});
