import { describe, expect, test } from "bun:test";
import type { ServerWebSocket } from "bun";
import type { SequencedEvent } from "@kuzu-sync/protocol";
import { FanOut } from "./fan-out.ts";

const ev = (seq: number): SequencedEvent => ({ id: `e${seq}`, template: "T", params: {}, clientId: "c", timestamp: 0, seq, serverTimestamp: 0 });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ev(from + i));

/** A real Bun server whose sockets the fan-out serves, and clients that record every frame. */
async function harness(intervalMs: number, pacedFrom = 1) {
  const published: number[][] = [];
  const fanOut = new FanOut<undefined>({ backpressureLimit: 1 << 20, onEvict: () => {}, onPublished: (events) => published.push(events.map((e) => e.seq)), intervalMs, pacedFrom });
  const sockets: ServerWebSocket<undefined>[] = [];
  const opened: ((ws: ServerWebSocket<undefined>) => void)[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req, srv) => (srv.upgrade(req, { data: undefined }) ? undefined : new Response("no", { status: 400 })),
    websocket: { open: (ws) => (sockets.push(ws), opened.shift()?.(ws)), message() {} },
  });
  fanOut.attach(server);
  const connect = async () => {
    const serverSide = new Promise<ServerWebSocket<undefined>>((resolve) => opened.push(resolve));
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}`);
    const frames: number[][] = [];
    ws.onmessage = (m) => frames.push((JSON.parse(String(m.data)) as { events: SequencedEvent[] }).events.map((e) => e.seq));
    await new Promise<void>((resolve) => (ws.onopen = () => resolve()));
    return { ws, server: await serverSide, frames };
  };
  return { fanOut, connect, published, close: () => server.stop(true) };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await Bun.sleep(5);
  expect(check()).toBe(true);
};

describe("FanOut pacing", () => {
  test("a commit after a quiet spell goes at once; commits within the interval are merged into the next frame", async () => {
    const h = await harness(50);
    try {
      const a = await h.connect();
      h.fanOut.join(a.server);
      h.fanOut.commit(range(1, 2));
      expect(h.published).toEqual([[1, 2]]);
      h.fanOut.commit(range(3, 3));
      h.fanOut.commit(range(4, 6));
      expect(h.published).toEqual([[1, 2]]); // within the interval: queued
      await until(() => h.published.length === 2);
      expect(h.published[1]).toEqual([3, 4, 5, 6]);
      await until(() => a.frames.length === 2);
      expect(a.frames).toEqual([[1, 2], [3, 4, 5, 6]]);
      a.ws.close();
    } finally {
      h.close();
    }
  });

  test("the interval shrinks with fewer live sockets than pacedFrom: one socket of a thousand is not held back", async () => {
    const h = await harness(1_000, 1_000);
    try {
      const a = await h.connect();
      h.fanOut.join(a.server);
      h.fanOut.commit(range(1, 1));
      await Bun.sleep(5); // past 1000 ms × 1/1000
      h.fanOut.commit(range(2, 2));
      expect(h.published).toEqual([[1], [2]]);
      a.ws.close();
    } finally {
      h.close();
    }
  });

  test("a socket joining while commits are queued gets neither a gap nor a duplicate; the others get everything", async () => {
    const h = await harness(1_000);
    try {
      const a = await h.connect();
      const b = await h.connect();
      h.fanOut.join(a.server);
      h.fanOut.commit(range(1, 1)); // out at once
      h.fanOut.commit(range(2, 3)); // queued for up to a second
      // b caught up to 3 from the log (catch-up), and joins now: 2..3 go to a first, then b is live.
      h.fanOut.join(b.server);
      h.fanOut.commit(range(4, 4));
      h.fanOut.flush();
      await until(() => a.frames.flat().length === 4 && b.frames.flat().length === 1);
      expect(a.frames.flat()).toEqual([1, 2, 3, 4]);
      expect(b.frames.flat()).toEqual([4]);
      a.ws.close();
      b.ws.close();
    } finally {
      h.close();
    }
  });

  test("a full frame goes at once whatever the interval", async () => {
    const h = await harness(60_000);
    try {
      const a = await h.connect();
      h.fanOut.join(a.server);
      h.fanOut.commit(range(1, 1));
      h.fanOut.commit(range(2, 999));
      expect(h.published.length).toBe(1);
      h.fanOut.commit(range(1000, 1001));
      expect(h.published.map((p) => [p[0], p.at(-1)])).toEqual([[1, 1], [2, 1001]]);
      h.fanOut.flush();
      a.ws.close();
    } finally {
      h.close();
    }
  });
});
