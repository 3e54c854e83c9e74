/**
 * Poison events against real gateways (issue 14): an event the engine cannot get through — past
 * the raw DML budget, or one that segfaults Kuzu — stops the server replica without crash-looping
 * the gateway; `/health` says `degraded` while it lags past DEGRADED_LAG_SECONDS and `unhealthy`
 * once applying stopped; `sync-server quarantine --seq N` takes the stored event out of service
 * (embedded log and JetStream), and every replica that has not applied it — the gateway's, a
 * persistent client that restarts, a new in-memory one — skips it identically and ends with the
 * gateway's digest.
 */
import { describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { RAW_DML_TEMPLATE } from "@kuzu-sync/protocol";
import { runCli, runCommand } from "./support/cli-process.ts";
import { ClientPool } from "./support/clients.ts";
import { startGatewayProcess, tempDir, type GatewayProcess } from "./support/gateway-process.ts";
import { NatsServer } from "./support/nats-server.ts";
import { RawSocket, makeEvent } from "./support/raw-socket.ts";
import { startReplicaProcess, type ReplicaProcess } from "./support/replica-process.ts";

const MAIN = resolve(import.meta.dir, "../packages/sync-server/src/main.ts");
const POISON_REGISTRY = resolve(import.meta.dir, "support/registries/poison.ts");

/** Within every static bound of raw DML (three 40 000-element lists), but 6.4e13 rows: only the 5 s budget stops it. */
const HEAVY = "UNWIND range(1, 40000) AS i UNWIND range(1, 40000) AS j UNWIND range(1, 40000) AS k WITH i, j, k WHERE i + j + k = -1 CREATE (:User {id: 'never', name: 'x'})";

interface FullHealth {
  readonly status: string;
  readonly headSeq: number;
  readonly replicaSeq: number;
  readonly replicaLag: { readonly events: number; readonly seconds: number };
  readonly replicaStopped: { readonly seq: number; readonly code: string; readonly message: string; readonly attempts: number } | null;
  readonly problems: readonly string[];
}

async function health(gw: { readonly httpUrl: string }): Promise<FullHealth> {
  return (await (await fetch(`${gw.httpUrl}/health`)).json()) as FullHealth;
}

/** Polls /health (the gateway pushes nothing for it) until `reached`, or fails with the last answer. */
async function waitForStatus(gw: { readonly httpUrl: string }, reached: (h: FullHealth) => boolean, what: string, timeoutMs: number): Promise<FullHealth> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await health(gw);
    if (reached(h)) return h;
    if (Date.now() > deadline) throw new Error(`${what}: /health still says ${JSON.stringify(h)} after ${timeoutMs} ms`);
    await Bun.sleep(25);
  }
}

/** A socket that writes events and waits for their acks (no replica of its own to stall). */
async function writer(url: string, clientId: string): Promise<{ socket: RawSocket; send(template: string, params: Record<string, unknown>): Promise<number> }> {
  const { socket } = await RawSocket.hello(url, clientId);
  return {
    socket,
    async send(template, params) {
      const event = makeEvent(template, params, clientId);
      socket.send({ type: "event", event });
      const ack = await socket.nextOfType("ack", 20_000);
      expect(ack["id"]).toBe(event["id"]);
      return ack["seq"] as number;
    },
  };
}

async function quarantine(seq: number, reason: string, where: readonly string[]): Promise<void> {
  const result = await runCommand(["bun", MAIN, "quarantine", "--seq", String(seq), "--reason", reason, ...where]);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
}

/** A fresh in-memory client: what it reported for `seq`, its users, and its verification. */
async function freshReplica(url: string, seq: number): Promise<{ outcome: unknown; users: unknown; sha256: string; match: boolean; at: number }> {
  await using pool = new ClientPool();
  const client = pool.make(url);
  const outcomes = new Map<number, { ok: boolean; error?: string }>();
  client.on("event", (e) => outcomes.set(e.seq, { ok: e.ok, ...(e.error === undefined ? {} : { error: e.error }) }));
  await client.connect();
  const users = await client.query("MATCH (u:User) RETURN u.id AS id, u.name AS name ORDER BY id");
  const verified = await client.verify();
  return { outcome: outcomes.get(seq), users, sha256: verified.local.sha256, match: verified.match, at: verified.seq };
}

/** `sync-client verify --db PATH --json` on a closed persistent replica. */
async function cliVerify(url: string, dbPath: string, extra: readonly string[] = []): Promise<{ code: number; body: Record<string, unknown> | null; stderr: string }> {
  const r = await runCli(["verify", "--db", dbPath, "--json", "--url", url, ...extra]);
  let body: Record<string, unknown> | null = null;
  try {
    body = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    body = null;
  }
  return { code: r.code, body, stderr: r.stderr };
}

