import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { ClientPool, graphState } from "./support/clients.ts";
import { startGatewayProcess, tempDir } from "./support/gateway-process.ts";
import { getJson, natsClient, serverReplicaAt, serverReplicaState, streamContents, warnings, withDeadline } from "./support/jetstream.ts";
import { NatsCluster, NatsServer } from "./support/nats-server.ts";
import { makeEvent, RawSocket } from "./support/raw-socket.ts";

// These tests start real nats-server and gateway processes (bunfig has no test timeout setting).
setDefaultTimeout(60_000);

const STREAM = "KUZU_SYNC_EVENTS";

describe("NATS outages in JetStream mode", () => {
  test("nats-server killed and restarted mid-stream: writes are refused meanwhile, then resume; nothing lost or duplicated", async () => {
    await using nats = await NatsServer.start();
    await using gw = await startGatewayProcess({ args: ["--log", "jetstream", "--nats-url", nats.url] });
    await using pool = new ClientPool();
    const writer = await pool.connect(gw.url);
    const reader = await pool.connect(gw.url);
    const acked = new Map<string, number>();
    const all: Promise<void>[] = [];
    const send = (i: number) =>
      all.push(writer.executeTemplate("INCREMENT_COUNTER", { counterId: "c", amount: i }).then(({ seq }) => void acked.set(`c${i}`, seq)));
    for (let i = 1; i <= 100; i++) send(i);
    await Promise.all(all.slice(0, 30));
    await nats.kill();
    await gw.waitForLine(/NATS connection lost/);
    // Writes during the outage: the outbox keeps resending them after LOG_UNAVAILABLE.
    for (let i = 101; i <= 200; i++) send(i);
    {
      await using raw = (await RawSocket.hello(gw.url)).socket;
      const probe = makeEvent("CREATE_USER", { id: "probe", name: "p" });
      raw.send({ type: "event", event: probe });
      expect(await raw.nextOfType("reject")).toMatchObject({ id: probe["id"], code: "LOG_UNAVAILABLE", retryable: true });
    }
    expect(acked.size).toBeLessThan(200);
    await nats.restart();
    for (let i = 201; i <= 300; i++) send(i);
    await Promise.all(all);

    const stream = await streamContents(nats.url, STREAM);
    expect(stream.length).toBe(300);
    expect(new Set(stream.map((m) => m.id)).size).toBe(300);
    expect(Math.max(...acked.values())).toBe(300);
    await writer.waitForSeq(300);
    await reader.waitForSeq(300);
    expect(await reader.query("MATCH (c:Counter) RETURN c.value AS v")).toEqual([{ v: (300 * 301) / 2 }]);
    expect(await graphState(reader)).toEqual(await graphState(writer));
    expect(writer.getDMLStats()).toMatchObject({ sent: 300, failed: 0 });
    const health = await getJson<{ headSeq: number; nats: { connected: boolean } }>(gw.httpUrl, "/health");
    expect(health).toMatchObject({ headSeq: 300, nats: { connected: true } });
  });

  test("3-node cluster, stream with 3 replicas: kill -9 the stream leader while events flow; no acknowledged event lost", async () => {
    await using cluster = await NatsCluster.start(3);
    using dir = tempDir();
    const gw = await startGatewayProcess({ dataDir: dir.path, keepDataDir: true, args: ["--log", "jetstream", "--nats-url", cluster.urls, "--stream-replicas", "3"] });
    try {
      await using pool = new ClientPool();
      const writer = await pool.connect(gw.url);
      const first = await Promise.all(Array.from({ length: 150 }, (_, i) => writer.executeTemplate("INCREMENT_COUNTER", { counterId: "c", amount: i + 1 })));
      let leaderName: string | undefined;
      {
        await using nc = await natsClient(cluster.urls);
        const info = await (await nc.jetstreamManager()).streams.info(STREAM);
        expect(info.config.num_replicas).toBe(3);
        leaderName = info.cluster?.leader;
      }
      const leader = cluster.nodes.find((n) => n.name === leaderName);
      expect(leader).toBeDefined();
      const more = Promise.all(Array.from({ length: 150 }, (_, i) => writer.executeTemplate("INCREMENT_COUNTER", { counterId: "c", amount: i + 151 })));
      await leader!.kill();
      const diagnose = () => `writer pending ${writer.pendingCount}, applied ${writer.lastAppliedSeq}; gateway:\n${warnings(gw.output)}`;
      const acks = [...first, ...(await withDeadline(more, 30_000, diagnose))];

      const head = Math.max(...acks.map((x) => x.seq));
      expect(new Set(acks.map((x) => x.seq)).size).toBe(300);
      await writer.waitForSeq(head);
      // Each acknowledged event took effect exactly once.
      expect(await writer.query("MATCH (c:Counter) RETURN c.value AS v")).toEqual([{ v: (300 * 301) / 2 }]);
      const survivors = cluster.nodes.filter((n) => n.running).map((n) => n.url).join(",");
      const stored = new Map((await streamContents(survivors, STREAM)).map((m) => [m.seq, m.id]));
      for (const { seq } of acks) expect(stored.has(seq)).toBe(true);
      // The gateway's own replica converged on the same graph.
      await serverReplicaAt(gw, head);
      const state = await graphState(writer);
      await gw.stop();
      expect(await serverReplicaState(dir.path)).toEqual({ appliedSeq: head, state });
    } finally {
      await gw.stop();
    }
  });
});
