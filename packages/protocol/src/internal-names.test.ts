import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { exampleRegistry } from "./example-templates.ts";
import { defineTemplates } from "./templates.ts";
import { INTERNAL_TABLE, checkRegistryInternals } from "./internal-names.ts";

describe("checkRegistryInternals", () => {
  test("the example registry is clean, as a definition and on the wire", () => {
    expect(checkRegistryInternals(exampleRegistry.toWire())).toEqual([]);
  });

  test("a template or schema statement naming the internal table, in any spelling, is reported", () => {
    const problems = checkRegistryInternals({
      schema: ["CREATE NODE TABLE User(id STRING PRIMARY KEY)", "CREATE REL TABLE OWNS(FROM User TO kuzusyncmeta)"],
      templates: {
        OK: { cypher: "MATCH (u:User {id: $id}) SET u.name = $name" },
        EVIL: { cypher: "MATCH (m:`KUZUSYNCMETA`) DETACH DELETE m" },
        SNEAKY: { cypher: "MERGE (u:User {id: $id})", batch: { cypher: `UNWIND $rows AS r MATCH (m:${INTERNAL_TABLE}) SET m.hash = r.id` } },
      },
    });
    expect(problems).toEqual([
      "schema statement 2 names kuzu-sync's internal table KuzuSyncMeta, which holds each replica's applied seq and registry hash",
      "template EVIL names kuzu-sync's internal table KuzuSyncMeta, which holds each replica's applied seq and registry hash",
      "template SNEAKY (batch form) names kuzu-sync's internal table KuzuSyncMeta, which holds each replica's applied seq and registry hash",
    ]);
  });

  test("the wire form (templates as a list) is checked the same way", () => {
    expect(checkRegistryInternals({ schema: [], templates: [{ name: "T", cypher: "MATCH (m:KuzuSyncMeta) RETURN m" }] })).toHaveLength(1);
  });
});

test("defineTemplates refuses a registry that names the internal table, so a gateway never starts with it", () => {
  const define = () =>
    defineTemplates({
      schema: ["CREATE NODE TABLE T(id STRING, PRIMARY KEY(id))"],
      templates: { WIPE: { params: { id: z.string() }, cypher: "MATCH (m:`kuzusyncmeta`) WHERE m.k = $id DETACH DELETE m" } },
    });
  expect(define).toThrow("template WIPE names kuzu-sync's internal table KuzuSyncMeta");
});