describe.each(["embedded", "jetstream"] as const)("%s log: an event past the raw DML budget", (backend) => {
  test("/health turns degraded, then unhealthy (APPLY_TIMEOUT); once quarantined every replica skips it and matches the gateway", async () => {
    await using nats = backend === "jetstream" ? await NatsServer.start() : null;
    const logArgs = nats === null ? [] : ["--log", "jetstream", "--nats-url", nats.url];
    using dir = tempDir("poison-budget-");
    await using gw = await startGatewayProcess({ args: ["--allow-raw-dml", "--degraded-lag", "1", ...logArgs] });
    const w = await writer(gw.url, "writer");
    await using _socket = w.socket;
    const first = await w.send("CREATE_USER", { id: "u1", name: "Ann" });
    const dbPath = join(dir.path, "persistent.kuzu");
    let p: ReplicaProcess = startReplicaProcess(gw.url, dbPath, "persistent");
    try {
      await p.waitFor((l) => l.type === "applied" && l.seq === first, `the persistent replica applies seq ${first}`);
      const heavy = await w.send(RAW_DML_TEMPLATE, { cypher: HEAVY });
      const after = await w.send("CREATE_USER", { id: "u2", name: "Bob" });

      // While the server replica works on it (up to the 5 s budget): lagging, past 1 s.
      const degraded = await waitForStatus(gw, (h) => h.status === "degraded", "degraded while the heavy event runs", 10_000);
      expect(degraded.replicaLag.events).toBe(2);
      expect(degraded.replicaLag.seconds).toBeGreaterThan(1);
      expect(degraded.replicaStopped).toBeNull();
      expect(degraded.problems[0]).toContain("behind the log (more than 1 s)");

      // Past the budget: stopped before the event, nothing recorded for it, reported.
      const stopped = await waitForStatus(gw, (h) => h.status === "unhealthy", "unhealthy once the budget is spent", 30_000);
      expect(stopped.replicaStopped).toMatchObject({ seq: heavy, code: "APPLY_TIMEOUT" });
      expect(stopped.replicaSeq).toBe(first);
      expect(stopped.problems[0]).toContain(`stopped before seq ${heavy} (APPLY_TIMEOUT)`);
      // The persistent client stops there too (and retries); it is killed before the quarantine.
      expect(await p.waitFor((l) => l.type === "error" && l.code === "APPLY_TIMEOUT", "the persistent replica stops at the heavy event")).toMatchObject({ code: "APPLY_TIMEOUT" });
      await p.kill();
      // The gateway still sequences meanwhile.
      const later = await w.send("CREATE_USER", { id: "u3", name: "Cy" });
      expect(later).toBe(after + 1);

      await quarantine(heavy, "past the budget", nats === null ? ["--data-dir", gw.dataDir] : ["--nats-url", nats.url]);
      const ok = await waitForStatus(gw, (h) => h.status === "ok" && h.replicaSeq === later, "ok once quarantined", 30_000);
      expect(ok.problems).toEqual([]);
      expect(ok.replicaLag).toEqual({ events: 0, seconds: 0 });

      // The persistent replica, restarted, skips it like the gateway did.
      p = startReplicaProcess(gw.url, dbPath, "persistent");
      expect(await p.waitFor((l) => l.type === "applied" && l.seq === heavy, "the restarted replica reaches the quarantined seq")).toMatchObject({
        ok: false,
        error: "quarantined by the operator: past the budget",
      });
      await p.waitFor((l) => l.type === "applied" && l.seq === later, "the restarted replica goes past it");
      expect(await p.stop()).toBe(0);

      // A new replica built from the log skips it identically; all three digests agree.
      const fresh = await freshReplica(gw.url, heavy);
      expect(fresh.outcome).toEqual({ ok: false, error: "quarantined by the operator: past the budget" });
      expect(fresh.users).toEqual([
        { id: "u1", name: "Ann" },
        { id: "u2", name: "Bob" },
        { id: "u3", name: "Cy" },
      ]);
      expect({ match: fresh.match, at: fresh.at }).toEqual({ match: true, at: later });
      const cli = await cliVerify(gw.url, dbPath);
      expect({ code: cli.code, stderr: cli.stderr }).toMatchObject({ code: 0 });
      expect(cli.body).toMatchObject({ match: true, seq: later, local: { sha256: fresh.sha256 }, server: { sha256: fresh.sha256 } });
    } finally {
      await p.kill();
    }
  }, 120_000);
});

