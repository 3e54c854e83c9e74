/**
 * The aggregate cache through the real gateway process: exact under concurrent writers and resends,
 * across SIGTERM and SIGKILL restarts, equal to what the replicas' graphs say, over HTTP and the socket.
 */
import { describe, expect, test } from "bun:test";
import { ClientPool } from "./support/clients.ts";
import { fromGraph, httpValues, writeMix } from "./support/aggregate-mix.ts";
import { startGatewayProcess, tempDir } from "./support/gateway-process.ts";
import { RawSocket } from "./support/raw-socket.ts";

describe("aggregate cache", () => {
  test("exact under concurrent writers and resends, over HTTP and the socket, and after SIGTERM and SIGKILL restarts", async () => {
    using dir = tempDir("aggregates-");
    await using pool = new ClientPool();

    let gw = await startGatewayProcess({ dataDir: dir.path, keepDataDir: true });
    try {
      const writers = await Promise.all([0, 1, 2].map(() => pool.connect(gw.url)));
      let { head } = await writeMix(writers, 40, 1);
      const reader = await pool.connect(gw.url);
      await reader.waitForSeq(head);
      const expected = await fromGraph(reader);
      expect(Object.keys(expected.counters).length).toBeGreaterThan(0);
      expect(Object.keys(expected.postsByAuthor).length).toBeGreaterThan(0);

      const counters = await httpValues(gw.httpUrl, "counters");
      expect(counters).toEqual({ name: "counters", seq: head, fromSeq: 1, values: expected.counters });
      expect((await httpValues(gw.httpUrl, "postsByAuthor")).values).toEqual(expected.postsByAuthor);
      expect(await reader.getAggregate("counters")).toEqual(expected.counters);
      expect(await reader.getAggregate("postsByAuthor")).toEqual(expected.postsByAuthor);
      for (const [key, value] of Object.entries(expected.counters)) {
        expect(await reader.getAggregate("counters", key)).toBe(value);
        const one = (await (await fetch(`${gw.httpUrl}/aggregates/counters/${key}`)).json()) as Record<string, unknown>;
        expect(one).toEqual({ name: "counters", key, seq: head, fromSeq: 1, value });
      }

      // SIGTERM restart: values are loaded from the data dir, then keep moving with new events.
      expect(await gw.stop()).toBe(0);
      gw = await startGatewayProcess({ dataDir: dir.path, keepDataDir: true });
      expect((await httpValues(gw.httpUrl, "counters")).values).toEqual(expected.counters);
      expect((await httpValues(gw.httpUrl, "postsByAuthor")).values).toEqual(expected.postsByAuthor);
      const writers2 = await Promise.all([0, 1].map(() => pool.connect(gw.url)));
      ({ head } = await writeMix(writers2, 30, 2));

      // SIGKILL right after the acks: whatever was acknowledged is in the aggregates after restart.
      await gw.kill();
      gw = await startGatewayProcess({ dataDir: dir.path, keepDataDir: true });
      const late = await pool.connect(gw.url); // a new replica, built by catch-up from the log
      await late.waitForSeq(head);
      const after = await fromGraph(late);
      expect((await httpValues(gw.httpUrl, "counters")).values).toEqual(after.counters);
      expect((await httpValues(gw.httpUrl, "postsByAuthor")).values).toEqual(after.postsByAuthor);
      expect(await late.getAggregate("postsByAuthor")).toEqual(after.postsByAuthor);
    } finally {
      await gw.stop();
    }
  });

  test("unknown names and keys: 404 with a JSON error over HTTP; NOT_FOUND or null over the socket", async () => {
    await using gw = await startGatewayProcess();
    await using pool = new ClientPool();
    const c = await pool.connect(gw.url);
    const { seq } = await c.executeTemplate("INCREMENT_COUNTER", { counterId: "a/b c", amount: 3 });

    const list = (await (await fetch(`${gw.httpUrl}/aggregates`)).json()) as { seq: number; aggregates: { name: string; groups: number }[] };
    expect(list.seq).toBe(seq);
    expect(list.aggregates.map((a) => [a.name, a.groups])).toEqual([
      ["counters", 1],
      ["postsByAuthor", 0],
    ]);
    // Keys are URL-encoded path segments.
    expect(await (await fetch(`${gw.httpUrl}/aggregates/counters/${encodeURIComponent("a/b c")}`)).json()).toMatchObject({ key: "a/b c", value: 3 });

    for (const [path, message] of [
      ["/aggregates/nope", /unknown aggregate "nope"; known: counters, postsByAuthor/],
      ["/aggregates/nope/k", /unknown aggregate "nope"/],
      ["/aggregates/counters/zz", /aggregate counters has no value for key "zz"/],
      ["/aggregates/counters/a/b", /use \/aggregates\/<name> or \/aggregates\/<name>\/<key>/],
    ] as const) {
      const res = await fetch(`${gw.httpUrl}${path}`);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toContain("application/json");
      const body = (await res.json()) as { error: string; code: string };
      expect(body.code).toBe("NOT_FOUND");
      expect(body.error).toMatch(message);
    }

    await expect(c.getAggregate("nope")).rejects.toMatchObject({ name: "SyncError", code: "NOT_FOUND" });
    await expect(pool.make(gw.url).getAggregate("counters")).rejects.toMatchObject({ code: "NOT_READY" });
    expect(await c.getAggregate("counters", "zz")).toBeNull();
    expect(await c.getAggregate("postsByAuthor")).toEqual({});

    // Over a bare socket: before hello it is NOT_READY; a malformed request is a reject naming its id.
    await using raw = await RawSocket.open(gw.url);
    raw.send({ type: "aggregate", id: "q1", name: "counters" });
    expect(await raw.next()).toMatchObject({ type: "reject", id: "q1", code: "NOT_READY" });
    await using ready = (await RawSocket.hello(gw.url, "raw-agg")).socket;
    ready.send({ type: "aggregate", id: "q2", name: "counters", key: "a/b c" });
    expect(await ready.nextOfType("aggregate")).toEqual({ type: "aggregate", id: "q2", name: "counters", key: "a/b c", seq, fromSeq: 1, value: 3 });
    ready.send({ type: "aggregate", id: "q3", name: "no such name!" });
    expect(await ready.nextOfType("reject")).toMatchObject({ id: "q3", code: "BAD_MESSAGE" });
  });
});
