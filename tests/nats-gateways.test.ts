import { describe, expect, test, setDefaultTimeout } from "bun:test";
import type { SyncClient } from "@kuzu-sync/client";
import { ClientPool, graphState } from "./support/clients.ts";
import { startGatewayProcess, tempDir } from "./support/gateway-process.ts";
import { waitForReplica } from "./support/health.ts";
import { getJson, serverReplicaState, streamContents } from "./support/jetstream.ts";
import { FIRST_CLIENT_SEQ, GENESIS_SEQ, headAfter, isRegistryEventId } from "./support/log-start.ts";
import { NatsServer } from "./support/nats-server.ts";
import { Resources } from "./support/resources.ts";

// These tests start real nats-server and gateway processes (bunfig has no test timeout setting).
setDefaultTimeout(60_000);

const STREAM = "KUZU_SYNC_EVENTS";

/** Every (seq, id, duplicateOf) a client applied, in order. */
function recordOrder(client: SyncClient): [number, string][] {
  const order: [number, string][] = [];
  client.on("event", (e) => order.push([e.seq, e.id]));
  return order;
}

describe("JetStream log shared by several gateways", () => {
  test("clients on two gateways write concurrently: one order, identical replicas and server replicas", async () => {
    await using nats = await NatsServer.start();
    using dir1 = tempDir();
    using dir2 = tempDir();
    const args = ["--log", "jetstream", "--nats-url", nats.url];
    await using gw1 = await startGatewayProcess({ args, dataDir: dir1.path, keepDataDir: true });
    await using gw2 = await startGatewayProcess({ args, dataDir: dir2.path, keepDataDir: true });
    await using pool = new ClientPool();
    const a = await pool.connect(gw1.url);
    const b = await pool.connect(gw2.url);
    const c = await pool.connect(gw2.url);
    const orders = [a, b, c].map(recordOrder);
    const sends: Promise<{ seq: number }>[] = [];
    for (let i = 0; i < 100; i++) {
      for (const [w, client] of [a, b, c].entries()) {
        sends.push(client.executeTemplate("CREATE_USER", { id: `u${i % 7}`, name: `w${w}-${i}` }));
        sends.push(client.executeTemplate("INCREMENT_COUNTER", { counterId: `c${i % 3}`, amount: w + 1 }));
        if (i % 9 === 0) sends.push(client.executeTemplate("DELETE_USER", { id: `u${(i + w) % 7}` }));
      }
    }
    const acks = await Promise.all(sends);
    const written = acks.length;
    const head = headAfter(written);
    expect(new Set(acks.map((x) => x.seq)).size).toBe(written);
    expect(Math.max(...acks.map((x) => x.seq))).toBe(head);
    for (const client of [a, b, c]) await client.waitForSeq(head);
    // One order: every client applied the same ids at the same seqs, after the genesis up to head with no gap.
    expect(orders[0]!.map(([seq]) => seq)).toEqual(Array.from({ length: written }, (_, i) => FIRST_CLIENT_SEQ + i));
    expect(orders[1]).toEqual(orders[0]!);
    expect(orders[2]).toEqual(orders[0]!);
    // The stream: the registry's genesis (stored once though both gateways started on it empty), then that order.
    const stream = await streamContents(nats.url, STREAM);
    expect(stream[0]!.seq).toBe(GENESIS_SEQ);
    expect(isRegistryEventId(stream[0]!.id)).toBe(true);
    expect(stream.slice(1).map((m) => [m.seq, m.id])).toEqual(orders[0]!);

    const state = await graphState(a);
    expect(await graphState(b)).toEqual(state);
    expect(await graphState(c)).toEqual(state);
    const counters = (state as { counters: { value: number }[] }).counters;
    expect(counters.reduce((sum, x) => sum + x.value, 0)).toBe(100 * (1 + 2 + 3));

    const late = await pool.connect(gw1.url); // built purely from catch-up
    expect(await graphState(late)).toEqual(state);

    for (const gw of [gw1, gw2]) {
      const stats = await getJson<{ headSeq: number; events: { total: number } }>(gw.httpUrl, "/stats");
      expect(stats.headSeq).toBe(head);
      expect(stats.events.total).toBe(written); // client events: the registry event is not counted
      await waitForReplica(gw, head);
    }
    await gw2.stop();
    await gw1.stop();
    for (const d of [dir1.path, dir2.path]) expect(await serverReplicaState(d)).toEqual({ appliedSeq: head, state });
  });

  test("a gateway killed with SIGKILL resumes from the stream, including what others wrote meanwhile", async () => {
    await using nats = await NatsServer.start();
    using dir = tempDir();
    const args = ["--log", "jetstream", "--nats-url", nats.url];
    await using other = await startGatewayProcess({ args });
    await using started = new Resources();
    let gw = started.use(await startGatewayProcess({ args, dataDir: dir.path, keepDataDir: true }));
    await using pool = new ClientPool();
    const writer = await pool.connect(gw.url);
    const bystander = await pool.connect(other.url);
    const all: Promise<{ seq: number }>[] = [];
    for (let i = 1; i <= 300; i++) {
      all.push(writer.executeTemplate("INCREMENT_COUNTER", { counterId: "c", amount: i }));
      if (i === 120) {
        await Promise.all(all.slice(0, 40));
        await gw.kill();
        // Others keep writing through the second gateway while this one is down.
        for (let j = 0; j < 50; j++) all.push(bystander.executeTemplate("INCREMENT_COUNTER", { counterId: "d" }));
        await Promise.all(all.slice(-50));
        gw = started.use(await startGatewayProcess({ args, dataDir: dir.path, port: gw.port, keepDataDir: true }));
      }
    }
    const acks = await Promise.all(all); // the writer's outbox resends what the crash cut off
    const head = Math.max(...acks.map((x) => x.seq));
    expect(head).toBe(headAfter(350));
    // Every event exactly once (and the genesis once: the restarted gateway found it in the stream).
    const stream = await streamContents(nats.url, STREAM);
    expect(stream.length).toBe(head);
    expect(new Set(stream.map((m) => m.id)).size).toBe(head);
    expect(stream.filter((m) => isRegistryEventId(m.id)).map((m) => m.seq)).toEqual([GENESIS_SEQ]);
    await writer.waitForSeq(head);
    await bystander.waitForSeq(head);
    expect(await writer.query("MATCH (c:Counter) RETURN c.id AS id, c.value AS v ORDER BY id")).toEqual([
      { id: "c", v: (300 * 301) / 2 },
      { id: "d", v: 50 },
    ]);
    expect(await graphState(bystander)).toEqual(await graphState(writer));
    const health = await getJson<{ headSeq: number }>(gw.httpUrl, "/health");
    expect(health.headSeq).toBe(head);
    await waitForReplica(gw, head);
  });
});
