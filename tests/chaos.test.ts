/**
 * Bounded chaos (issue 14): writers send a mixed workload through the public client API while a
 * seeded schedule SIGKILLs the gateway (restarted on the same port and data dir), persistent
 * clients in child processes (restarted on the same replica file) and, with the JetStream log,
 * nats-server (restarted on the same port and store). The schedule is driven by acknowledged
 * writes, not by time, so every run does the same kills at the same points of the workload. At the
 * end every replica's digest equals the gateway's at the head and every acknowledged event is in
 * the log, exactly once, at the seq it was acknowledged with.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { digestReplica, Replica } from "@kuzu-sync/replica";
import type { SyncClient } from "@kuzu-sync/client";
import { ClientPool } from "./support/clients.ts";
import { startGatewayProcess, tempDir, type GatewayProcess } from "./support/gateway-process.ts";
import { waitForReplica } from "./support/health.ts";
import { NatsServer } from "./support/nats-server.ts";
import { startReplicaProcess, type ReplicaProcess } from "./support/replica-process.ts";
import { seeded } from "./support/seeded.ts";

const WRITERS = 3;
const WRITES_PER_WRITER = 50;
const PERSISTENT_CLIENTS = 2;
/** A kill every this many acknowledged writes. */
const KILL_EVERY = 15;


/** One write of the mixed workload (users, follows, posts, counters, updates, deletes; some fail on purpose). */
function workItem(random: () => number, writer: number, i: number): { template: string; params: Record<string, unknown> } {
  const user = () => `u${Math.floor(random() * 8)}`;
  const r = random();
  if (r < 0.25) return { template: "CREATE_USER", params: { id: user(), name: `n${writer}-${i}` } };
  if (r < 0.4) return { template: "FOLLOW_USER", params: { followerId: user(), targetId: user() } };
  if (r < 0.55) return { template: "CREATE_POST", params: { id: `p${writer}-${i}`, authorId: user(), content: `post ${i}` } };
  if (r < 0.75) return { template: "INCREMENT_COUNTER", params: { counterId: `c${Math.floor(random() * 3)}`, amount: 1 + Math.floor(random() * 5) } };
  if (r < 0.85) return { template: "UPDATE_USER", params: { id: user(), name: `renamed ${writer}-${i}` } };
  if (r < 0.93) return { template: "UNFOLLOW_USER", params: { followerId: user(), targetId: user() } };
  return { template: "DELETE_USER", params: { id: user() } };
}

/** Acknowledged writes, and waits for their count. */
class Acks {
  readonly seqs = new Map<string, number>();
  readonly #waiters: { n: number; resolve: () => void }[] = [];

  add(id: string, seq: number): void {
    this.seqs.set(id, seq);
    for (const w of this.#waiters.splice(0)) {
      if (this.seqs.size >= w.n) w.resolve();
      else this.#waiters.push(w);
    }
  }

