import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { defineTemplates, registryChange, registryEvent, type SequencedEvent, type TemplateRegistry } from "@kuzu-sync/protocol";
import { z } from "zod";
import { RegistryHistory } from "./registry-history.ts";

const id = z.string();
const v1 = defineTemplates({ schema: ["CREATE NODE TABLE T(id STRING, PRIMARY KEY(id))"], templates: { PUT: { params: { id }, cypher: "MERGE (:T {id: $id})" } } });
const v2 = defineTemplates({ version: 2, schema: v1.schema, migrate: [], templates: { PUT: { params: { id }, cypher: "MERGE (:T {id: $id})" }, DEL: { params: { id }, cypher: "MATCH (t:T {id: $id}) DELETE t" } } });
const v2other = defineTemplates({ version: 2, schema: v1.schema, migrate: [], templates: { DEL: { params: { id }, cypher: "MATCH (t:T {id: $id}) DELETE t" } } });

const at = (seq: number, kind: "genesis" | "upgrade" | "adopt", r: TemplateRegistry): SequencedEvent => ({ ...registryEvent(registryChange(kind, r.toWire()), 0), seq, serverTimestamp: 0 });
const put = (seq: number): SequencedEvent => ({ id: `e${seq}`, template: "PUT", params: { id: `t${seq}` }, clientId: "c", timestamp: 0, seq, serverTimestamp: 0 });

describe("RegistryHistory", () => {
  test("records the registry events that follow the latest version, in the caller's transaction, and survives a reopen", () => {
    const db = new Database(":memory:");
    const h = RegistryHistory.attach(db);
    const staged = db.transaction(() => h.stage([at(1, "genesis", v1), put(2), at(3, "upgrade", v2), at(4, "upgrade", v2other), at(5, "genesis", v1)]))();
    expect(h.entries()).toEqual([]); // not published yet
    h.publish(staged);
    expect(h.entries().map((e) => [e.version, e.seq, e.hash])).toEqual([[1, 1, v1.hash], [2, 3, v2.hash]]);
    expect(RegistryHistory.attach(db).entries().map((e) => e.seq)).toEqual([1, 3]);
    expect(RegistryHistory.read(db).map((e) => e.registry.templates.length)).toEqual([1, 2]);
  });

  test("inForceAt: the version recorded before a seq; for a log from before versions, its adopted first version", () => {
    const db = new Database(":memory:");
    const fresh = RegistryHistory.attach(db);
    fresh.publish(fresh.stage([at(1, "genesis", v1), at(10, "upgrade", v2)]));
    expect(fresh.inForceAt(1)).toBeUndefined(); // the genesis at 1 brings it
    expect(fresh.inForceAt(2)?.version).toBe(1);
    expect(fresh.inForceAt(11)?.version).toBe(2);
    const legacy = RegistryHistory.attach(new Database(":memory:"));
    legacy.publish(legacy.stage([at(31, "adopt", v1)]));
    expect(legacy.inForceAt(1)?.version).toBe(1);
  });

  test("seed takes the versions after the latest known one, in order, and nothing that does not follow", () => {
    const source = RegistryHistory.attach(new Database(":memory:"));
    source.publish(source.stage([at(1, "genesis", v1), at(3, "upgrade", v2)]));
    const db = new Database(":memory:");
    const h = RegistryHistory.attach(db);
    expect(h.seed([...source.entries()].reverse())).toBe(2);
    expect(h.seed(source.entries())).toBe(0);
    expect(RegistryHistory.read(db).map((e) => e.version)).toEqual([1, 2]);
    // Consuming the same events again later changes nothing.
    h.publish(h.stage([at(1, "genesis", v1), at(3, "upgrade", v2)]));
    expect(h.entries().map((e) => e.version)).toEqual([1, 2]);
  });
});
