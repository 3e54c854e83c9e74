import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exampleRegistry, type SequencedEvent } from "@kuzu-sync/protocol";
import { diffGraphDumps, digestGraph, digestOfDump, dumpGraph } from "./graph-digest.ts";
import { Replica } from "./replica.ts";
import { ScratchGraph } from "./scratch-graph.ts";

const open: { close(): Promise<void> }[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SCHEMA = [
  "CREATE NODE TABLE Item(id STRING, n INT64, big INT128, price DECIMAL(12, 3), at TIMESTAMP, day DATE, span INTERVAL, tags STRING[], ints INT64[], " +
    "meta STRUCT(a INT64, b STRING), m MAP(STRING, INT64), f DOUBLE, ok BOOL, raw BLOB, u UUID, PRIMARY KEY(id))",
  "CREATE NODE TABLE Box(no SERIAL, label STRING, PRIMARY KEY(no))",
  "CREATE REL TABLE IN_BOX(FROM Item TO Box, FROM Item TO Item, weight DOUBLE)",
  "CREATE REL TABLE LINK(FROM Item TO Item)",
];

async function graph(statements: readonly string[]): Promise<ScratchGraph> {
  const g = await ScratchGraph.create(SCHEMA);
  open.push(g);
  for (const s of statements) await g.query(s);
  return g;
}

const ITEM_A =
  "CREATE (:Item {id: 'a', n: 9007199254740993, big: 170141183460469231731687303715884105727, price: 3.141, at: timestamp('2026-01-02 03:04:05.123456'), " +
  "day: date('2026-01-02'), span: interval('1 day 2 hours'), tags: ['x,y', 'z'], ints: [9007199254740993], meta: {a: 1, b: 'q'}, m: map(['k'], [1]), " +
  "f: 1.5, ok: true, raw: BLOB('\\\\xAA\\\\xBB'), u: UUID('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')})";
const ITEM_B = "CREATE (:Item {id: 'b'})";
const BOXES = ["CREATE (:Box {label: 'first'})", "CREATE (:Box {label: 'second'})"];
const RELS = [
  "MATCH (a:Item {id: 'a'}), (b:Box {no: 0}) CREATE (a)-[:IN_BOX {weight: 2.0}]->(b)",
  "MATCH (a:Item {id: 'a'}), (b:Item {id: 'b'}) CREATE (a)-[:IN_BOX {weight: 1.0}]->(b), (a)-[:LINK]->(b), (a)-[:LINK]->(b)",
];

describe("graph digest", () => {
  test("the same graph built in another order, with other internal ids, has the same dump and digest", async () => {
    const one = await graph([ITEM_A, ITEM_B, ...BOXES, ...RELS]);
    // Other order, plus a node created and deleted first, so every internal id differs.
    const two = await graph(["CREATE (:Item {id: 'tmp'})", ITEM_B, "MATCH (t:Item {id: 'tmp'}) DELETE t", ...BOXES, ITEM_A, RELS[1]!, RELS[0]!]);
    const [d1, d2] = [await dumpGraph(one), await dumpGraph(two)];
    expect(d2).toEqual(d1);
    expect(diffGraphDumps(d1, d2)).toEqual([]);
    const digest = await digestGraph(one);
    expect(digest).toEqual(await digestGraph(two));
    expect(digest).toEqual(digestOfDump(d1));
    expect(digest).toMatchObject({ nodes: 4, relationships: 4, tables: { Item: 2, Box: 2, IN_BOX: 2, LINK: 2 } });
    expect(digest.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test("the dump reads values without loss and names relationships by their ends' keys", async () => {
    const dump = await dumpGraph(await graph([ITEM_A, ITEM_B, ...BOXES, ...RELS]));
    expect(dump.tables.map((t) => [t.name, t.kind])).toEqual([["Box", "node"], ["IN_BOX", "rel"], ["Item", "node"], ["LINK", "rel"]]);
    const items = dump.tables.find((t) => t.name === "Item")!;
    expect(items.shape).toStartWith("id STRING PRIMARY KEY, n INT64, big INT128, price DECIMAL(12, 3), at TIMESTAMP");
    expect(items.rows[0]).toBe(
      '["a","9007199254740993","170141183460469231731687303715884105727","3.141","2026-01-02 03:04:05.123456","2026-01-02","1 day 02:00:00",' +
        '["x,y","z"],"[9007199254740993]",{"a":1,"b":"q"},{"k":1},1.5,true,{"$bytes":"aabb"},"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]',
    );
    expect(items.rows[1]).toBe('["b",null,null,null,null,null,null,null,null,null,null,null,null,null,null]');
    expect(dump.tables.find((t) => t.name === "IN_BOX")).toMatchObject({
      shape: "FROM Item TO Box, FROM Item TO Item, weight DOUBLE",
      rows: ['["Item","a","Box","0",2]', '["Item","a","Item","b",1]'],
    });
    // Parallel relationships each keep their line.
    expect(dump.tables.find((t) => t.name === "LINK")?.rows).toEqual(['["Item","a","Item","b"]', '["Item","a","Item","b"]']);
  });

  test.each([
    ["an INT64 past 2^53", "MATCH (i:Item {id: 'a'}) SET i.n = 9007199254740992", ['- Item ["a","9007199254740993"', '+ Item ["a","9007199254740992"']],
    ["a microsecond", "MATCH (i:Item {id: 'a'}) SET i.at = timestamp('2026-01-02 03:04:05.123457')", ['- Item ["a"', '+ Item ["a"']],
    ["an empty list instead of null", "MATCH (i:Item {id: 'b'}) SET i.tags = []", ['- Item ["b",null,null,null,null,null,null,null,', '+ Item ["b",null,null,null,null,null,null,[],']],
    ["one parallel relationship less", "MATCH (:Item {id: 'a'})-[l:LINK]->(:Item {id: 'b'}) WITH l LIMIT 1 DELETE l", ['- LINK ["Item","a","Item","b"]']],
    ["a relationship property", "MATCH (:Item)-[r:IN_BOX]->(:Box) SET r.weight = 2.5", ['- IN_BOX ["Item","a","Box","0",2]', '+ IN_BOX ["Item","a","Box","0",2.5]']],
    ["a relationship less", "MATCH (:Item {id: 'a'})-[r:IN_BOX]->(:Box) DELETE r", ['- IN_BOX ["Item","a","Box","0",2]']],
  ])("any change shows: %s", async (_, change, lines) => {
    const base = await graph([ITEM_A, ITEM_B, ...BOXES, ...RELS]);
    const changed = await graph([ITEM_A, ITEM_B, ...BOXES, ...RELS, change]);
    expect((await digestGraph(changed)).sha256).not.toBe((await digestGraph(base)).sha256);
    const diff = diffGraphDumps(await dumpGraph(base), await dumpGraph(changed));
    expect(diff).toHaveLength(lines.length);
    for (const line of lines) expect(diff.some((d) => d.startsWith(line)), `${line} in ${diff.join("\n")}`).toBe(true);
  });

  test("the schema is part of the digest: an empty extra column or table changes it", async () => {
    const base = await graph([ITEM_B]);
    const column = await graph([ITEM_B, "ALTER TABLE Box ADD note STRING"]);
    const table = await graph([ITEM_B, "CREATE NODE TABLE Other(id STRING, PRIMARY KEY(id))"]);
    const digests = new Set([await digestGraph(base), await digestGraph(column), await digestGraph(table)].map((d) => d.sha256));
    expect(digests.size).toBe(3);
    expect(diffGraphDumps(await dumpGraph(base), await dumpGraph(table))).toEqual(["table Other: absent vs node id STRING PRIMARY KEY"]);
  });

  test("a replica's meta table is left out, and a snapshot import (new internal ids) digests the same", async () => {
    const registry = exampleRegistry.toWire();
    const events: SequencedEvent[] = [
      ["CREATE_USER", { id: "a", name: "A" }],
      ["CREATE_USER", { id: "b", name: "B", email: "b@x" }],
      ["FOLLOW_USER", { followerId: "a", targetId: "b" }],
      ["DELETE_USER", { id: "a" }],
      ["CREATE_USER", { id: "a", name: "A again" }],
      ["CREATE_POST", { id: "p", authorId: "b", content: "hi" }],
      ["INCREMENT_COUNTER", { counterId: "c", amount: 5 }],
    ].map(([template, params], i) => {
      const v = exampleRegistry.validate(template as string, params);
      if (!v.ok) throw new Error(v.message);
      return { id: `e${i}`, template: template as string, params: v.params, clientId: "t", timestamp: 0, seq: i + 1, serverTimestamp: 0 };
    });
    const replica = await Replica.open();
    open.push(replica);
    await replica.install(registry);
    await replica.apply(events);
    // The same events through the plain adapter, one by one, in a database with no meta table.
    const plain = await ScratchGraph.create(registry.schema);
    open.push(plain);
    const byName = new Map(registry.templates.map((t) => [t.name, t]));
    for (const e of events) expect(await plain.applySingle(byName.get(e.template)!, e.params)).toEqual({ ok: true });
    const digest = await digestGraph(replica);
    expect(await digestGraph(plain)).toEqual(digest);
    expect(digest.tables).not.toHaveProperty("KuzuSyncMeta");

    const dir = mkdtempSync(join(tmpdir(), "digest-snapshot-"));
    dirs.push(dir);
    await replica.exportSnapshot(join(dir, "export"));
    const imported = await Replica.importSnapshot(join(dir, "export"));
    open.push(imported);
    expect(await digestGraph(imported)).toEqual(digest);
  });
});
