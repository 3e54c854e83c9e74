/**
 * Property: a replica that applies a history in windows — planned into conflict-free layers, one
 * UNWIND per template — ends with exactly the graph, and reports exactly the per-event outcomes
 * (ok / failed and the error), of a replica that applies the same history one event at a time.
 * Over three registries (the example one, a chat and a task tracker), random histories over a few
 * keys (so keys repeat and events conflict), with events that fail (primary-key and multiplicity
 * violations, an unknown template), barriers (raw DML, templates whose footprint is unknown) and
 * duplicate slots, windows of random sizes, and the batch form forced or chosen by the strategy.
 * Real KuzuDB, in memory. Short inside `bun test`; `bun run fuzz` (FUZZ_RUNS) runs it long.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { exampleRegistry, type SequencedEvent, type TemplateRegistry } from "@kuzu-sync/protocol";
import { Replica, type ApplyOutcome } from "@kuzu-sync/replica";
import { fuzzRuns, fuzzTimeout } from "../packages/protocol/src/fuzz-runs.ts";
import { ApplyStrategy, type RunPlan } from "../packages/replica/src/apply-strategy.ts";
import chatRegistry from "./support/chat-registry.ts";
import { dumpGraph } from "./support/graph-dump.ts";
import taskRegistry from "./support/task-registry.ts";

type Draft = readonly [template: string, params: Record<string, unknown>];

const key = (prefix: string, n: number) => fc.integer({ min: 0, max: n - 1 }).map((i) => `${prefix}${i}`);
const text = fc.constantFrom("a", "b", "hello", "");
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const draft = (template: string, params: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Draft> =>
  fc.record(params).map((p) => [template, Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined))] as const);

const exampleEvent: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 4, arbitrary: draft("CREATE_USER", { id: key("u", 6), name: text, email: opt(text) }) },
  { weight: 2, arbitrary: draft("UPDATE_USER", { id: key("u", 6), name: opt(text), email: opt(text) }) },
  { weight: 1, arbitrary: draft("DELETE_USER", { id: key("u", 6) }) },
  { weight: 3, arbitrary: draft("FOLLOW_USER", { followerId: key("u", 6), targetId: key("u", 6) }) },
  { weight: 1, arbitrary: draft("UNFOLLOW_USER", { followerId: key("u", 6), targetId: key("u", 6) }) },
  { weight: 3, arbitrary: draft("CREATE_POST", { id: key("p", 5), authorId: key("u", 6), content: text }) },
  { weight: 1, arbitrary: draft("DELETE_POST", { id: key("p", 5) }) },
  { weight: 3, arbitrary: draft("INCREMENT_COUNTER", { counterId: key("c", 3), amount: opt(fc.integer({ min: -5, max: 5 })) }) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom("MATCH (u:User {id: 'u1'}) SET u.name = 'raw'", "MATCH (u:User) WHERE u.id = 'u2' DETACH DELETE u", "CREATE (:Counter {id: 'c0', value: 100})")
      .map((cypher): Draft => ["RAW_DML", { cypher }]),
  },
  { weight: 1, arbitrary: fc.constant<Draft>(["NO_SUCH_TEMPLATE", {}]) },
);

const chatEvent: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 3, arbitrary: draft("CREATE_USER", { id: key("u", 4), name: text }) },
  { weight: 2, arbitrary: draft("CREATE_CHANNEL", { id: key("ch", 3), name: text, topic: opt(text) }) },
  { weight: 1, arbitrary: draft("SET_TOPIC", { channelId: key("ch", 3), topic: text }) },
  { weight: 4, arbitrary: draft("JOIN_CHANNEL", { userId: key("u", 4), channelId: key("ch", 3), role: opt(fc.constantFrom("member", "admin")) }) },
  { weight: 1, arbitrary: draft("LEAVE_CHANNEL", { userId: key("u", 4), channelId: key("ch", 3) }) },
  { weight: 5, arbitrary: draft("SEND_MESSAGE", { id: key("m", 6), channelId: key("ch", 3), authorId: key("u", 4), body: text }) },
  { weight: 2, arbitrary: draft("EDIT_MESSAGE", { id: key("m", 6), authorId: key("u", 4), body: text }) },
  { weight: 1, arbitrary: draft("DELETE_MESSAGE", { id: key("m", 6) }) },
  { weight: 1, arbitrary: draft("PURGE_MESSAGE", { id: key("m", 6) }) },
  { weight: 1, arbitrary: draft("CLEAR_CHANNEL", { channelId: key("ch", 3) }) },
  { weight: 1, arbitrary: draft("DELETE_CHANNEL", { id: key("ch", 3) }) },
  { weight: 1, arbitrary: draft("MARK_REGULAR", { userId: key("u", 4), min: fc.integer({ min: 0, max: 2 }) }) },
);

const taskEvent: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 2, arbitrary: draft("CREATE_PROJECT", { id: key("pr", 2), name: text }) },
  { weight: 2, arbitrary: draft("ADD_PERSON", { id: key("pe", 3), name: text }) },
  { weight: 4, arbitrary: draft("CREATE_TASK", { id: key("t", 10), projectId: key("pr", 2), title: text, points: opt(fc.integer({ min: 0, max: 5 })) }) },
  { weight: 3, arbitrary: draft("ADD_DEPENDENCY", { taskId: key("t", 10), dependsOn: key("t", 10) }) },
  { weight: 1, arbitrary: draft("REMOVE_DEPENDENCY", { taskId: key("t", 10), dependsOn: key("t", 10) }) },
  { weight: 3, arbitrary: draft("ASSIGN_TASK", { taskId: key("t", 10), personId: key("pe", 3) }) },
  { weight: 1, arbitrary: draft("UNASSIGN_TASK", { taskId: key("t", 10) }) },
  { weight: 2, arbitrary: draft("COMPLETE_TASK", { id: key("t", 10) }) },
  { weight: 1, arbitrary: draft("DELETE_TASK", { id: key("t", 10) }) },
  { weight: 1, arbitrary: draft("BUMP_BLOCKERS", { id: key("t", 10) }) },
);

/** How the batched replica picks between batch and single statements for each group. */
type Mode = "batch" | "probe" | "measured";
const realChoose = ApplyStrategy.prototype.choose;
function forceStrategy(mode: Mode): void {
  ApplyStrategy.prototype.choose =
    mode === "measured"
      ? realChoose
      : (_template: unknown, n: number, batchable: boolean): RunPlan =>
          !batchable || n < 2 ? { how: "single", probeSingle: 0 } : { how: "batch", probeSingle: mode === "probe" ? 1 : 0 };
}

