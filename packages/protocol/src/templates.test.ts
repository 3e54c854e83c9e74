import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { parseServerMessage } from "./messages.ts";
import { MAX_TEMPLATE_STATEMENTS, statementsOf } from "./registry-check.ts";
import { defineTemplates } from "./templates.ts";

const schema = ["CREATE NODE TABLE Item(id STRING, PRIMARY KEY(id))"];
const params = { id: z.string() };

describe("templates as statement lists", () => {
  test("a template's single and batch forms may be short lists; a single statement stays a string on the wire", () => {
    const registry = defineTemplates({
      schema,
      templates: {
        ONE: { params, cypher: "MERGE (:Item {id: $id})" },
        TWO: {
          params,
          cypher: ["MERGE (:Item {id: $id})", "MATCH (i:Item {id: $id}) RETURN i"],
          batch: { cypher: ["UNWIND $rows AS r MERGE (:Item {id: r.id})", "UNWIND $rows AS r WITH r.id AS k MATCH (i:Item {id: k}) RETURN i"], keys: ["id"] },
        },
      },
    });
    const [one, two] = registry.toWire().templates;
    expect(one!.cypher).toBe("MERGE (:Item {id: $id})");
    expect(two!.cypher).toEqual(["MERGE (:Item {id: $id})", "MATCH (i:Item {id: $id}) RETURN i"]);
    expect(statementsOf(two!.batch!.cypher)).toHaveLength(2);
    expect(statementsOf(one!.cypher)).toEqual(["MERGE (:Item {id: $id})"]);
    // The list is part of the registry hash, and the welcome message carries it.
    const asString = defineTemplates({ schema, templates: { TWO: { params, cypher: "MERGE (:Item {id: $id})" } } });
    const asList = defineTemplates({ schema, templates: { TWO: { params, cypher: ["MERGE (:Item {id: $id})"] } } });
    expect(asList.hash).not.toBe(asString.hash);
    const welcome = { type: "welcome", serverId: "s", headSeq: 0, horizonSeq: 1, registry: registry.toWire(), maxMessageBytes: 1000 };
    const parsed = parseServerMessage(JSON.stringify(welcome));
    if (!parsed.ok || parsed.message.type !== "welcome") throw new Error("welcome did not parse");
    expect(parsed.message.registry.templates[1]!.cypher).toEqual(statementsOf(two!.cypher) as string[]);
  });

  test("validation covers every statement of a list: non-determinism, empty and over-long lists", () => {
    const bad = (cypher: unknown) => () => defineTemplates({ schema, templates: { T: { params, cypher: cypher as string } } });
    expect(bad(["MERGE (:Item {id: $id})", "MATCH (i:Item) SET i.at = now()"])).toThrow(/not deterministic/);
    expect(bad([])).toThrow(/list of 1 to/);
    expect(bad(Array.from({ length: MAX_TEMPLATE_STATEMENTS + 1 }, () => "RETURN 1"))).toThrow(/list of 1 to/);
    expect(bad(["RETURN 1", " "])).toThrow(/non-empty/);
    expect(() => defineTemplates({ schema, templates: { T: { params, cypher: "RETURN 1", batch: { cypher: ["RETURN rand()"], keys: ["id"] } } } })).toThrow(/not deterministic/);
  });
});
