import { expect, test } from "bun:test";
import { exampleRegistry, type SequencedEvent } from "@kuzu-sync/protocol";
import { Replica } from "./replica.ts";

test("overlapping queries while events are applied: each gets its rows (two statements at once on one Kuzu connection crash Bun)", async () => {
  const replica = await Replica.open();
  try {
    await replica.install(exampleRegistry.toWire());
    let seq = 0;
    const ev = (template: string, params: Record<string, unknown>): SequencedEvent => ({ id: `e${++seq}`, template, params, clientId: "c", timestamp: 0, seq, serverTimestamp: 0 });
    await replica.apply([ev("CREATE_USER", { id: "a", name: "A" }), ev("INCREMENT_COUNTER", { counterId: "c", amount: 0 })]);
    for (let i = 1; i <= 100; i++) {
      const reads = [1, 2, 3].map(() => replica.query("MATCH (c:Counter {id: 'c'}) RETURN c.value AS v"));
      await replica.apply([ev("INCREMENT_COUNTER", { counterId: "c", amount: 1 })]);
      for (const rows of await Promise.all(reads)) expect([i - 1, i]).toContain(rows[0]!["v"] as number);
    }
    expect(await replica.query("MATCH (c:Counter {id: 'c'}) RETURN c.value AS v")).toEqual([{ v: 100 }]);
  } finally {
    await replica.close();
  }
});
