import { describe, expect, test } from "bun:test";
import { ClientPool } from "./support/clients.ts";
import { startGatewayProcess, type GatewayProcess } from "./support/gateway-process.ts";
import { headAfter } from "./support/log-start.ts";
import { openRawPeer, upgradeStatus } from "./support/raw-tcp.ts";
import { RawSocket, makeEvent } from "./support/raw-socket.ts";

async function stats(gw: GatewayProcess): Promise<{ headSeq: number; connectedClients: number; rejected: Record<string, number>; refusedUpgrades: Record<string, number> }> {
  return (await (await fetch(`${gw.httpUrl}/stats`)).json()) as never;
}

describe("per-connection rate limit", () => {
  test("past the burst, frames get RATE_LIMITED (retryable) and the connection stays", async () => {
    await using gw = await startGatewayProcess({ args: ["--rate-limit", "1", "--rate-limit-burst", "3"] });
    await using s = (await RawSocket.hello(gw.url)).socket;
    // Bad frames spend tokens too (parsing them is the cost): three use up the burst.
    for (let i = 0; i < 4; i++) s.send("{garbage");
    const events = Array.from({ length: 6 }, (_, i) => makeEvent("INCREMENT_COUNTER", { counterId: `r${i}` }));
    for (const ev of events) s.send({ type: "event", event: ev });
    const errors = [await s.nextOfType("error"), await s.nextOfType("error"), await s.nextOfType("error"), await s.nextOfType("error")];
    expect(errors.map((e) => e["code"])).toEqual(["BAD_FRAME", "BAD_FRAME", "BAD_FRAME", "RATE_LIMITED"]);
    expect(errors[3]!["message"]).toMatch(/over 1 frames\/s \(burst 3\); retry in \d+ ms/);
    const answers = new Map<string, Record<string, unknown>>();
    while (answers.size < events.length) {
      const m = await s.next();
      if (m["type"] === "ack" || m["type"] === "reject") answers.set(String(m["id"]), m);
    }
    const acked = [...answers.values()].filter((m) => m["type"] === "ack");
    const limited = [...answers.values()].filter((m) => m["type"] === "reject");
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) expect(r).toMatchObject({ code: "RATE_LIMITED", retryable: true });
    expect((await stats(gw)).headSeq).toBe(headAfter(acked.length));
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
    expect(gw.output.filter((l) => l.includes('"connection rate limited"')).length).toBeLessThan(limited.length + 1);
  });

  test("the client resends rate-limited events until each is stored exactly once", async () => {
    await using gw = await startGatewayProcess({ args: ["--rate-limit", "40", "--rate-limit-burst", "5"] });
    await using pool = new ClientPool();
    const c = await pool.connect(gw.url);
    const acks = await Promise.all(Array.from({ length: 40 }, (_, i) => c.executeTemplate("INCREMENT_COUNTER", { counterId: "limited", amount: i + 1 })));
    expect(new Set(acks.map((a) => a.seq)).size).toBe(40);
    const s = await stats(gw);
    const head = headAfter(40);
    expect(s.headSeq).toBe(head);
    expect(s.rejected["RATE_LIMITED"]).toBeGreaterThan(0);
    await c.waitForSeq(head);
    expect(await c.query("MATCH (c:Counter {id: 'limited'}) RETURN c.value AS v")).toEqual([{ v: (40 * 41) / 2 }]);
  });
});

describe("connection limit", () => {
  test("past MAX_CONNECTIONS upgrades get 503; a freed slot admits again", async () => {
    await using gw = await startGatewayProcess({ args: ["--max-connections", "3"] });
    await using a = (await RawSocket.hello(gw.url, "a")).socket;
    await using b = (await RawSocket.hello(gw.url, "b")).socket;
    const c = (await RawSocket.hello(gw.url, "c")).socket;
    const refused = await upgradeStatus(gw.port);
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("5");
    expect(JSON.parse(refused.body)).toMatchObject({ error: "UNAVAILABLE" });
    const gone = gw.waitForLine(/"client disconnected".*"clientId":"c"/);
    c.ws.close();
    await gone;
    await using d = (await RawSocket.hello(gw.url, "d")).socket;
    expect(d.ws.readyState).toBe(WebSocket.OPEN);
    expect((await stats(gw)).refusedUpgrades).toEqual({ "503": 1 });
  });
});

