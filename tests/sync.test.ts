import { describe, expect, test } from "bun:test";
import { ClientPool, graphState } from "./support/clients.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";
import { FIRST_CLIENT_SEQ, headAfter } from "./support/log-start.ts";

describe("two replicas through one gateway", () => {
  test("converge after mixed templates", async () => {
    await using gw = await startGatewayProcess();
    await using pool = new ClientPool();
    const a = await pool.connect(gw.url);
    const b = await pool.connect(gw.url);
    const applied: number[] = [];
    b.on("event", (e) => applied.push(e.seq));

    await a.executeTemplate("CREATE_USER", { id: "u1", name: "Alice", email: "a@example.com" });
    await b.executeTemplate("CREATE_USER", { id: "u2", name: "Bob" });
    await a.executeTemplate("FOLLOW_USER", { followerId: "u1", targetId: "u2" });
    await b.executeTemplate("CREATE_POST", { id: "p1", authorId: "u2", content: "hello" });
    await a.executeTemplate("INCREMENT_COUNTER", { counterId: "c" });
    await b.executeTemplate("INCREMENT_COUNTER", { counterId: "c", amount: 41 });
    await a.executeTemplate("UPDATE_USER", { id: "u2", email: "b@example.com" });
    await b.executeTemplate("CREATE_POST", { id: "p2", authorId: "u1", content: "bye" });
    await a.executeTemplate("DELETE_POST", { id: "p2" });
    const { seq } = await b.executeTemplate("UNFOLLOW_USER", { followerId: "u1", targetId: "u2" });
    await a.waitForSeq(seq);
    await b.waitForSeq(seq);

    const state = await graphState(a);
    expect(await graphState(b)).toEqual(state);
    expect(state).toEqual({
      users: [
        { id: "u1", name: "Alice", email: "a@example.com" },
        { id: "u2", name: "Bob", email: "b@example.com" },
      ],
      posts: [{ id: "p1", authorId: "u2", content: "hello" }],
      counters: [{ id: "c", value: 42 }],
      follows: [],
      authored: [{ x: "u2", y: "p1" }],
    });
    // The ten writes, in order, after the log's genesis registry event (not an `event`).
    expect(applied).toEqual(Array.from({ length: 10 }, (_, i) => FIRST_CLIENT_SEQ + i));

    const stats = a.getDMLStats();
    expect(stats).toMatchObject({ sent: 5, received: 10, applied: 10, failed: 0, clientId: a.clientId });
    expect(a.getDetailedStatsByTemplate()["INCREMENT_COUNTER"]).toEqual({ sent: 1, received: 2, applied: 2, failed: 0, successRate: 100 });

    const health = (await (await fetch(`${gw.httpUrl}/health`)).json()) as { headSeq: number };
    expect(health.headSeq).toBe(headAfter(10));
    const serverStats = (await (await fetch(`${gw.httpUrl}/stats`)).json()) as { events: { total: number; byTemplate: Record<string, number> }; connectedClients: number };
    expect(serverStats.events.total).toBe(10); // DML events: the registry event is not counted
    expect(serverStats.events.byTemplate["CREATE_USER"]).toBe(2);
    expect(serverStats.connectedClients).toBe(2);
  });

  test("concurrent writers on the same ids converge on every replica", async () => {
    await using gw = await startGatewayProcess();
    await using pool = new ClientPool();
    const writers = await Promise.all([0, 1, 2].map(() => pool.connect(gw.url)));
    const sends: Promise<{ seq: number }>[] = [];
    for (let i = 0; i < 60; i++) {
      for (const [w, c] of writers.entries()) {
        sends.push(c.executeTemplate("CREATE_USER", { id: `u${i % 5}`, name: `w${w}-${i}` }));
        sends.push(c.executeTemplate("INCREMENT_COUNTER", { counterId: `c${i % 3}`, amount: w + 1 }));
        if (i % 7 === 0) sends.push(c.executeTemplate("DELETE_USER", { id: `u${(i + w) % 5}` }));
      }
    }
    const acks = await Promise.all(sends);
    const head = Math.max(...acks.map((a) => a.seq));
    expect(new Set(acks.map((a) => a.seq)).size).toBe(acks.length);
    expect(head).toBe(headAfter(acks.length));
    const late = await pool.connect(gw.url); // a fourth replica built purely from catch-up
    for (const c of [...writers, late]) await c.waitForSeq(head);
    const states = await Promise.all([...writers, late].map(graphState));
    for (const s of states.slice(1)) expect(s).toEqual(states[0]);
    const counters = (states[0] as { counters: { value: number }[] }).counters;
    expect(counters.reduce((sum, c) => sum + c.value, 0)).toBe(60 * (1 + 2 + 3));
  });
});
