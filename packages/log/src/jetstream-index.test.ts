import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exampleRegistry, type SequencedEvent } from "@kuzu-sync/protocol";
import { createLogger, type LogRecord } from "@kuzu-sync/telemetry";
import { JetStreamIndex } from "./jetstream-index.ts";

const aggregates = exampleRegistry.toWire().aggregates;
const dirs: string[] = [];
const open: JetStreamIndex[] = [];

afterEach(() => {
  for (const index of open.splice(0)) index.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function path(): string {
  const dir = mkdtempSync(join(tmpdir(), "js-index-"));
  dirs.push(dir);
  return join(dir, "jetstream-index.sqlite");
}

function openIndex(file: string, records?: LogRecord[]): JetStreamIndex {
  const logger = createLogger({ serviceName: "test", level: "debug", sink: (r) => records?.push(r) });
  const index = JetStreamIndex.open(file, { aggregates, logger });
  open.push(index);
  return index;
}

function reopen(index: JetStreamIndex, file: string, records?: LogRecord[]): JetStreamIndex {
  index.close();
  open.splice(open.indexOf(index), 1);
  return openIndex(file, records);
}

const ev = (seq: number, id: string, template: string, params: Record<string, unknown>, clientId = "a"): SequencedEvent => ({
  id,
  template,
  params,
  clientId,
  timestamp: 0,
  seq,
  serverTimestamp: 0,
});
const inc = (seq: number, id: string, counterId: string, amount: number, clientId?: string) => ev(seq, id, "INCREMENT_COUNTER", { counterId, amount }, clientId);
const post = (seq: number, id: string, postId: string, authorId: string) => ev(seq, id, "CREATE_POST", { id: postId, authorId, content: "" }, "b");
const values = (index: JetStreamIndex, name: string) => Object.fromEntries(index.aggregates.values(name) ?? []);

describe("JetStream index: counts and aggregates from the consumed stream", () => {
  test("counts per template and client and aggregates; a repeated id at a higher seq counts nothing; all kept across a reopen", () => {
    const file = path();
    let index = openIndex(file);
    expect(index.record([inc(1, "e1", "c1", 5), inc(2, "e2", "c1", 2, "b"), post(3, "e3", "p1", "u1")])).toEqual([1, 2, 3]);
    // e1 again (stored after JetStream's duplicate window): a duplicate slot.
    expect(index.record([inc(4, "e1", "c1", 5), post(5, "e5", "p2", "u1")])).toEqual([1, 5]);
    const expectState = (i: JetStreamIndex) => {
      expect(i.head).toBe(5);
      expect(i.countsFromSeq).toBe(1);
      expect(i.templateCounts()).toEqual({ INCREMENT_COUNTER: 2, CREATE_POST: 2 });
      expect(i.clientCounts()).toEqual({ a: 1, b: 3 });
      expect(values(i, "counters")).toEqual({ c1: 7 });
      expect(values(i, "postsByAuthor")).toEqual({ u1: 2 });
      expect(i.aggregates.info("counters")?.fromSeq).toBe(1);
    };
    expectState(index);
    index = reopen(index, file);
    expectState(index);
    expect(index.firstSeq("e1")).toBe(1);
  });

  test("a jump past the head (events purged unseen) restarts counts and aggregates there, and says so", () => {
    const file = path();
    const records: LogRecord[] = [];
    let index = openIndex(file, records);
    index.record([inc(1, "e1", "c1", 5), post(2, "e2", "p1", "u1")]);
    index.record([inc(7, "e7", "c1", 1), post(8, "e8", "p2", "u2")]);
    const expectState = (i: JetStreamIndex) => {
      expect(i.head).toBe(8);
      expect(i.countsFromSeq).toBe(7);
      expect(i.templateCounts()).toEqual({ INCREMENT_COUNTER: 1, CREATE_POST: 1 });
      expect(values(i, "counters")).toEqual({ c1: 1 });
      expect(values(i, "postsByAuthor")).toEqual({ u2: 1 });
      expect(i.aggregates.list().map((a) => a.fromSeq)).toEqual([7, 7]);
    };
    expectState(index);
    expect(records.find((r) => r.severityText === "WARN")).toMatchObject({ attributes: { head: 2, countsFromSeq: 7 } });
    index = reopen(index, file);
    expectState(index);

    // A fresh index on a stream that starts past seq 1 starts the same way.
    const fresh = openIndex(path());
    fresh.record([inc(7, "e7", "c1", 1)]);
    expect(fresh.countsFromSeq).toBe(7);
    expect(fresh.aggregates.info("counters")?.fromSeq).toBe(7);
  });

  test("exportTo: a copy with the same ids, counts, aggregates and head, without the gateway's origin", () => {
    const index = openIndex(path());
    const origin = index.origin();
    expect(index.origin()).toBe(origin); // made once, kept
    index.record([inc(1, "e1", "c1", 5), post(2, "e2", "p1", "u1"), inc(3, "e1", "c1", 5)]);
    const file = join(dirs[0]!, "copy.sqlite");
    expect(index.exportTo(file)).toEqual({ head: 3 });
    index.record([inc(4, "e4", "c2", 1)]); // later writes stay out of the copy
    expect(JetStreamIndex.inspectCopy(file)).toEqual({ integrity: "ok", head: 3 });
    JetStreamIndex.claimCopy(file, "gateway-b");
    expect(JetStreamIndex.headAt(file)).toBe(3);
    const copy = openIndex(file);
    expect([copy.head, copy.countsFromSeq, copy.origin(), copy.firstSeq("e1"), copy.firstSeq("e4")]).toEqual([3, 1, "gateway-b", 1, null]);
    expect(copy.templateCounts()).toEqual({ INCREMENT_COUNTER: 1, CREATE_POST: 1 });
    expect(values(copy, "counters")).toEqual({ c1: 5 });
  });

  test("headAt: 0 for no file and for a file that is not an index", () => {
    expect(JetStreamIndex.headAt(`${path()}.none`)).toBe(0);
    const other = path();
    new Database(other, { create: true }).close();
    expect(JetStreamIndex.headAt(other)).toBe(0);
  });
});
