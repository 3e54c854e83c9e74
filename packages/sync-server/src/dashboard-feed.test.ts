import { describe, expect, test } from "bun:test";
import { DashboardFeed } from "./dashboard-feed.ts";

/** Reads SSE `data:` frames from a response, parsed. */
function frames(res: Response): { next(): Promise<unknown>; cancel(): Promise<void> } {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async next() {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith("data: ")) return JSON.parse(block.slice(6)) as unknown;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) return undefined;
        buffer += value;
      }
    },
    cancel: () => reader.cancel(),
  };
}

describe("DashboardFeed", () => {
  test("a viewer gets a frame at once and one per interval; one frame is built per tick for all viewers", async () => {
    let built = 0;
    const feed = new DashboardFeed(() => ({ n: ++built }), 20);
    const a = feed.handle();
    expect(a.headers.get("content-type")).toContain("text/event-stream");
    const b = feed.handle();
    const [ra, rb] = [frames(a), frames(b)];
    expect(await ra.next()).toEqual({ n: 1 });
    expect(await rb.next()).toEqual({ n: 2 });
    const [x, y] = [await ra.next(), await rb.next()];
    expect(x).toEqual(y); // the tick's frame, shared
    expect(feed.viewers).toBe(2);
    await ra.cancel();
    await rb.cancel();
    expect(feed.viewers).toBe(0);
    const after = built;
    await Bun.sleep(60);
    expect(built).toBe(after); // no viewer, no timer
    feed.close();
  });

  test("close() ends every stream and refuses new viewers", async () => {
    const feed = new DashboardFeed(() => ({ ok: true }), 1_000);
    const r = frames(feed.handle());
    expect(await r.next()).toEqual({ ok: true });
    feed.close();
    expect(await r.next()).toBeUndefined();
    expect(feed.handle().status).toBe(503);
  });

  test("a viewer that stops reading is dropped once a minute of frames waits for it", async () => {
    const feed = new DashboardFeed(() => ({ t: Date.now() }), 1);
    const res = feed.handle(); // never read
    expect(feed.viewers).toBe(1);
    const deadline = Date.now() + 5_000;
    while (feed.viewers > 0 && Date.now() < deadline) await Bun.sleep(10);
    expect(feed.viewers).toBe(0);
    await res.body!.cancel();
    feed.close();
  });
});