describe("a poison event that crashes the engine (embedded log)", () => {
  test("the crash guard stops the gateway's replica (APPLY_STOPPED, unhealthy, still serving) instead of crash-looping; quarantined, every replica skips it", async () => {
    using data = tempDir("poison-gw-");
    using dir = tempDir("poison-client-");
    const args = ["--templates", POISON_REGISTRY];
    const gateways: GatewayProcess[] = [];
    let p: ReplicaProcess | null = null;
    try {
      const gw0 = await startGatewayProcess({ dataDir: data.path, args });
      gateways.push(gw0);
      const port = gw0.port;
      const w = await writer(gw0.url, "writer");
      const first = await w.send("CREATE_USER", { id: "u1", name: "Alice" });
      const dbPath = join(dir.path, "persistent.kuzu");
      p = startReplicaProcess(gw0.url, dbPath, "persistent");
      await p.waitFor((l) => l.type === "applied" && l.seq === first, `the persistent replica applies seq ${first}`);
      // The poison event then arrives alone at the server replica, so each death counts for it (crash-guard.ts).
      await waitForStatus(gw0, (h) => h.replicaSeq === first, `the server replica applies seq ${first}`, 20_000);
      // Sequenced (durable before it is applied), then the server replica runs it: Kuzu segfaults.
      w.socket.send({ type: "event", event: makeEvent("TRIM_NAME", { id: "u1", len: -1 }, "writer") });
      expect(await gw0.proc.exited).not.toBe(0);
      const poison = first + 1;
      await p.kill();

      // Restarted on the same data dir, it dies on the replayed event until its guard refuses it.
      let deaths = 1;
      let up: GatewayProcess | null = null;
      while (up === null && deaths < 6) {
        const gw = await startGatewayProcess({ dataDir: data.path, port, args }).catch(() => null);
        if (gw === null) {
          deaths++;
          continue;
        }
        gateways.push(gw);
        // A gateway dying on the event refuses the health poll before its exit is seen: a failed
        // poll counts as a death when the process exits soon after.
        const died = gw.proc.exited.then(() => "died" as const);
        const healthy = waitForStatus(gw, (h) => h.status === "unhealthy", "unhealthy", 30_000).then(
          () => "up" as const,
          (error: unknown) => Promise.race([died, Bun.sleep(10_000).then(() => Promise.reject(error))]),
        );
        const outcome = await Promise.race([died, healthy]);
        if (outcome === "died") deaths++;
        else up = gw;
      }
      expect(deaths).toBe(3);
      const gw = up!;
      const stopped = await health(gw);
      expect(stopped.replicaStopped).toMatchObject({ seq: poison, code: "APPLY_STOPPED" });
      expect(stopped.replicaStopped!.message).toContain(`sync-server quarantine --seq ${poison}`);
      expect(stopped.replicaSeq).toBe(first);

      // Still serving: it sequences new events while its replica waits.
      const w2 = await writer(gw.url, "writer-2");
      await using _socket = w2.socket;
      const after = await w2.send("CREATE_USER", { id: "u2", name: "Bob" });
      expect(after).toBe(poison + 1);

      await quarantine(poison, "crashes Kuzu", ["--data-dir", gw.dataDir]);
      await waitForStatus(gw, (h) => h.status === "ok" && h.replicaSeq === after, "ok once quarantined", 30_000);

      // The persistent client restarts (whether or not it had received the event before) and skips it.
      p = startReplicaProcess(gw.url, dbPath, "persistent");
      expect(await p.waitFor((l) => l.type === "applied" && l.seq === poison, "the restarted replica reaches the quarantined seq")).toMatchObject({
        ok: false,
        error: "quarantined by the operator: crashes Kuzu",
      });
      await p.waitFor((l) => l.type === "applied" && l.seq === after, "the restarted replica goes past it");
      expect(await p.stop()).toBe(0);

      const fresh = await freshReplica(gw.url, poison);
      expect(fresh.outcome).toEqual({ ok: false, error: "quarantined by the operator: crashes Kuzu" });
      expect(fresh.users).toEqual([
        { id: "u1", name: "Alice" },
        { id: "u2", name: "Bob" },
      ]);
      expect({ match: fresh.match, at: fresh.at }).toEqual({ match: true, at: after });
      const cli = await cliVerify(gw.url, dbPath);
      expect(cli.code).toBe(0);
      expect(cli.body).toMatchObject({ match: true, seq: after, local: { sha256: fresh.sha256 } });
    } finally {
      await p?.kill();
      for (const gw of gateways) await gw.kill();
    }
  }, 150_000);
});
