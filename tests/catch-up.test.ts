import { describe, expect, test } from "bun:test";
import { ClientPool, graphState } from "./support/clients.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";
import { headAfter } from "./support/log-start.ts";
import { RawSocket } from "./support/raw-socket.ts";

describe("catch-up switches to live with no gap and no duplicate", () => {
  test("clients joining while a writer streams see every seq exactly once, in order", async () => {
    await using gw = await startGatewayProcess();
    await using pool = new ClientPool();
    const writer = await pool.connect(gw.url);
    const TOTAL = 3000;
    // History first, so the joiners have several catch-up pages (1000 events each) to read.
    const history: Promise<unknown>[] = [];
    for (let i = 0; i < 2200; i++) history.push(writer.executeTemplate("INCREMENT_COUNTER", { counterId: "c" }));
    await Promise.all(history);

    const streaming: Promise<unknown>[] = [];
    const joiners: RawSocket[] = [];
    const seen = new Map<RawSocket, number[]>();
    for (let i = 2200; i < TOTAL; i++) {
      streaming.push(writer.executeTemplate("INCREMENT_COUNTER", { counterId: "c" }));
      if (i % 200 === 0) {
        // Raw sockets see the wire itself: a duplicate would show here even though replicas skip it.
        const s = await RawSocket.open(gw.url);
        const seqs: number[] = [];
        seen.set(s, seqs);
        s.ws.onmessage = (m) => {
          const msg = JSON.parse(String(m.data)) as { type: string; events?: { seq: number }[] };
          if (msg.type === "events") for (const e of msg.events!) seqs.push(e.seq);
        };
        s.send({ type: "hello", clientId: `joiner-${i}`, lastSeq: 0 });
        joiners.push(s);
      }
      if (i % 50 === 0) await Bun.sleep(1);
    }
    await Promise.all(streaming);
    // The log: the registry's genesis at seq 1, then the TOTAL writes.
    const head = headAfter(TOTAL);
    const late = await pool.connect(gw.url);
    await late.waitForSeq(head);
    await writer.waitForSeq(head); // its acks arrive before its own replica has applied them
    const until = Date.now() + 20_000;
    while ([...seen.values()].some((s) => s.length < head) && Date.now() < until) await Bun.sleep(10);
    for (const [socket, seqs] of seen) {
      expect(seqs.length).toBe(head);
      expect(seqs).toEqual(Array.from({ length: head }, (_, k) => k + 1));
      await socket[Symbol.asyncDispose]();
    }
    expect(joiners.length).toBe(4);
    expect(late.getDMLStats().received).toBe(TOTAL); // DML only: the registry event is not counted
    await writer.waitForSeq(head); // the writer's own replica may still be applying the tail
    expect(await graphState(late)).toEqual(await graphState(writer));
  });
});