  reach(n: number): Promise<void> {
    if (this.seqs.size >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }
}

async function chaos(backend: "embedded" | "jetstream", seed: number): Promise<void> {
  const random = seeded(seed);
  await using nats = backend === "jetstream" ? await NatsServer.start() : null;
  using data = tempDir("chaos-gw-");
  using dirs = tempDir("chaos-clients-");
  const args = nats === null ? [] : ["--log", "jetstream", "--nats-url", nats.url];
  const gateways: GatewayProcess[] = [];
  let gw = await startGatewayProcess({ dataDir: data.path, args });
  gateways.push(gw);
  const port = gw.port;
  const url = gw.url;
  const dbPaths = Array.from({ length: PERSISTENT_CLIENTS }, (_, i) => join(dirs.path, `replica-${i}.kuzu`));
  const children: ReplicaProcess[] = dbPaths.map((p, i) => startReplicaProcess(url, p, `persistent-${i}`));
  const kills: string[] = [];
  await using pool = new ClientPool();
  try {
    const writers: SyncClient[] = [];
    for (let w = 0; w < WRITERS; w++) writers.push(await pool.connect(url, { clientId: `writer-${w}` }));
    const acks = new Acks();
    // The workload is drawn up front, so the kills below do not change it.
    const plans = writers.map((_, w) => Array.from({ length: WRITES_PER_WRITER }, (_, i) => workItem(random, w, i)));
    const writing = writers.map(async (client, w) => {
      for (const [i, item] of plans[w]!.entries()) {
        const id = `chaos-${w}-${i}`;
        // The outbox resends across restarts; the id makes a resend return the original seq.
        const { seq } = await client.executeTemplate(item.template, item.params, { id });
        acks.add(id, seq);
      }
    });

    const total = WRITERS * WRITES_PER_WRITER;
    // Every kind of kill at least once, in a seeded order.
    const targets = nats === null ? ["gateway", "client"] : ["gateway", "client", "nats"];
    const schedule = Array.from({ length: Math.ceil(total / KILL_EVERY) - 1 }, (_, i) => targets[i % targets.length]!);
    for (let i = schedule.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [schedule[i], schedule[j]] = [schedule[j]!, schedule[i]!];
    }
    for (const [k, target] of schedule.entries()) {
      const at = (k + 1) * KILL_EVERY;
      await acks.reach(at);
      if (target === "gateway") {
        await gw.kill();
        gw = await startGatewayProcess({ dataDir: data.path, port, args });
        gateways.push(gw);
        kills.push(`gateway@${at}`);
      } else if (target === "nats") {
        await nats!.restart();
        kills.push(`nats@${at}`);
      } else {
        const i = Math.floor(random() * children.length);
        await children[i]!.kill();
        children[i] = startReplicaProcess(url, dbPaths[i]!, `persistent-${i}`);
        kills.push(`client ${i}@${at}`);
      }
    }
    await Promise.all(writing);
    expect(acks.seqs.size).toBe(total);
    // The schedule is a function of the seed alone.
    expect(kills.length).toBe(schedule.length);

    const head = Math.max(...acks.seqs.values());
    await waitForReplica(gw, head, 30_000);
    const server = (await (await fetch(`${gw.httpUrl}/digest?seq=${head}`)).json()) as { seq: number; sha256: string };
    expect(server.seq).toBe(head);

    // Every acknowledged event is in the log once, at its acknowledged seq (a new replica reads it all).
    const reader = pool.make(url);
    const logged = new Map<string, number[]>();
    reader.on("event", (e) => logged.set(e.id, [...(logged.get(e.id) ?? []), e.seq]));
    await reader.connect();
    await reader.waitForSeq(head, 30_000);
    for (const [id, seq] of acks.seqs) expect({ id, seqs: logged.get(id) }).toEqual({ id, seqs: [seq] });
    expect((await reader.verify({ timeoutMs: 30_000 })).match).toBe(true);
    for (const writer of writers) expect((await writer.verify({ timeoutMs: 30_000 })).match).toBe(true);

    // Each persistent replica reaches the head (as it opens, or by applying it), closes, and digests the same.
    for (const [i, child] of children.entries()) {
      await child.waitFor((l) => (l.type === "open" || l.type === "live" || l.type === "applied") && (l.seq ?? 0) >= head, `persistent replica ${i} reaches seq ${head} (kills: ${kills.join(", ")})`);
      expect(await child.stop()).toBe(0);
      const replica = await Replica.open({ path: dbPaths[i]! });
      try {
        const digest = await digestReplica(replica);
        expect({ replica: i, seq: digest.seq, sha256: digest.sha256 }).toEqual({ replica: i, seq: head, sha256: server.sha256 });
      } finally {
        await replica.close();
      }
    }
  } finally {
    for (const child of children) await child.kill();
    for (const g of gateways) await g.kill();
  }
}

describe("chaos", () => {
  test("embedded log: SIGKILL of the gateway and of persistent clients under a mixed workload", async () => {
    await chaos("embedded", 14);
  }, 90_000);

  test("JetStream log: SIGKILL of the gateway, of persistent clients and of nats-server", async () => {
    await chaos("jetstream", 1414);
  }, 90_000);
});
