import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Subscription } from "nats";
import type { SequencedEvent } from "@kuzu-sync/protocol";
import { ClientPool } from "./support/clients.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";
import { getJson, natsClient } from "./support/jetstream.ts";
import { FIRST_CLIENT_SEQ, headAfter, REGISTRY_EVENT } from "./support/log-start.ts";
import { NatsServer } from "./support/nats-server.ts";

// These tests start real nats-server and gateway processes (bunfig has no test timeout setting).
setDefaultTimeout(60_000);

/** Collects what a plain NATS subscriber receives on `kuzu-sync.events.>`. */
function collect(sub: Subscription): { events: SequencedEvent[]; subjects: string[]; until: (n: number) => Promise<void> } {
  const events: SequencedEvent[] = [];
  const subjects: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  void (async () => {
    for await (const m of sub) {
      events.push(m.json<SequencedEvent>());
      subjects.push(m.subject);
      for (const w of waiters.splice(0)) if (events.length >= w.n) w.resolve();
      else waiters.push(w);
    }
  })();
  return {
    events,
    subjects,
    until: (n) => (events.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

describe("publishing committed events on NATS", () => {
  test("embedded log: a plain subscriber receives every committed event once, in order, on kuzu-sync.events.<TEMPLATE>", async () => {
    await using nats = await NatsServer.start();
    await using nc = await natsClient(nats.url);
    const got = collect(nc.subscribe("kuzu-sync.events.>"));
    await nc.flush();
    await using gw = await startGatewayProcess({ args: ["--nats-url", nats.url] });
    await using pool = new ClientPool();
    const a = await pool.connect(gw.url);
    const b = await pool.connect(gw.url);
    const sends: Promise<{ seq: number }>[] = [];
    for (let i = 0; i < 100; i++) {
      sends.push(a.executeTemplate("INCREMENT_COUNTER", { counterId: "c" }));
      sends.push(b.executeTemplate("CREATE_USER", { id: `u${i}`, name: "n" }));
    }
    const acks = await Promise.all(sends);
    await got.until(200);
    // The gateway's genesis registry event (seq 1, before any write) is not published: DML events only.
    expect(got.events.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => FIRST_CLIENT_SEQ + i));
    expect(got.subjects).not.toContain(`kuzu-sync.events.${REGISTRY_EVENT.template}`);
    expect(new Set(got.events.map((e) => e.id)).size).toBe(200);
    expect(got.subjects.every((s, i) => s === `kuzu-sync.events.${got.events[i]!.template}`)).toBe(true);
    expect(new Set(acks.map((x) => x.seq))).toEqual(new Set(got.events.map((e) => e.seq)));
    expect(got.events.find((e) => e.template === "CREATE_USER")).toMatchObject({ params: { id: expect.any(String), name: "n" }, serverTimestamp: expect.any(Number) });
    const health = await getJson<{ nats: { connected: boolean; published: number; dropped: number } }>(gw.httpUrl, "/health");
    expect(health.nats).toEqual({ connected: true, published: 200, dropped: 0 });
  });

  test("embedded log: NATS down never blocks or fails acknowledgements", async () => {
    await using nats = await NatsServer.start();
    await using gw = await startGatewayProcess({ args: ["--nats-url", nats.url] });
    await using pool = new ClientPool();
    const a = await pool.connect(gw.url);
    await a.executeTemplate("INCREMENT_COUNTER", { counterId: "c" });
    await nats.kill();
    await gw.waitForLine(/NATS connection lost/);
    const acks = await Promise.all(Array.from({ length: 50 }, () => a.executeTemplate("INCREMENT_COUNTER", { counterId: "c" })));
    const head = headAfter(1 + 50);
    expect(Math.max(...acks.map((x) => x.seq))).toBe(head);
    expect(await getJson<{ status: string }>(gw.httpUrl, "/health")).toMatchObject({ status: "ok", headSeq: head, nats: { connected: false } });
  });

  test("JetStream log with two gateways: each committed event is published once, by the gateway that appended it", async () => {
    await using nats = await NatsServer.start();
    await using nc = await natsClient(nats.url);
    const got = collect(nc.subscribe("kuzu-sync.events.>"));
    await nc.flush();
    const args = ["--log", "jetstream", "--nats-url", nats.url];
    await using gw1 = await startGatewayProcess({ args });
    await using gw2 = await startGatewayProcess({ args });
    await using pool = new ClientPool();
    const a = await pool.connect(gw1.url);
    const b = await pool.connect(gw2.url);
    const sends: Promise<{ seq: number }>[] = [];
    for (let i = 0; i < 60; i++) {
      sends.push(a.executeTemplate("INCREMENT_COUNTER", { counterId: "a" }));
      sends.push(b.executeTemplate("INCREMENT_COUNTER", { counterId: "b" }));
    }
    await Promise.all(sends);
    await got.until(120);
    // The genesis registry event both gateways started on is published by neither.
    expect(got.events.map((e) => e.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 120 }, (_, i) => FIRST_CLIENT_SEQ + i));
    expect(got.subjects).not.toContain(`kuzu-sync.events.${REGISTRY_EVENT.template}`);
    // Each gateway publishes its own events in stream order.
    for (const clientId of [a.clientId, b.clientId]) {
      const seqs = got.events.filter((e) => e.clientId === clientId).map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(seqs.length).toBe(60);
    }
  });
});
