import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { ClientPool, graphState } from "./support/clients.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";
import { waitForReplica } from "./support/health.ts";
import { getJson, natsClient, streamContents, warnings, withDeadline } from "./support/jetstream.ts";
import { headAfter } from "./support/log-start.ts";
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

    // 300 client events after the registry's genesis, each once.
    const head = headAfter(300);
    const stream = await streamContents(nats.url, STREAM);
    expect(stream.length).toBe(head);
    expect(new Set(stream.map((m) => m.id)).size).toBe(head);
    expect(Math.max(...acked.values())).toBe(head);
    await writer.waitForSeq(head);
    await reader.waitForSeq(head);
    expect(await reader.query("MATCH (c:Counter) RETURN c.value AS v")).toEqual([{ v: (300 * 301) / 2 }]);
    expect(await graphState(reader)).toEqual(await graphState(writer));
    expect(writer.getDMLStats()).toMatchObject({ sent: 300, failed: 0 });
    const health = await getJson<{ headSeq: number; nats: { connected: boolean } }>(gw.httpUrl, "/health");
    expect(health).toMatchObject({ headSeq: head, nats: { connected: true } });
  });

  test("3-node cluster, stream with 3 replicas: kill -9 the stream leader while events flow; no acknowledged event lost, replicas converge", async () => {
    await using cluster = await NatsCluster.start(3);
    const args = ["--log", "jetstream", "--nats-url", cluster.urls, "--stream-replicas", "3"];
    await using gw1 = await startGatewayProcess({ args });
    await using gw2 = await startGatewayProcess({ args });
    await using pool = new ClientPool();
    const a = await pool.connect(gw1.url);
    const b = await pool.connect(gw2.url);
    const write = (from: number) =>
      Promise.all(Array.from({ length: 150 }, (_, i) => (i % 2 ? a : b).executeTemplate("INCREMENT_COUNTER", { counterId: "c", amount: from + i })));
    const first = await write(1);

    let leaderName: string | undefined;
    {
      await using nc = await natsClient(cluster.urls);
      const info = await (await nc.jetstreamManager()).streams.info(STREAM);
      expect(info.config.num_replicas).toBe(3);
      leaderName = info.cluster?.leader;
    }
    const leader = cluster.nodes.find((n) => n.name === leaderName);
    expect(leader).toBeDefined();
    const more = write(151); // in flight while the leader dies; the outboxes resend what is refused
    await leader!.kill();
    const diagnose = () => `pending ${a.pendingCount} + ${b.pendingCount}\ngateway 1:\n${warnings(gw1.output)}\ngateway 2:\n${warnings(gw2.output)}`;
    const acks = [...first, ...(await withDeadline(more, 40_000, diagnose))];

    const head = Math.max(...acks.map((x) => x.seq));
    expect(new Set(acks.map((x) => x.seq)).size).toBe(300);
    const survivors = cluster.nodes.filter((n) => n.running).map((n) => n.url).join(",");
    const stored = new Set((await streamContents(survivors, STREAM)).map((m) => m.seq));
    for (const { seq } of acks) expect(stored.has(seq)).toBe(true);
    await a.waitForSeq(head);
    await b.waitForSeq(head);
    // Every acknowledged event took effect exactly once, on every replica.
    expect(await a.query("MATCH (c:Counter) RETURN c.value AS v")).toEqual([{ v: (300 * 301) / 2 }]);
    expect(await graphState(b)).toEqual(await graphState(a));
    for (const gw of [gw1, gw2]) await waitForReplica(gw, head);
  }, 90_000); // forming the cluster may take up to 40 s of it under load (see NatsCluster.start)

  test("3-node cluster, R3: kill -9 the node a gateway is connected to while thousands of events flow in events frames; every acknowledged event is at its seq, once", async () => {
    await using cluster = await NatsCluster.start(3);
    const args = ["--log", "jetstream", "--nats-url", cluster.urls, "--stream-replicas", "3", "--rate-limit", "0"];
    await using gw1 = await startGatewayProcess({ args });
    await using gw2 = await startGatewayProcess({ args });
    await using pool = new ClientPool();
    const a = await pool.connect(gw1.url);
    const b = await pool.connect(gw2.url);
    // Hundreds in flight per client: the client sends them in events frames.
    const write = (client: typeof a, prefix: string, count: number) =>
      Promise.all(Array.from({ length: count }, (_, i) => client.executeTemplate("INCREMENT_COUNTER", { counterId: `k${i % 50}`, amount: 1 }, { id: `${prefix}-${i}` }).then((ack) => ({ id: `${prefix}-${i}`, ...ack }))));
    const warm = await Promise.all([write(a, "a0", 200), write(b, "b0", 200)]);

    // The node gateway 1 talks to: from its log line.
    const line = await gw1.waitForLine(/"body":"connected to NATS"/);
    const port = Number(/"server":"[^"]*:(\d+)"/.exec(line)![1]);
    const node = cluster.nodes.find((n) => n.port === port)!;
    expect(node).toBeDefined();
    const flowing = Promise.all([write(a, "a1", 1500), write(b, "b1", 1500)]);
    await Bun.sleep(50);
    await node.kill();
    const diagnose = () => `pending ${a.pendingCount} + ${b.pendingCount}\ngateway 1:\n${warnings(gw1.output)}\ngateway 2:\n${warnings(gw2.output)}`;
    const acks = [...warm.flat(), ...(await withDeadline(flowing, 60_000, diagnose)).flat()];
    expect(acks.length).toBe(3400);

    // Every acknowledged id is in the stream at the seq its ack named, and no id twice.
    const survivors = cluster.nodes.filter((n) => n.running).map((n) => n.url).join(",");
    const stored = await streamContents(survivors, STREAM);
    const idAt = new Map(stored.map((m) => [m.seq, m.id]));
    for (const ack of acks) expect(idAt.get(ack.seq)).toBe(ack.id);
    const ids = stored.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    const head = Math.max(...acks.map((x) => x.seq));
    await a.waitForSeq(head);
    await b.waitForSeq(head);
    expect(await a.query("MATCH (c:Counter) RETURN sum(c.value) AS v")).toEqual([{ v: 3400n }]); // Kuzu sums INT64 as INT128 (a bigint)
    expect(await graphState(b)).toEqual(await graphState(a));
  }, 120_000); // forming the cluster may take up to 40 s of it under load (see NatsCluster.start)
});
