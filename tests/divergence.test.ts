/**
 * Divergence cannot go unnoticed (issue 14): a replica corrupted on purpose (its Kuzu file written
 * directly while the client is closed) is found by `client.verify()` and `sync-client verify`,
 * rebuilt from the gateway's snapshot, and matches again; a replica *ahead* of the server's log
 * stops with REPLICA_AHEAD and is left untouched (finding 10).
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import kuzu from "kuzu";
import type { SnapshotProgress, VerifyResult } from "@kuzu-sync/client";
import { Replica } from "@kuzu-sync/replica";
import { runCli } from "./support/cli-process.ts";
import { ClientPool } from "./support/clients.ts";
import { startGatewayProcess, tempDir } from "./support/gateway-process.ts";

/** One statement straight into a closed replica's file, as a faulty disk or a stray tool would. */
async function writeBehindTheClientsBack(dbPath: string, cypher: string): Promise<void> {
  const db = new kuzu.Database(dbPath);
  const conn = new kuzu.Connection(db);
  try {
    const result = await conn.query(cypher);
    for (const r of Array.isArray(result) ? result : [result]) r.close();
  } finally {
    await conn.close();
    await db.close();
  }
}

async function cliVerify(url: string, dbPath: string, extra: readonly string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(["verify", "--db", dbPath, "--url", url, ...extra]);
}

describe("divergence", () => {
  test("a corrupted replica: verify() and sync-client verify find it (exit 5), a rebuild from the snapshot repairs it", async () => {
    await using gw = await startGatewayProcess();
    using dir = tempDir("diverge-");
    const dbPath = join(dir.path, "replica.kuzu");
    await using pool = new ClientPool();
    const writer = await pool.connect(gw.url);
    await writer.executeTemplate("CREATE_USER", { id: "u1", name: "Ann" });
    await writer.executeTemplate("CREATE_USER", { id: "u2", name: "Bob" });
    await writer.executeTemplate("FOLLOW_USER", { followerId: "u1", targetId: "u2" });
    const { seq: head } = await writer.executeTemplate("INCREMENT_COUNTER", { counterId: "c", amount: 3 });

    const first = pool.make(gw.url, { dbPath });
    await first.connect();
    await first.waitForSeq(head, 20_000);
    expect((await first.verify({ timeoutMs: 20_000 })).match).toBe(true);
    await first.close();

    // The same graph size, one property different: only a digest of the content sees it.
    await writeBehindTheClientsBack(dbPath, "MATCH (u:User {id: 'u2'}) SET u.name = 'Mallory'");

    const cli = await cliVerify(gw.url, dbPath);
    expect(cli.code).toBe(5);
    expect(cli.stdout).toContain(`DIFFERENT at seq ${head}`);
    expect(cli.stderr + cli.stdout).toContain("run again with --repair");

    const client = pool.make(gw.url, { dbPath });
    const divergences: VerifyResult[] = [];
    const errors: string[] = [];
    client.on("divergence", (r) => divergences.push(r));
    client.on("error", (e) => errors.push(e.code));
    await client.connect();
    const found = await client.verify({ timeoutMs: 20_000 });
    expect(found).toMatchObject({ seq: head, match: false, local: { nodes: 3, relationships: 1 }, server: { nodes: 3, relationships: 1 } });
    expect(found.local.sha256).not.toBe(found.server.sha256);
    expect(divergences).toEqual([found]);
    expect(errors).toEqual(["REPLICA_DIVERGED"]);

    const rebuilt = new Promise<void>((resolve) => {
      const off = client.on("snapshot", (p: SnapshotProgress) => {
        if (p.phase === "done") (off(), resolve());
      });
    });
    expect((await client.verify({ repair: true, timeoutMs: 20_000 })).match).toBe(false);
    await rebuilt;
    await client.connect();
    const repaired = await client.verify({ timeoutMs: 20_000 });
    expect(repaired).toMatchObject({ match: true, seq: head });
    expect(repaired.local.sha256).toBe(found.server.sha256);
    expect(await client.query("MATCH (u:User) RETURN u.id AS id, u.name AS name ORDER BY id")).toEqual([
      { id: "u1", name: "Ann" },
      { id: "u2", name: "Bob" },
    ]);
    // Live again after the rebuild.
    const { seq: next } = await writer.executeTemplate("CREATE_USER", { id: "u3", name: "Cy" });
    await client.waitForSeq(next, 20_000);
    await client.close();

    expect((await cliVerify(gw.url, dbPath)).code).toBe(0);
  }, 90_000);

  test("sync-client verify --repair rebuilds a corrupted replica and exits 0; a missing node is found too", async () => {
    await using gw = await startGatewayProcess();
    using dir = tempDir("diverge-cli-");
    const dbPath = join(dir.path, "replica.kuzu");
    await using pool = new ClientPool();
    const writer = await pool.connect(gw.url);
    await writer.executeTemplate("CREATE_USER", { id: "u1", name: "Ann" });
    const { seq: head } = await writer.executeTemplate("CREATE_USER", { id: "u2", name: "Bob" });
    const sync = await runCli(["query", "MATCH (u:User) RETURN count(u) AS n", "--db", dbPath, "--url", gw.url]);
    expect(sync.code).toBe(0);

    await writeBehindTheClientsBack(dbPath, "MATCH (u:User {id: 'u1'}) DETACH DELETE u");
    const repaired = await cliVerify(gw.url, dbPath, ["--repair", "--json"]);
    expect({ code: repaired.code, stderr: repaired.stderr }).toMatchObject({ code: 0 });
    const body = JSON.parse(repaired.stdout) as { match: boolean; seq: number; local: { nodes: number }; server: { nodes: number }; repaired: { match: boolean } };
    expect(body).toMatchObject({ match: false, seq: head, local: { nodes: 1 }, server: { nodes: 2 }, repaired: { match: true } });
    expect((await cliVerify(gw.url, dbPath)).code).toBe(0);
  }, 90_000);
});

