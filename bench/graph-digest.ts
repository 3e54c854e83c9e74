#!/usr/bin/env bun
/**
 * Graph digest on a large replica: how long `digestGraph` (canonical dump of every node and
 * relationship + sha256) takes on the example registry's graph, against the baseline of reading
 * the same properties with plain queries (what any comparison must at least pay), same run.
 *
 * The graph: `--nodes` users (id, name, email) and as many FOLLOWS relationships, loaded with
 * UNWIND batches into an in-memory replica.
 *
 *   bun bench/graph-digest.ts                 # 200k users + 200k FOLLOWS
 *   bun bench/graph-digest.ts --nodes 20000
 * @module
 */
import { parseArgs } from "node:util";
import { exampleRegistry } from "@kuzu-sync/protocol";
import { ScratchGraph, digestGraph, dumpGraph, digestOfDump } from "@kuzu-sync/replica";

const { values } = parseArgs({ options: { nodes: { type: "string", default: "200000" } } });
const N = Number(values.nodes);
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const registry = exampleRegistry.toWire();
const graph = await ScratchGraph.create(registry.schema);
try {
  const upsert = registry.templates.find((t) => t.name === "CREATE_USER")!;
  const started = performance.now();
  for (let from = 0; from < N; from += 10_000) {
    const rows = Array.from({ length: Math.min(10_000, N - from) }, (_, i) => ({ id: `user-${from + i}`, name: `User ${from + i}`, email: `u${from + i}@example.com` }));
    const r = await graph.applyBatch(upsert, rows);
    if (!r.ok) throw new Error(r.error);
  }
  const follow = { paramNames: ["a", "b"], cypher: "", batch: { cypher: "UNWIND $rows AS r WITH r.a AS a, r.b AS b MATCH (x:User {id: a}) WITH x, b MATCH (y:User {id: b}) CREATE (x)-[:FOLLOWS]->(y)" } };
  for (let from = 0; from < N; from += 10_000) {
    const rows = Array.from({ length: Math.min(10_000, N - from) }, (_, i) => ({ a: `user-${from + i}`, b: `user-${(from + i) * 7919 % N}` }));
    const r = await graph.applyBatch(follow, rows);
    if (!r.ok) throw new Error(r.error);
  }
  console.log(`load: ${N.toLocaleString("en-US")} users + ${N.toLocaleString("en-US")} FOLLOWS in ${secs(performance.now() - started)}`);

  let t = performance.now();
  const users = await graph.query("MATCH (u:User) RETURN u.id, u.name, u.email");
  const follows = await graph.query("MATCH (a:User)-[:FOLLOWS]->(b:User) RETURN a.id, b.id");
  const baseline = performance.now() - t;
  if (users.length !== N || follows.length !== N) throw new Error("load went wrong");

  t = performance.now();
  const digest = await digestGraph(graph);
  const full = performance.now() - t;

  t = performance.now();
  const dump = await dumpGraph(graph);
  const dumped = performance.now() - t;
  t = performance.now();
  const again = digestOfDump(dump);
  const hashed = performance.now() - t;
  if (again.sha256 !== digest.sha256) throw new Error("digest is not stable");

  console.log(`baseline (plain reads of the same properties): ${secs(baseline)}`);
  console.log(`digestGraph: ${secs(full)} (${digest.nodes.toLocaleString("en-US")} nodes, ${digest.relationships.toLocaleString("en-US")} relationships) = ${(full / baseline).toFixed(2)}x the baseline`);
  console.log(`  of which dump (read, encode, sort): ${secs(dumped)}, sha256 of the dump: ${secs(hashed)}`);
  console.log(`sha256 ${digest.sha256}`);
} finally {
  await graph.close();
}
