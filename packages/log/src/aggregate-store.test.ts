import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineTemplates, exampleRegistry, type ClientEvent, type WireAggregate } from "@kuzu-sync/protocol";
import { createLogger, type LogRecord } from "@kuzu-sync/telemetry";
import { z } from "zod";
import { SqliteEventLog } from "./sqlite-event-log.ts";

const aggregates = exampleRegistry.toWire().aggregates;
const dirs: string[] = [];
const logs: SqliteEventLog[] = [];

afterEach(async () => {
  await Promise.all(logs.splice(0).map((l) => l.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempLogPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "aggregates-"));
  dirs.push(dir);
  return join(dir, "events.sqlite");
}

function open(path: string, defs: readonly WireAggregate[] = aggregates, records?: LogRecord[]): SqliteEventLog {
  const logger = createLogger({ serviceName: "test", level: "debug", sink: (r) => records?.push(r) });
  const log = SqliteEventLog.open({ path, aggregates: defs, logger });
  logs.push(log);
  return log;
}

async function reopen(log: SqliteEventLog, path: string, defs: readonly WireAggregate[] = aggregates, records?: LogRecord[]): Promise<SqliteEventLog> {
  await log.close();
  return open(path, defs, records);
}

let n = 0;
const ev = (template: string, params: Record<string, unknown>, id = `e${++n}`): ClientEvent => ({ id, template, params, clientId: "c", timestamp: 0 });
const inc = (counterId: string, amount: number, id?: string) => ev("INCREMENT_COUNTER", { counterId, amount }, id);
const post = (id: string, authorId: string) => ev("CREATE_POST", { id, authorId, content: "" });
const del = (id: string) => ev("DELETE_POST", { id });

const values = (log: SqliteEventLog, name: string) => Object.fromEntries(log.aggregates.values(name) ?? []);

describe("aggregate cache on the SQLite log", () => {
  test("counters: sum of amount by counterId, including negative amounts and zero", async () => {
    const log = open(tempLogPath());
    await log.append([inc("a", 5), inc("b", 1), inc("a", -2)]);
    await log.append([inc("b", -1)]);
    expect(values(log, "counters")).toEqual({ a: 3, b: 0 });
    expect(log.aggregates.value("counters", "a")).toBe(3);
    expect(log.aggregates.value("counters", "zz")).toBeUndefined();
    expect(log.aggregates.info("counters")).toMatchObject({ kind: "sum", fromSeq: 1, groups: 2 });
  });

  test("postsByAuthor counts existing posts: upserts, author changes, unknown deletes, re-creates", async () => {
    const log = open(tempLogPath());
    await log.append([post("p1", "u1"), post("p2", "u1"), post("p3", "u2")]);
    expect(values(log, "postsByAuthor")).toEqual({ u1: 2, u2: 1 });
    // A second create of p1 overwrites it (MERGE): not a new post.
    await log.append([post("p1", "u1")]);
    expect(values(log, "postsByAuthor")).toEqual({ u1: 2, u2: 1 });
    // Overwritten by another author: the post moves.
    await log.append([post("p2", "u2")]);
    expect(values(log, "postsByAuthor")).toEqual({ u1: 1, u2: 2 });
    // Deleting an unknown post changes nothing; deleting the last post of u1 removes the group.
    await log.append([del("nope"), del("p1")]);
    expect(values(log, "postsByAuthor")).toEqual({ u2: 2 });
    // Delete and re-create inside one commit group (one transaction).
    await log.append([del("p3"), post("p3", "u3"), post("p4", "u3"), del("p4"), del("p4")]);
    expect(values(log, "postsByAuthor")).toEqual({ u2: 1, u3: 1 });
  });

  test("resent ids are not counted twice, in one group or across groups", async () => {
    const log = open(tempLogPath());
    const first = inc("a", 10, "same-id");
    const outcomes = await log.append([first, inc("a", 10, "same-id"), post("p1", "u1")]);
    expect(outcomes.map((o) => o.duplicate)).toEqual([false, true, false]);
    expect((await log.append([inc("a", 10, "same-id")]))[0]).toEqual({ seq: 1, duplicate: true });
    expect(values(log, "counters")).toEqual({ a: 10 });
  });

  test("values survive a restart and are loaded, not recomputed: they stay exact with the events gone", async () => {
    const path = tempLogPath();
    let log = open(path);
    await log.append([inc("a", 5), post("p1", "u1"), post("p2", "u1")]);
    await log.append([inc("a", 1), del("p2")]);
    const before = { counters: values(log, "counters"), posts: values(log, "postsByAuthor") };
    await log.close();
    // What an archive run does to the hot log: the events are gone, the state must not be.
    const db = new Database(path);
    db.exec("DELETE FROM events");
    db.close();
    log = open(path);
    expect({ counters: values(log, "counters"), posts: values(log, "postsByAuthor") }).toEqual(before);
    expect(before).toEqual({ counters: { a: 6 }, posts: { u1: 1 } });
    // Entity membership is persisted too: deleting p1 after the restart still finds its author.
    await log.append([del("p1"), inc("a", 1)]);
    expect(values(log, "postsByAuthor")).toEqual({});
    expect(values(log, "counters")).toEqual({ a: 7 });
  });

  test("a failed commit changes neither the stored nor the in-memory values", async () => {
    const path = tempLogPath();
    let log = open(path);
    await log.append([inc("a", 5), post("p1", "u1")]);
    // Another writer takes seq 3 behind the log's back: the next insert violates the primary key.
    const db = new Database(path);
    db.run("INSERT INTO events (seq, id, template, params, client_id, ts, server_ts) VALUES (3, 'intruder', 'X', '{}', 'c', 0, 0)");
    db.close();
    await expect(log.append([inc("a", 100), del("p1"), inc("a", 1000)])).rejects.toMatchObject({ code: "LOG_UNAVAILABLE" });
    expect(values(log, "counters")).toEqual({ a: 5 });
    expect(values(log, "postsByAuthor")).toEqual({ u1: 1 });
    log = await reopen(log, path);
    expect(values(log, "counters")).toEqual({ a: 5 });
    expect(values(log, "postsByAuthor")).toEqual({ u1: 1 });
  });

  test("an aggregate added to a log with history counts from the head on, and says so", async () => {
    const path = tempLogPath();
    let log = open(path, []);
    await log.append([inc("a", 5), inc("a", 5)]);
    const records: LogRecord[] = [];
    log = await reopen(log, path, aggregates, records);
    expect(log.aggregates.info("counters")).toMatchObject({ fromSeq: 3, groups: 0 });
    expect(records.some((r) => r.severityText === "WARN" && r.attributes["aggregate"] === "counters" && r.attributes["fromSeq"] === 3)).toBe(true);
    await log.append([inc("a", 1)]);
    expect(values(log, "counters")).toEqual({ a: 1 });
    // Unchanged on the next start: same definition, same fromSeq, values kept.
    log = await reopen(log, path);
    expect(log.aggregates.info("counters")).toMatchObject({ fromSeq: 3, groups: 1 });
    expect(values(log, "counters")).toEqual({ a: 1 });
  });

  test("a changed definition restarts the aggregate; a removed one loses its state for good", async () => {
    const path = tempLogPath();
    let log = open(path);
    await log.append([inc("a", 5), post("p1", "u1")]);
    const registry = defineTemplates({
      schema: [],
      templates: {
        INCREMENT_COUNTER: { params: { counterId: z.string(), amount: z.int().default(1) }, cypher: "RETURN $counterId, $amount" },
      },
      aggregates: { counters: { kind: "sum", from: { INCREMENT_COUNTER: { groupBy: "counterId", value: 1 } } } },
    });
    log = await reopen(log, path, registry.toWire().aggregates);
    expect(log.aggregates.info("counters")).toMatchObject({ fromSeq: 3, groups: 0 });
    expect(log.aggregates.info("postsByAuthor")).toBeNull();
    await log.append([inc("a", 5)]);
    expect(values(log, "counters")).toEqual({ a: 1 });
    // Back to the original declarations: postsByAuthor starts again from here, without p1.
    log = await reopen(log, path);
    expect(log.aggregates.info("postsByAuthor")).toMatchObject({ fromSeq: 4, groups: 0 });
    await log.append([del("p1")]);
    expect(values(log, "postsByAuthor")).toEqual({});
  });
});
