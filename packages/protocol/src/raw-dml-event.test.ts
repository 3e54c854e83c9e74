import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { RAW_DML_TEMPLATE, checkRawDmlParams } from "./raw-dml-event.ts";
import { defineTemplates } from "./templates.ts";

describe("RAW_DML events", () => {
  test("params are exactly { cypher } and the text passes the gate", () => {
    expect(checkRawDmlParams({ cypher: "CREATE (:User {id: 'x'})" })).toEqual({ ok: true, cypher: "CREATE (:User {id: 'x'})" });
    expect(checkRawDmlParams({ cypher: "ATTACH 'x.kuzu' AS y (dbtype kuzu)" })).toMatchObject({ ok: false, code: "RAW_DML_FORBIDDEN" });
    expect(checkRawDmlParams({})).toMatchObject({ ok: false, code: "INVALID_PARAMS" });
    expect(checkRawDmlParams({ cypher: 1 })).toMatchObject({ ok: false, code: "INVALID_PARAMS" });
    expect(checkRawDmlParams({ cypher: "" })).toMatchObject({ ok: false, code: "INVALID_PARAMS" });
    expect(checkRawDmlParams({ cypher: "RETURN 1", extra: true })).toMatchObject({ ok: false, code: "INVALID_PARAMS" });
  });

  test("no registry may define the reserved template name", () => {
    expect(() => defineTemplates({ schema: [], templates: { [RAW_DML_TEMPLATE]: { params: { cypher: z.string() }, cypher: "RETURN 1" } } })).toThrow(/reserved/);
  });
});
