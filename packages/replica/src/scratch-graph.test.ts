import { afterEach, describe, expect, test } from "bun:test";
import { ScratchGraph, type ScratchTemplate } from "./scratch-graph.ts";

const open: ScratchGraph[] = [];
afterEach(async () => {
  for (const g of open.splice(0)) await g.close();
});

const SCHEMA = [
  "CREATE NODE TABLE Task(id STRING, title STRING, PRIMARY KEY(id))",
  "CREATE NODE TABLE Project(id STRING, PRIMARY KEY(id))",
  "CREATE REL TABLE IN_PROJECT(FROM Task TO Project)",
];

async function scratch(): Promise<ScratchGraph> {
  const g = await ScratchGraph.create(SCHEMA);
  open.push(g);
  return g;
}

const tasks = async (g: ScratchGraph) => g.query("MATCH (t:Task) RETURN t.id AS id, t.title AS title ORDER BY id");

describe("ScratchGraph", () => {
  test("a schema statement that fails is named", async () => {
    await expect(ScratchGraph.create([SCHEMA[0]!, "CREATE REL TABLE X(FROM Nope TO Task)"])).rejects.toThrow(/^schema\[1\] fails on an empty database: .*Nope/);
  });

  test("prepareError: null when Kuzu prepares the statement, Kuzu's message otherwise", async () => {
    const g = await scratch();
    expect(await g.prepareError("MERGE (t:Task {id: $id}) SET t.title = $title")).toBeNull();
    expect(await g.prepareError("MATCH (t:Tsk) RETURN t")).toBe("Binder exception: Table Tsk does not exist.");
    expect(await g.prepareError("MATCH (t:Task) RETURN t.nope")).toContain("nope");
    expect(await g.prepareError("MATCH (t:Task RETURN t")).toContain("Parser exception");
  });

  test("single form: absent optional parameters are bound as null; a failure rolls back its whole event", async () => {
    const g = await scratch();
    const upsert: ScratchTemplate = { paramNames: ["id", "title"], cypher: "MERGE (t:Task {id: $id}) SET t.title = $title" };
    expect(await g.applySingle(upsert, { id: "t1" })).toEqual({ ok: true });
    // Two statements: the first one writes, the second fails (CREATE on an existing key).
    const twice: ScratchTemplate = { paramNames: ["id", "title"], cypher: ["MERGE (t:Task {id: 'other'}) SET t.title = $title", "CREATE (:Task {id: $id})"] };
    const failed = await g.applySingle(twice, { id: "t1", title: "x" });
    expect(failed.ok).toBe(false);
    expect(await tasks(g)).toEqual([{ id: "t1", title: null }]);
  });

  test("a list of statements binds each one with the parameters it uses", async () => {
    const g = await scratch();
    const add: ScratchTemplate = {
      paramNames: ["id", "title", "project"],
      cypher: ["MERGE (t:Task {id: $id}) SET t.title = $title", "MERGE (p:Project {id: $project})", "MATCH (t:Task {id: $id}), (p:Project {id: $project}) MERGE (t)-[:IN_PROJECT]->(p)"],
      batch: {
        cypher: [
          "UNWIND $rows AS r WITH r, r.id AS k MERGE (t:Task {id: k}) SET t.title = r.title",
          "UNWIND $rows AS r WITH DISTINCT r.project AS p MERGE (:Project {id: p})",
          "UNWIND $rows AS r MATCH (t:Task {id: r.id}), (p:Project {id: r.project}) MERGE (t)-[:IN_PROJECT]->(p)",
        ],
      },
    };
    expect(await g.applySingle(add, { id: "t1", title: "one", project: "p" })).toEqual({ ok: true });
    expect(await g.applyBatch(add, [{ id: "t2", title: "two", project: "p" }, { id: "t3", project: "q" }])).toEqual({ ok: true });
    expect(await tasks(g)).toEqual([{ id: "t1", title: "one" }, { id: "t2", title: "two" }, { id: "t3", title: null }]);
    expect(await g.query("MATCH (t:Task)-[:IN_PROJECT]->(p:Project) RETURN t.id AS t, p.id AS p ORDER BY t.id")).toEqual([
      { t: "t1", p: "p" },
      { t: "t2", p: "p" },
      { t: "t3", p: "q" },
    ]);
    expect((await g.digest()).nodes).toBe(5);
  });

  test("a batch form that fails leaves nothing behind; a template without one says so", async () => {
    const g = await scratch();
    const create: ScratchTemplate = { paramNames: ["id"], cypher: "CREATE (:Task {id: $id})", batch: { cypher: "UNWIND $rows AS r CREATE (:Task {id: r.id})" } };
    const result = await g.applyBatch(create, [{ id: "a" }, { id: "a" }]);
    expect(result.ok).toBe(false);
    expect(await tasks(g)).toEqual([]);
    expect(await g.applyBatch({ paramNames: ["id"], cypher: "MERGE (:Task {id: $id})" }, [{ id: "a" }])).toEqual({ ok: false, error: "the template has no batch form" });
  });
});
