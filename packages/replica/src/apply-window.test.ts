import { describe, expect, test } from "bun:test";
import type { SequencedEvent } from "@kuzu-sync/protocol";
import type { PlanTemplate } from "./apply-plan.ts";
import { ApplyStrategy, type RunPlan } from "./apply-strategy.ts";
import { WindowRolledBack, applyWindow, type WindowExecutor } from "./apply-window.ts";

interface T extends PlanTemplate {
  readonly name: string;
}
const p = (param: string) => ({ param });
const ADD: T = { name: "ADD", accesses: [{ write: true, table: "ITEM", key: [p("id")] }], batchKeys: ["id"] };

/** A pretend Kuzu: an event with `bad: true` fails, alone or in a batch; everything is logged. */
function fakeExecutor(always: RunPlan["how"]): WindowExecutor<T> & { log: string[]; committed: number[] } {
  const strategy = new ApplyStrategy<T>();
  strategy.choose = (_t, n) => (n < 2 ? { how: "single", probeSingle: 0 } : { how: always, probeSingle: 0 });
  let pending: number[] = [];
  const x = {
    log: [] as string[],
    committed: [] as number[],
    maxRows: 100,
    strategy,
    templateOf: () => ADD,
    hasBatch: () => true,
    begin: async () => void x.log.push("begin"),
    single: async (_t: T, e: SequencedEvent) => {
      x.log.push(`single ${e.seq}`);
      if (e.params["bad"]) throw new Error(`event ${e.seq} is bad`);
      pending.push(e.seq);
    },
    batch: async (_t: T, events: readonly SequencedEvent[]) => {
      x.log.push(`batch ${events.map((e) => e.seq).join(",")}`);
      if (events.some((e) => e.params["bad"])) throw new Error("a row is bad");
      pending.push(...events.map((e) => e.seq));
    },
    commit: async (last: number) => {
      x.log.push(`commit ${last}`);
      x.committed.push(...pending);
      pending = [];
    },
    rollback: async () => {
      x.log.push("rollback");
      pending = [];
    },
    deterministic: (cause: unknown) => String(cause).includes("is bad"),
  };
  return x;
}

let seq = 0;
const ev = (id: string, bad = false): SequencedEvent => ({ id: `e${++seq}`, template: "ADD", params: { id, bad }, clientId: "c", timestamp: 0, seq, serverTimestamp: 0 });

describe("applyWindow", () => {
  test("a failing batch statement rolls back and names the last event of its group: up to there, one event at a time", async () => {
    seq = 0;
    const events = [ev("a"), ev("b"), ev("c", true), ev("d"), ev("a"), ev("e")];
    const x = fakeExecutor("batch");
    const rolledBack = await applyWindow(x, events, 6).catch((e: unknown) => e);
    expect(rolledBack).toBeInstanceOf(WindowRolledBack);
    expect((rolledBack as WindowRolledBack).upTo).toBe(6); // the group of the first layer: 1,2,3,4,6
    expect(x.committed).toEqual([]);
    expect(x.log).toEqual(["begin", "batch 1,2,3,4,6", "rollback"]);
  });

  test("a failing single statement names its event at once: one rollback, nothing committed", async () => {
    seq = 0;
    const x = fakeExecutor("single");
    const rolledBack = await applyWindow(x, [ev("a"), ev("b", true), ev("c")], 3).catch((e: unknown) => e);
    expect(rolledBack).toBeInstanceOf(WindowRolledBack);
    expect((rolledBack as WindowRolledBack).upTo).toBe(2);
    expect(String((rolledBack as WindowRolledBack).cause)).toMatch(/event 2 is bad/);
    expect(x.log).toEqual(["begin", "single 1", "single 2", "rollback"]);
    expect(x.committed).toEqual([]);
  });

  test("a window without failures is one transaction", async () => {
    seq = 0;
    const x = fakeExecutor("batch");
    await applyWindow(x, [ev("a"), ev("b"), ev("a")], 3);
    expect(x.log).toEqual(["begin", "batch 1,2", "single 3", "commit 3"]);
    expect(x.committed).toEqual([1, 2, 3]);
  });

  test("a failure that is no event's (the commit) is thrown after a rollback", async () => {
    seq = 0;
    const x = fakeExecutor("batch");
    x.commit = async () => {
      throw new Error("disk full");
    };
    await expect(applyWindow(x, [ev("a"), ev("b")], 2)).rejects.toThrow(/disk full/);
    expect(x.log.at(-1)).toBe("rollback");
  });

  test("an event's failure that is not the statement's (the engine's) is thrown after a rollback, never recorded as the event's", async () => {
    seq = 0;
    const x = fakeExecutor("batch");
    const single = x.single;
    x.single = async (t, e) => {
      if (e.seq === 2) throw new Error("IO exception: Cannot write to file");
      return single(t, e);
    };
    // 2's failure is the engine's, not the statement's.
    const events = [ev("a"), ev("b", true), ev("c")];
    x.strategy.choose = () => ({ how: "single", probeSingle: 0 });
    await expect(applyWindow(x, events, 3)).rejects.toThrow(/IO exception/);
    expect(x.log.at(-1)).toBe("rollback");
    expect(x.committed).toEqual([]);
  });
});