describe("idle and half-open connections", () => {
  test("a peer that never answers pings is closed after IDLE_TIMEOUT; a live idle client stays", async () => {
    await using gw = await startGatewayProcess({ args: ["--idle-timeout", "8"] });
    await using quiet = (await RawSocket.hello(gw.url, "quiet-but-alive")).socket;
    const started = performance.now();
    await using peer = await openRawPeer(gw.port);
    peer.sendText(JSON.stringify({ type: "hello", clientId: "half-open", lastSeq: 0 }));
    await gw.waitForLine(/"client connected".*"clientId":"half-open"/);
    expect((await stats(gw)).connectedClients).toBe(2);
    const line = await gw.waitForLine(/"client disconnected".*"clientId":"half-open"/, 30_000);
    await peer.closed; // the gateway ended the TCP connection
    expect(performance.now() - started).toBeGreaterThan(7_000);
    expect(JSON.parse(line).attributes.code).toBe(1006);
    expect(peer.received()).toBeGreaterThan(0); // it was pinged (and sent welcome/live) first
    // The well-behaved client answered the same pings and is still connected and usable.
    expect((await stats(gw)).connectedClients).toBe(1);
    const ev = makeEvent("INCREMENT_COUNTER", { counterId: "alive" }, "quiet-but-alive");
    quiet.send({ type: "event", event: ev });
    expect(await quiet.nextOfType("ack")).toMatchObject({ id: ev["id"] });
  }, 40_000);
});

describe("sockets that never say hello (issue 14, finding 6)", () => {
  test("are closed with 4002 after HELLO_TIMEOUT, frames other than hello do not keep them, and their slots are free again", async () => {
    await using gw = await startGatewayProcess({ args: ["--hello-timeout", "1", "--max-connections", "3"] });
    // Bun's WebSocket answers pings, like every client stack: only the hello timeout closes these.
    await using silent = await RawSocket.open(gw.url);
    await using chatty = await RawSocket.open(gw.url);
    await using greeted = (await RawSocket.hello(gw.url, "greeted")).socket;
    // Full: a fourth socket is refused while the two hold their slots.
    expect((await upgradeStatus(gw.port)).status).toBe(503);
    // Garbage, an event and an aggregate request are answered, but none of them is a hello.
    chatty.send("{garbage");
    chatty.send({ type: "event", event: makeEvent("INCREMENT_COUNTER", { counterId: "x" }) });
    chatty.send({ type: "aggregate", id: "q1", name: "counters" });
    expect(await chatty.nextOfType("error")).toMatchObject({ code: "BAD_FRAME" });
    expect(await chatty.nextOfType("reject")).toMatchObject({ code: "NOT_READY" });
    const closes = await Promise.all([silent.closeEvent, chatty.closeEvent]);
    for (const close of closes) expect(close).toEqual({ code: 4002, reason: "no hello within 1 s" });
    expect(gw.output.filter((l) => l.includes('"no hello in time: connection closed"')).length).toBe(2);
    // The slots are free: two clients get in, and the one that said hello in time was never closed.
    await using pool = new ClientPool();
    const a = await pool.connect(gw.url);
    await using late = (await RawSocket.hello(gw.url, "late")).socket;
    expect(greeted.ws.readyState).toBe(WebSocket.OPEN);
    const { seq } = await a.executeTemplate("INCREMENT_COUNTER", { counterId: "after" });
    expect(seq).toBe(headAfter(1));
    expect((await stats(gw)).connectedClients).toBe(3);
    expect(late.ws.readyState).toBe(WebSocket.OPEN);
  });

  test("--hello-timeout 0 keeps them (the old behaviour), and the flag wins over HELLO_TIMEOUT", async () => {
    await using gw = await startGatewayProcess({ args: ["--hello-timeout", "0"], env: { HELLO_TIMEOUT: "1" } });
    await using silent = await RawSocket.open(gw.url);
    // Asserting that nothing happens needs a bounded wait: 2.5 s is well past the environment's 1 s.
    const closed = await Promise.race([silent.closeEvent.then(() => true), Bun.sleep(2_500).then(() => false)]);
    expect(closed).toBe(false);
    silent.send({ type: "hello", clientId: "slow", lastSeq: 0 });
    expect(await silent.nextOfType("live")).toMatchObject({ type: "live" });
  });
});
