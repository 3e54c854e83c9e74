import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGatewayProcess, type GatewayProcess } from "./support/gateway-process.ts";
import { RawSocket, makeEvent } from "./support/raw-socket.ts";

// Several events in one frame (`events`): each answered on its own, as if it had come alone.
let gw: GatewayProcess;
let limited: GatewayProcess;
beforeAll(async () => {
  [gw, limited] = await Promise.all([
    startGatewayProcess({ args: ["--max-event-bytes", "4096", "--rate-limit", "0"] }),
    startGatewayProcess({ args: ["--rate-limit", "5", "--rate-limit-burst", "20"] }),
  ]);
});
afterAll(async () => {
  await Promise.all([gw.stop(), limited.stop()]);
});

async function head(g: GatewayProcess): Promise<number> {
  return ((await (await fetch(`${g.httpUrl}/health`)).json()) as { headSeq: number }).headSeq;
}

/** Collect acks, rejects and errors until `count` answers have arrived (fan-out frames skipped). */
async function answers(s: RawSocket, count: number): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  while (out.length < count) {
    const m = await s.next();
    if (m["type"] === "ack" || m["type"] === "reject" || m["type"] === "error") out.push(m);
  }
  return out;
}

describe("events frames", () => {
  test("the welcome announces how many events a frame may carry", async () => {
    const { socket, welcome } = await RawSocket.hello(gw.url, "announce");
    await using _ = socket;
    expect(welcome["maxEventsPerFrame"]).toBe(1000);
  });

  test("every event gets its own ack, in order, consecutive seqs; a resent frame gets the original seqs", async () => {
    await using s = (await RawSocket.hello(gw.url, "batcher")).socket;
    const events = Array.from({ length: 200 }, (_, i) => makeEvent("CREATE_USER", { id: `b${i}`, name: `B ${i}` }, "batcher"));
    const before = await head(gw);
    s.send({ type: "events", events });
    const acks = await answers(s, 200);
    expect(acks.map((a) => a["type"])).toEqual(Array(200).fill("ack"));
    expect(acks.map((a) => a["id"])).toEqual(events.map((e) => e["id"]));
    const seqs = acks.map((a) => a["seq"] as number);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(acks.every((a) => a["duplicate"] === false)).toBe(true);
    expect(await head(gw)).toBe(before + 200);

    s.send({ type: "events", events });
    const again = await answers(s, 200);
    expect(again.map((a) => [a["seq"], a["duplicate"]])).toEqual(seqs.map((seq) => [seq, true]));
    expect(await head(gw)).toBe(before + 200);
  });

  test("a bad event among good ones is refused alone; nothing else is lost, nothing half-written", async () => {
    await using s = (await RawSocket.hello(gw.url, "mixed")).socket;
    const good = (i: number) => makeEvent("INCREMENT_COUNTER", { counterId: `m${i}` }, "mixed");
    const items = [
      good(0),
      makeEvent("NO_SUCH_TEMPLATE", {}, "mixed"),
      good(2),
      makeEvent("CREATE_USER", { id: 42, name: "x" }, "mixed"),
      makeEvent("CREATE_USER", { id: "u", name: "A" }, "someone-else"),
      { ...good(5), params: "not an object" },
      { template: "CREATE_USER" },
      makeEvent("CREATE_POST", { id: "p", authorId: "u", content: "x".repeat(6000) }, "mixed"),
      good(8),
    ];
    const before = await head(gw);
    s.send({ type: "events", events: items });
    const got = await answers(s, items.length);
    const byId = new Map(got.filter((m) => m["id"] !== undefined).map((m) => [m["id"], m]));
    const code = (i: number) => {
      const m = byId.get(items[i]!["id"]);
      return m?.["type"] === "ack" ? "ack" : m?.["code"];
    };
    expect(Array.from({ length: items.length }, (_, i) => (i === 6 ? null : code(i)))).toEqual([
      "ack",
      "UNKNOWN_TEMPLATE",
      "ack",
      "INVALID_PARAMS",
      "FORBIDDEN",
      "BAD_MESSAGE",
      null,
      "EVENT_TOO_LARGE",
      "ack",
    ]);
    // The event without an id is named by its place in an error.
    const error = got.find((m) => m["type"] === "error")!;
    expect(error).toMatchObject({ code: "BAD_MESSAGE" });
    expect(String(error["message"])).toMatch(/^events\.6: /);
    expect(await head(gw)).toBe(before + 3);
    // The socket is still good.
    s.send({ type: "events", events: [good(9)] });
    expect((await answers(s, 1))[0]).toMatchObject({ type: "ack" });
  });

  test("a wrong envelope refuses the frame with one error; the socket stays", async () => {
    await using s = (await RawSocket.hello(gw.url, "envelopes")).socket;
    const before = await head(gw);
    const many = Array.from({ length: 1001 }, (_, i) => makeEvent("INCREMENT_COUNTER", { counterId: `x${i}` }, "envelopes"));
    for (const frame of [{ type: "events", events: [] }, { type: "events", events: many }, { type: "events", events: many[0], more: 1 }]) {
      s.send(frame);
      const [err] = await answers(s, 1);
      expect(err).toMatchObject({ type: "error", code: "BAD_MESSAGE" });
      expect(String(err!["message"])).toMatch(/events frame/);
    }
    expect(await head(gw)).toBe(before);
    s.send({ type: "events", events: many.slice(0, 1000) });
    const acks = await answers(s, 1000);
    expect(acks.filter((a) => a["type"] === "ack").length).toBe(1000);
  });

  test("before hello each event is refused NOT_READY", async () => {
    await using s = await RawSocket.open(gw.url);
    const events = [makeEvent("INCREMENT_COUNTER", { counterId: "early" }), makeEvent("INCREMENT_COUNTER", { counterId: "early" })];
    s.send({ type: "events", events });
    const got = await answers(s, 2);
    expect(got.map((m) => [m["id"], m["code"]])).toEqual(events.map((e) => [e["id"], "NOT_READY"]));
  });

  test("each event spends a rate-limit token: those beyond the bucket are refused RATE_LIMITED (retryable)", async () => {
    await using s = (await RawSocket.hello(limited.url, "limited")).socket;
    const events = Array.from({ length: 30 }, (_, i) => makeEvent("INCREMENT_COUNTER", { counterId: `r${i}` }, "limited"));
    s.send({ type: "events", events });
    const got = await answers(s, 30);
    const byId = new Map(got.map((m) => [m["id"], m]));
    const kinds = events.map((e) => (byId.get(e["id"])!["type"] === "ack" ? "ack" : byId.get(e["id"])!["code"]));
    // The burst of 20 (less whatever refilled meanwhile, at 5/s) goes on, in frame order; the rest waits.
    const acked = kinds.filter((k) => k === "ack").length;
    expect(acked).toBeGreaterThanOrEqual(20);
    expect(acked).toBeLessThan(30);
    expect(kinds).toEqual([...Array(acked).fill("ack"), ...Array(30 - acked).fill("RATE_LIMITED")]);
    expect(got.find((m) => m["code"] === "RATE_LIMITED")).toMatchObject({ retryable: true });
  });
});