/** Batch statements run by the batched replicas (counted where the strategy records them). */
const batchStatements = { n: 0 };
const realRecord = ApplyStrategy.prototype.record;
ApplyStrategy.prototype.record = function (this: ApplyStrategy, template: unknown, how, events, ms) {
  if (how === "batch") batchStatements.n++;
  realRecord.call(this, template, how, events, ms);
};
const open: Replica[] = [];
// Replicas on disk, in RAM where there is a tmpfs: after a rollback of in-place updates a replica
// reopens its database (a Kuzu 0.11 workaround, packages/replica/src/reopen.ts), which takes a
// millisecond on disk but an export and import in memory (replica.test.ts covers that case); and
// one-at-a-time apply is one fsync per event on a real disk.
const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "batched-apply-"));
let opened = 0;
/** Close the replicas of a history and delete their files: a long `FUZZ_RUNS` run must not fill RAM. */
async function release(): Promise<void> {
  for (const r of open.splice(0)) {
    await r.close();
    if (r.path !== null) rmSync(dirname(r.path), { recursive: true, force: true });
  }
}
afterEach(async () => {
  ApplyStrategy.prototype.choose = realChoose;
  await release();
});
afterAll(() => {
  ApplyStrategy.prototype.record = realRecord;
  rmSync(dir, { recursive: true, force: true });
});

