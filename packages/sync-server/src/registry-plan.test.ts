import { describe, expect, test } from "bun:test";
import { defineTemplates, type WireRegistry } from "@kuzu-sync/protocol";
import { z } from "zod";
import type { RegistryVersionEntry } from "@kuzu-sync/log";
import { planRegistry } from "./registry-plan.ts";

const task = { params: { id: z.string(), title: z.string() }, cypher: "MERGE (t:Task {id: $id}) SET t.title = $title" };
const v1 = defineTemplates({ schema: ["CREATE NODE TABLE Task(id STRING, title STRING, PRIMARY KEY(id))"], templates: { ADD_TASK: task } }).toWire();
const v1other = defineTemplates({ schema: ["CREATE NODE TABLE Task(id STRING, title STRING, PRIMARY KEY(id))"], templates: { ADD_TASK: task, DONE: { params: { id: z.string() }, cypher: "MATCH (t:Task {id: $id}) DELETE t" } } }).toWire();
const v2 = defineTemplates({ version: 2, schema: v1.schema, migrate: [], templates: { ADD_TASK: task, DONE: { params: { id: z.string() }, cypher: "MATCH (t:Task {id: $id}) DELETE t" } } }).toWire();
const v3 = defineTemplates({ version: 3, schema: v1.schema, migrate: [], templates: { ADD_TASK: task } }).toWire();

const entry = (registry: WireRegistry, seq: number): RegistryVersionEntry => ({ version: registry.version, seq, hash: registry.hash, kind: seq === 1 ? "genesis" : "upgrade", registry });
const plan = (file: WireRegistry, history: RegistryVersionEntry[], headSeq: number, shared = false, replicaHash: string | null = null) =>
  planRegistry({ file, history, headSeq, shared, replicaHash });

describe("planRegistry", () => {
  test("a new log gets a genesis event with the whole schema", () => {
    const p = plan(v1, [], 0);
    expect(p.action).toBe("append");
    if (p.action === "append") expect(p.change).toMatchObject({ kind: "genesis", version: 1, steps: v1.schema });
  });

  test("a log from before versions is adopted when the server replica agrees, refused when it does not", () => {
    expect(plan(v1, [], 10, false, v1.hash)).toMatchObject({ action: "append", change: { kind: "adopt", steps: [] } });
    expect(plan(v1, [], 10, false, null)).toMatchObject({ action: "append", change: { kind: "adopt" } });
    const other = plan(v1other, [], 10, false, v1.hash);
    expect(other.action).toBe("refuse");
    if (other.action === "refuse") expect(other.reason).toContain("Start once with the registry the log was built with");
    expect(plan(v2, [], 10).action).toBe("refuse");
  });

  test("same version: nothing when the hash matches, refused naming both hashes and the changes when not", () => {
    expect(plan(v1, [entry(v1, 1)], 50)).toMatchObject({ action: "none", since: 1 });
    const p = plan(v1other, [entry(v1, 1)], 50);
    expect(p.action).toBe("refuse");
    if (p.action === "refuse") {
      expect(p.reason).toContain(v1.hash.slice(0, 12));
      expect(p.reason).toContain(v1other.hash.slice(0, 12));
      expect(p.reason).toContain("templates added: DONE");
      expect(p.reason).toContain("set `version: 2`");
    }
  });

  test("the next version is an upgrade with the template changes; a gap or an older file is refused", () => {
    const up = plan(v2, [entry(v1, 1)], 50);
    expect(up).toMatchObject({ action: "append", change: { kind: "upgrade", version: 2, steps: [] }, templates: { added: ["DONE"], changed: [], removed: [] } });
    const gap = plan(v3, [entry(v1, 1)], 50);
    expect(gap.action).toBe("refuse");
    if (gap.action === "refuse") expect(gap.reason).toContain("Start with version 2 first");
    const older = plan(v1, [entry(v1, 1), entry(v2, 40)], 50);
    expect(older.action).toBe("refuse");
    if (older.action === "refuse") expect(older.reason).toContain("never goes back");
  });

  test("with a shared (JetStream) log an older file adopts the log's version", () => {
    expect(plan(v1, [entry(v1, 1), entry(v2, 40)], 50, true)).toMatchObject({ action: "adopt", current: { version: 2 }, since: 40, fileVersion: 1 });
  });

  test("removing a template is a change like any other", () => {
    expect(plan(v3, [entry(v1, 1), entry(v2, 40)], 50)).toMatchObject({ action: "append", templates: { removed: ["DONE"] } });
  });
});
