/**
 * One application process of tests/consumer.test.ts, copied into a project outside this
 * repository that installed the packed packages: it imports only `@kuzu-sync/client`.
 *
 *   bun task-app.ts <gateway url> <name> <replica path>
 *
 * Writes its share of a task board (a project, five tasks, a chain of dependencies, a status),
 * prints `wrote <highest seq>`, then waits for `go <seq>` on stdin, waits until its replica has
 * applied that seq, prints `state <json>` (what its replica holds) and exits.
 * @module
 */
import { createSyncClient } from "@kuzu-sync/client";

const [url, name, dbPath] = process.argv.slice(2);
if (!url || !name || !dbPath) throw new Error("usage: bun task-app.ts <url> <name> <dbPath>");

const client = createSyncClient(url, { dbPath, clientId: `task-app-${name}`, statsIntervalMs: 0 });
await client.connect();
try {
  let last = 0;
  const write = async (template: string, params: Record<string, unknown>) => {
    last = Math.max(last, (await client.executeTemplate(template, params)).seq);
  };
  await write("CREATE_PROJECT", { id: "launch", name: "Launch" });
  // Sent together: the outbox keeps their order, the gateway acknowledges each.
  await Promise.all(Array.from({ length: 5 }, (_, i) => write("ADD_TASK", { id: `${name}${i + 1}`, projectId: "launch", title: `${name} task ${i + 1}`, estimate: i + 1 })));
  await Promise.all(Array.from({ length: 4 }, (_, i) => write("ADD_DEPENDENCY", { taskId: `${name}${i + 2}`, dependsOn: `${name}${i + 1}` })));
  await write("SET_STATUS", { id: `${name}1`, status: "done" });
  console.log(`wrote ${last}`);

  let go = 0;
  for await (const line of console) {
    const m = /^go (\d+)$/.exec(line.trim());
    if (m) {
      go = Number(m[1]);
      break;
    }
  }
  await client.waitForSeq(go);
  const state = {
    seq: client.lastAppliedSeq >= go,
    projects: await client.query("MATCH (p:Project) RETURN p.id AS id, p.name AS name ORDER BY id"),
    tasks: await client.query("MATCH (t:Task)-[:IN_PROJECT]->(p:Project) RETURN t.id AS id, t.title AS title, t.status AS status, t.estimate AS estimate, p.id AS project ORDER BY id"),
    dependencies: await client.query("MATCH (a:Task)-[:DEPENDS_ON]->(b:Task) RETURN a.id AS task, b.id AS dependsOn ORDER BY task, dependsOn"),
    tasksInLaunch: await client.getAggregate("tasksByProject", "launch"),
  };
  console.log(`state ${JSON.stringify(state)}`);
} finally {
  await client.close();
}