async function replica(registry: TemplateRegistry): Promise<Replica> {
  const r = await Replica.open({ path: join(dir, `r${++opened}`, "db") });
  open.push(r);
  await r.install(registry.toWire());
  return r;
}

function sequence(drafts: readonly Draft[], duplicates: readonly boolean[], registry: TemplateRegistry): SequencedEvent[] {
  return drafts.map(([template, params], i) => {
    const v = template === "RAW_DML" || !registry.has(template) ? { ok: true as const, params } : registry.validate(template, params);
    if (!v.ok) throw new Error(`generated an invalid ${template}: ${v.message}`);
    const e: SequencedEvent = { id: `e${i}`, template, params: v.params, clientId: "fuzz", timestamp: 0, seq: i + 1, serverTimestamp: 0 };
    return duplicates[i] && i > 0 ? { ...e, duplicateOf: 1 } : e;
  });
}

/**
 * A history every run starts with (fast-check's `examples`): a batchable pair of one template and
 * an event that fails, so failures and batch statements are exercised whatever the random draws.
 */
const seeded = (template: string): Draft[] => [
  [template, { id: "k0", name: "a" }],
  [template, { id: "k1", name: "b" }],
  ["NO_SUCH_TEMPLATE", {}],
];

const cases: [string, TemplateRegistry, fc.Arbitrary<Draft>, Draft[]][] = [
  ["example", exampleRegistry, exampleEvent, seeded("CREATE_USER")],
  ["chat", chatRegistry, chatEvent, seeded("CREATE_USER")],
  ["task tracker", taskRegistry, taskEvent, seeded("ADD_PERSON")],
];

describe("batched apply equals one event at a time", () => {
  for (const [name, registry, event, example] of cases) {
    test(
      `${name} registry: same graph, same outcomes`,
      async () => {
        const seen = { events: 0, failed: 0, batches: 0 };
        await fc.assert(
          fc.asyncProperty(
            fc.array(event, { minLength: 1, maxLength: 120, size: "max" }),
            fc.array(fc.integer({ min: 0, max: 19 }).map((n) => n === 0), { maxLength: 120, size: "max" }),
            // Two batched replicas per history, each with its own windows and strategy.
            fc.array(fc.tuple(fc.array(fc.integer({ min: 1, max: 80 }), { minLength: 1, maxLength: 5 }), fc.constantFrom<Mode>("batch", "probe", "measured")), {
              minLength: 2,
              maxLength: 2,
            }),
            async (drafts, duplicates, variants) => {
              const events = sequence(drafts, duplicates, registry);
              const oneByOne = await replica(registry);
              const expected: ApplyOutcome[] = [];
              for (const e of events) expected.push(...(await oneByOne.apply([e])));
              const graph = await dumpGraph(oneByOne, registry.schema);
              for (const [windows, mode] of variants) {
                const batched = await replica(registry);
                const outcomes: ApplyOutcome[] = [];
                forceStrategy(mode);
                try {
                  for (let i = 0, w = 0; i < events.length; w++) {
                    const size = windows[w % windows.length]!;
                    outcomes.push(...(await batched.apply(events.slice(i, i + size))));
                    i += size;
                  }
                } finally {
                  ApplyStrategy.prototype.choose = realChoose;
                }
                expect(outcomes).toEqual(expected);
                expect(batched.appliedSeq).toBe(events.length);
                expect(await dumpGraph(batched, registry.schema)).toEqual(graph);
              }
              seen.events += events.length;
              seen.failed += expected.filter((o) => !o.ok).length;
              await release();
            },
          ),
          { numRuns: fuzzRuns(4), examples: [[example, [], [[[80], "batch"], [[1, 2], "probe"]]]] },
        );
        // The histories did exercise failures and batch statements (the example history has both).
        expect(seen.failed).toBeGreaterThan(0);
        expect(batchStatements.n).toBeGreaterThan(0);
      },
      fuzzTimeout(),
    );
  }
});
