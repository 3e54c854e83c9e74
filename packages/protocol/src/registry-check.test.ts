import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { checkTemplate, parameterNames, RegistryCheckError, type CheckableTemplate } from "./registry-check.ts";
import { exampleRegistry } from "./example-templates.ts";
import { defineTemplates } from "./templates.ts";

const id = z.string();
const messages = (t: CheckableTemplate) => checkTemplate("T", t).map((p) => `${p.message}. Fix: ${p.fix}`);

describe("registry checks", () => {
  test("the example registry passes (it is built at import)", () => {
    expect(exampleRegistry.names().length).toBeGreaterThan(0);
  });

  test("a sound template with a batch form has no problem", () => {
    expect(
      checkTemplate("UPSERT", {
        params: { id, name: z.string().optional() },
        cypher: "MERGE (u:User {id: $id}) SET u.name = $name",
        batch: { cypher: "UNWIND $rows AS r WITH r, r.id AS k MERGE (u:User {id: k}) SET u.name = r.name", keys: ["id"] },
      }),
    ).toEqual([]);
  });

  test("a $name that is not declared names the template, the place and the likely parameter", () => {
    const problems = checkTemplate("ADD_TASK", { params: { id }, cypher: "MERGE (t:Task {id: $idd})" });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toEqual({
      template: "ADD_TASK",
      message: "cypher uses $idd (at line 1, column 20), which is not a declared parameter (declared: id)",
      fix: "did you mean $id? Otherwise declare idd in params, or correct the name in the Cypher (parameter names are case-sensitive)",
    });
    expect(problems[1]?.message).toStartWith("parameter id is declared but no statement uses $id");
  });

  test("a declared parameter that no statement uses is refused (Kuzu refuses to bind it)", () => {
    expect(messages({ params: { id, title: z.string() }, cypher: "MERGE (t:Task {id: $id})" })).toEqual([
      "parameter title is declared but no statement uses $title: every declared parameter is bound, and Kuzu refuses to run a statement bound with a parameter it does not use. Fix: use $title in the Cypher, or remove title from params",
    ]);
  });

  test("$ in string literals and comments is not a parameter", () => {
    expect(parameterNames("MERGE (u:U {id: $id}) SET u.note = '$name' /* $a */ // $b")).toEqual(["id"]);
    expect(messages({ params: { id }, cypher: "MERGE (u:U {id: $id}) SET u.note = '$name costs now()' // $x" })).toEqual([]);
  });

  test("parameter names are case-sensitive", () => {
    expect(messages({ params: { id }, cypher: "MERGE (t:Task {id: $ID})" })[0]).toContain("$ID (at line 1, column 20), which is not a declared parameter");
  });

  test("a list of statements: parameters may be spread over them, and messages say which statement", () => {
    const params = { id, title: z.string(), project: z.string() };
    expect(messages({ params, cypher: ["MERGE (t:Task {id: $id}) SET t.title = $title", "MATCH (t:Task {id: $id}), (p:Project {id: $project}) MERGE (t)-[:IN]->(p)"] })).toEqual([]);
    expect(messages({ params, cypher: ["MERGE (t:Task {id: $id}) SET t.title = $title", "MATCH (p:Project {id: $projct}) RETURN p"] })).toEqual([
      "cypher[1] uses $projct (at line 1, column 23), which is not a declared parameter (declared: id, title, project). Fix: did you mean $project? Otherwise declare projct in params, or correct the name in the Cypher (parameter names are case-sensitive)",
      "parameter project is declared but no statement uses $project: every declared parameter is bound, and Kuzu refuses to run a statement bound with a parameter it does not use. Fix: use $project in the Cypher, or remove project from params",
    ]);
    expect(messages({ params, cypher: [] })).toEqual(["cypher is an empty list. Fix: give at least one statement"]);
  });

  test("two statements in one string, empty and unreadable statements are refused", () => {
    expect(messages({ params: { id }, cypher: "MERGE (t:T {id: $id}); MATCH (t:T) DELETE t" })[0]).toBe(
      "cypher holds more than one statement (a ';' at line 1, column 22); Kuzu prepares one statement at a time. Fix: give the statements as a list: cypher: [\"…\", \"…\"]",
    );
    expect(messages({ params: { id }, cypher: "MERGE (t:T {id: $id});" })).toEqual([]);
    expect(messages({ params: {}, cypher: "  // nothing" })).toEqual(["cypher is empty. Fix: write the statement, or remove it"]);
    expect(messages({ params: { id }, cypher: "MERGE (t:T {id: $id}) SET t.x = 'open" })[0]).toBe(
      "cypher cannot be read: unterminated string literal (at line 1, column 33). Fix: correct the Cypher text",
    );
  });

  test("non-deterministic functions are refused, in either form, wherever they are called", () => {
    expect(messages({ params: { id }, cypher: "MERGE (t:T {id: $id}) SET t.at = now()" })).toEqual([
      "cypher is not deterministic: it calls now() (at line 1, column 34), and the time differs between replicas. Fix: pass the value as a parameter (e.g. a timestamp or id chosen by the client)",
    ]);
    const batch = checkTemplate("T", {
      params: { id },
      cypher: "MERGE (t:T {id: $id})",
      batch: { cypher: "UNWIND $rows AS r MERGE (t:T {id: r.id}) SET t.k = gen_random_uuid ()", keys: ["id"] },
    });
    expect(batch.map((p) => p.message)).toEqual(["batch.cypher is not deterministic: it calls gen_random_uuid() (at line 1, column 52), and random values differ between replicas"]);
    expect(messages({ params: { id }, cypher: "MERGE (t:T {id: $id}) SET t.r = `RAND`(1)" })[0]).toContain("calls `RAND`()");
  });

  test("batch forms: fields of the row are declared parameters (case-insensitively, like Kuzu), keys too", () => {
    const params = { id, name: z.string() };
    const cypher = "MERGE (u:User {id: $id}) SET u.name = $name";
    expect(messages({ params, cypher, batch: { cypher: "UNWIND $rows AS row MERGE (u:User {id: row.ID}) SET u.name = row.`name`", keys: ["id"] } })).toEqual([]);
    expect(messages({ params, cypher, batch: { cypher: "UNWIND $rows AS r WITH r, r.idd AS k MERGE (u:User {id: k}) SET u.name = r.name", keys: ["Id"] } })).toEqual([
      "batch key Id is not a declared parameter (declared: id, name). Fix: did you mean id? Otherwise name the parameters that identify the entity each event writes",
      "batch.cypher reads r.idd (at line 1, column 29), which is not a declared parameter (declared: id, name). Fix: did you mean r.id? Otherwise each row holds exactly the declared parameters",
      "the batch form never reads the row's id, which the single form uses ($id): the two forms cannot leave the same graph. Fix: read r.id in the batch form where the single form uses $id",
    ]);
  });

  test("batch forms: run with $rows only, read through UNWIND $rows AS <row>, and read what the single form uses", () => {
    const params = { id, name: z.string() };
    const cypher = "MERGE (u:User {id: $id}) SET u.name = $name";
    expect(messages({ params, cypher, batch: { cypher: "UNWIND $rows AS r MERGE (u:User {id: r.id}) SET u.name = $name", keys: ["id"] } })).toEqual([
      "batch.cypher uses $name (at line 1, column 58); a batch form is run with $rows only. Fix: read the value from the row instead (UNWIND $rows AS r … r.name)",
      "the batch form never reads the row's name, which the single form uses ($name): the two forms cannot leave the same graph. Fix: read r.name in the batch form where the single form uses $name",
    ]);
    expect(messages({ params, cypher, batch: { cypher: "MERGE (u:User {id: 'x'})", keys: ["id"] } })).toEqual([
      "batch.cypher does not read its rows with UNWIND $rows AS <row>. Fix: start it with UNWIND $rows AS r and read each parameter as r.<name>",
    ]);
    // A property of a node that happens to be called like the row is not a row field.
    expect(messages({ params, cypher, batch: { cypher: "UNWIND $rows AS r MERGE (u:User {id: r.id}) SET u.name = r.name, u.r = u.r.x", keys: ["id"] } })).toEqual([]);
  });

  test("batch forms as a list of statements: each one reads $rows", () => {
    const params = { id, project: z.string() };
    const cypher = ["MERGE (t:Task {id: $id})", "MATCH (t:Task {id: $id}), (p:Project {id: $project}) MERGE (t)-[:IN]->(p)"];
    const ok = ["UNWIND $rows AS r WITH r.id AS k MERGE (t:Task {id: k})", "UNWIND $rows AS r MATCH (t:Task {id: r.id}), (p:Project {id: r.project}) MERGE (t)-[:IN]->(p)"];
    expect(messages({ params, cypher, batch: { cypher: ok, keys: ["id"] } })).toEqual([]);
    expect(messages({ params, cypher, batch: { cypher: [ok[0]!, "MATCH (p:Project) RETURN p"], keys: ["id"] } })[0]).toBe(
      "batch.cypher[1] does not read its rows with UNWIND $rows AS <row>. Fix: start it with UNWIND $rows AS r and read each parameter as r.<name>",
    );
  });

  test("defineTemplates refuses a registry with problems, listing every one with its template and fix", () => {
    let error: unknown;
    try {
      defineTemplates({
        schema: ["CREATE NODE TABLE Task(id STRING, title STRING, PRIMARY KEY(id))"],
        templates: {
          ADD_TASK: { params: { id, title: z.string() }, cypher: "MERGE (t:Task {id: $idd}) SET t.title = $title" },
          RENAME_TASK: { params: { id, title: z.string() }, cypher: "MATCH (t:Task {id: $id}) SET t.title = $title" },
          CLOSE_TASK: { params: { id, at: z.int() }, cypher: "MATCH (t:Task {id: $id}) SET t.closedAt = now()" },
        },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RegistryCheckError);
    expect(error).toBeInstanceOf(TypeError);
    const e = error as RegistryCheckError;
    expect(e.problems.map((p) => p.template)).toEqual(["ADD_TASK", "ADD_TASK", "CLOSE_TASK", "CLOSE_TASK"]);
    expect(e.message.split("\n")[0]).toBe("the template registry has 4 problems:");
    expect(e.message).toContain("  template ADD_TASK: cypher uses $idd (at line 1, column 20), which is not a declared parameter (declared: id, title). Fix: did you mean $id?");
    expect(e.message).toContain("  template CLOSE_TASK: parameter at is declared but no statement uses $at");
  });
});
