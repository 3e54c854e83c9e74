import { describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { resolve } from "node:path";
import { ClientPool, graphState } from "./support/clients.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";

const CHILD = resolve(import.meta.dir, "support/slow-consumer-child.ts");
const FAST_RAW = 93; // + 2 SyncClients here + 5 slow SyncClients in the child = 100 clients
const SLOW = 5;
const LIMIT = 256 << 10;

/** A protocol-level reader that keeps up and checks it gets every seq once, in order. */
class FastReader {
  readonly ws: WebSocket;
  lastSeq = 0;
  gaps = 0;
  closeCode: number | null = null;
  #waiters: { seq: number; resolve: () => void }[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data)) as { type: string; events?: { seq: number }[] };
      if (msg.type !== "events") return;
      for (const e of msg.events!) {
        if (e.seq !== this.lastSeq + 1) this.gaps++;
        this.lastSeq = e.seq;
      }
      this.#waiters = this.#waiters.filter((w) => (w.seq <= this.lastSeq ? (w.resolve(), false) : true));
    };
    ws.onclose = (e) => (this.closeCode = e.code);
  }

  static async open(url: string, clientId: string): Promise<FastReader> {
    const ws = new WebSocket(url);
    await new Promise<void>((ok, fail) => ((ws.onopen = () => ok()), (ws.onerror = () => fail(new Error(`${clientId} cannot connect`)))));
    const reader = new FastReader(ws);
    const live = new Promise<void>((ok) => ws.addEventListener("message", (m) => JSON.parse(String(m.data)).type === "live" && ok()));
    ws.send(JSON.stringify({ type: "hello", clientId, lastSeq: 0 }));
    await live;
    return reader;
  }

  reached(seq: number): Promise<void> {
    if (this.lastSeq >= seq) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ seq, resolve }));
  }
}

/** JSON lines from the child's stdout, one at a time. */
function lineReader(proc: Subprocess<"pipe", "pipe", "inherit">): () => Promise<Record<string, unknown>> {
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  return async () => {
    for (;;) {
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        return JSON.parse(line) as Record<string, unknown>;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("slow-consumer child exited");
      buf += decoder.decode(value, { stream: true });
    }
  };
}

describe("slow consumers", () => {
  test("5 stalled clients among 100 are evicted with 4008; the fast ones lose nothing; the evicted recover without gaps", async () => {
    await using gw = await startGatewayProcess({ args: ["--backpressure-limit", String(LIMIT), "--rate-limit", "0"] });
    await using pool = new ClientPool();
    const readers: FastReader[] = [];
    const child = Bun.spawn(["bun", CHILD, gw.url, String(SLOW)], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    try {
      const next = lineReader(child);
      expect(await next()).toEqual({ type: "ready" });
      for (let i = 0; i < FAST_RAW; i++) readers.push(await FastReader.open(gw.url, `fast-${i}`));
      const fastClients = [await pool.connect(gw.url, { clientId: "fast-sync-a" }), await pool.connect(gw.url, { clientId: "fast-sync-b" })];
      const writer = readers[0]!;
      const acks = new Map<string, (seq: number) => void>();
      writer.ws.addEventListener("message", (m) => {
        const msg = JSON.parse(String(m.data)) as { type: string; id?: string; seq?: number };
        if (msg.type === "ack") acks.get(msg.id!)?.(msg.seq!);
      });
      let n = 0;
      /** 300 events of ~1.4 KB; resolves with the last seq once every fast reader has it. */
      const chunk = async (): Promise<number> => {
        const seqs = await Promise.all(
          Array.from({ length: 300 }, () => {
            const id = `flood-${++n}`;
            const acked = new Promise<number>((ok) => acks.set(id, ok));
            const params = { id: `u${n % 2_000}`, name: `${n} `.padEnd(1_000, "n"), email: `${n}@`.padEnd(300, "e") };
            const event = { id, template: "CREATE_USER", params, clientId: "fast-0", timestamp: Date.now() };
            writer.ws.send(JSON.stringify({ type: "event", event }));
            return acked;
          }),
        );
        const last = Math.max(...seqs);
        // Readers that keep up are paced by this wait; only the stopped ones fall behind.
        await Promise.all(readers.map((r) => r.reached(last)));
        return last;
      };
      child.kill("SIGSTOP");
      let evicted = 0;
      let head = 0;
      // The kernel's socket buffers (a few MB per socket on loopback) fill first; then the
      // gateway's own buffer passes the limit. Bounded: at most 60 chunks (~24 MB per client).
      for (let i = 0; i < 60 && evicted < SLOW; i++) {
        head = await chunk();
        evicted = ((await (await fetch(`${gw.httpUrl}/stats`)).json()) as { slowConsumersDisconnected: number }).slowConsumersDisconnected;
      }
      expect(evicted).toBe(SLOW);
      head = await chunk(); // more history the evicted ones must catch up on
      const evictions = gw.output.filter((l) => l.includes('"slow consumer disconnected"')).map((l) => JSON.parse(l).attributes as { clientId: string });
      expect(evictions.map((a) => a.clientId).sort()).toEqual(Array.from({ length: SLOW }, (_, i) => `slow-${i}`));

      // Fast clients: never closed, every seq exactly once and in order, while the slow ones lagged.
      for (const r of readers) expect({ lastSeq: r.lastSeq, gaps: r.gaps, closeCode: r.closeCode }).toEqual({ lastSeq: head, gaps: 0, closeCode: null });
      for (const c of fastClients) await c.waitForSeq(head);
      const expected = await graphState(fastClients[0]!);
      expect(await graphState(fastClients[1]!)).toEqual(expected);
      child.kill("SIGCONT");
      child.stdin.write(`${JSON.stringify({ cmd: "wait", seq: head })}\n`);
      const report = (await next()) as { clients: { clientId: string; lastAppliedSeq: number; contiguous: boolean; appliedCount: number; disconnects: number[]; errors: string[]; state: unknown }[] };
      expect(report.clients).toHaveLength(SLOW);
      for (const c of report.clients) {
        expect(c).toMatchObject({ lastAppliedSeq: head, contiguous: true, appliedCount: head });
        // 4008 when the close frame got through after the buffered data; a stall long enough for
        // the gateway to give up on flushing would show 1006 instead — both lead to a reconnect.
        expect([4008, 1006]).toContain(c.disconnects[0]!);
        expect(c.errors.filter((e) => /gap/.test(e))).toEqual([]);
        expect(c.state).toEqual(expected);
      }
      child.stdin.write(`${JSON.stringify({ cmd: "close" })}\n`);
      expect(await child.exited).toBe(0);
    } finally {
      child.kill("SIGCONT");
      child.kill();
      await child.exited;
      for (const r of readers) r.ws.close();
    }
  }, 120_000);
});
