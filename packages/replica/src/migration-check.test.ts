import { describe, expect, test } from "bun:test";
import { defineTemplates } from "@kuzu-sync/protocol";
import { z } from "zod";
import { checkMigration, checkRegistrySchema } from "./migration-check.ts";

const v1 = defineTemplates({
  schema: ["CREATE NODE TABLE Task(id STRING, title STRING, PRIMARY KEY(id))"],
  templates: { ADD_TASK: { params: { id: z.string(), title: z.string() }, cypher: "MERGE (t:Task {id: $id}) SET t.title = $title" } },
});

const v2 = (migrate: string[], schema = ["CREATE NODE TABLE Task(id STRING, title STRING, priority INT64 DEFAULT 0, PRIMARY KEY(id))", "CREATE NODE TABLE Project(id STRING, PRIMARY KEY(id))"]) =>
  defineTemplates({
    version: 2,
    schema,
    migrate,
    templates: {
      ADD_TASK: { params: { id: z.string(), title: z.string() }, cypher: "MERGE (t:Task {id: $id}) SET t.title = $title" },
      SET_PRIORITY: { params: { id: z.string(), priority: z.int() }, cypher: "MATCH (t:Task {id: $id}) SET t.priority = $priority" },
    },
  });

describe("checkMigration", () => {
  test("steps that give the declared schema pass", async () => {
    const p = await checkMigration(v1.toWire(), v2(["ALTER TABLE Task ADD priority INT64 DEFAULT 0", "CREATE NODE TABLE Project(id STRING, PRIMARY KEY(id))"]).toWire());
    expect(p).toEqual({ ok: true, steps: [], schema: [], templates: [] });
  });

  test("a missing column and a missing table are named, with the step that adds them", async () => {
    const p = await checkMigration(v1.toWire(), v2([]).toWire());
    expect(p.ok).toBe(false);
    expect(p.schema.map((d) => d.suggestion)).toEqual(["CREATE NODE TABLE Project(id STRING, PRIMARY KEY(id))", "ALTER TABLE Task ADD priority INT64 DEFAULT 0"]);
    // The template that uses the missing column is named too.
    expect(p.templates).toEqual(["template SET_PRIORITY does not prepare against the schema: Binder exception: Cannot find property priority for t."]);
  });

  test("a wrong default, an extra column and a failing step are reported", async () => {
    const wrongDefault = await checkMigration(v1.toWire(), v2(["ALTER TABLE Task ADD priority INT64 DEFAULT 1", "CREATE NODE TABLE Project(id STRING, PRIMARY KEY(id))"]).toWire());
    expect(wrongDefault.schema.map((d) => d.message)).toEqual(["column Task.priority defaults to 0 in schema but to 1 after the steps"]);
    const failing = await checkMigration(v1.toWire(), v2(["ALTER TABLE Nope ADD x INT64"]).toWire());
    expect(failing.steps[0]).toContain("migrate[0] `ALTER TABLE Nope ADD x INT64` fails");
  });

  test("a template that uses a dropped table is named", async () => {
    const v2drop = defineTemplates({
      version: 2,
      schema: [],
      migrate: ["DROP TABLE Task"],
      templates: { ADD_TASK: { params: { id: z.string(), title: z.string() }, cypher: "MERGE (t:Task {id: $id}) SET t.title = $title" } },
    });
    const p = await checkMigration(v1.toWire(), v2drop.toWire());
    expect(p.schema).toEqual([]);
    expect(p.templates[0]).toContain("template ADD_TASK does not prepare against the schema");
  });
});

test("checkRegistrySchema runs the schema and prepares every template", async () => {
  expect((await checkRegistrySchema(v1.toWire())).ok).toBe(true);
  const bad = defineTemplates({ schema: ["CREATE NODE TABLE T(id STRING, PRIMARY KEY(id))"], templates: { X: { params: { id: z.string() }, cypher: "MATCH (u:User {id: $id}) RETURN u" } } });
  expect((await checkRegistrySchema(bad.toWire())).templates[0]).toContain("template X");
});