describe("a replica ahead of the server's log (finding 10)", () => {
  test("stops with REPLICA_AHEAD, saying what to do, and the replica is left as it was", async () => {
    using dir = tempDir("ahead-");
    const dbPath = join(dir.path, "replica.kuzu");
    await using pool = new ClientPool();
    let appliedBefore: number;
    {
      await using first = await startGatewayProcess();
      const writer = await pool.connect(first.url);
      for (let i = 0; i < 5; i++) await writer.executeTemplate("CREATE_USER", { id: `u${i}`, name: "x" });
      const { seq } = await writer.executeTemplate("INCREMENT_COUNTER", { counterId: "c" });
      const persistent = pool.make(first.url, { dbPath });
      await persistent.connect();
      await persistent.waitForSeq(seq, 20_000);
      appliedBefore = persistent.lastAppliedSeq;
      await persistent.close();
    }
    // Another deployment (or a server restored from an older backup): a shorter log.
    await using other = await startGatewayProcess();
    const client = pool.make(other.url, { dbPath });
    const errors: string[] = [];
    client.on("error", (e) => errors.push(e.code));
    const error = (await client.connect().catch((e: unknown) => e)) as { code?: string; message?: string };
    expect(error.code).toBe("REPLICA_AHEAD");
    expect(error.message).toContain(`has applied up to seq ${appliedBefore}`);
    expect(error.message).toContain("move the replica aside");
    expect(errors).toContain("REPLICA_AHEAD");
    await client.close();

    // Again on a second attempt, and the replica is untouched: the same seq and graph.
    const again = pool.make(other.url, { dbPath });
    expect(await again.connect().catch((e: unknown) => e)).toMatchObject({ code: "REPLICA_AHEAD" });
    await again.close();
    const replica = await Replica.open({ path: dbPath });
    try {
      expect(replica.appliedSeq).toBe(appliedBefore);
      expect(await replica.query("MATCH (u:User) RETURN count(u) AS n")).toEqual([{ n: 5 }]);
    } finally {
      await replica.close();
    }
    expect(((await (await fetch(`${other.httpUrl}/health`)).json()) as { headSeq: number }).headSeq).toBeLessThan(appliedBefore);
  }, 90_000);
});
