/**
 * Gateways on the JetStream log across an archive pass (`sync-archiver run --log jetstream`): two
 * real gateways share the stream; clients below the stream's first seq are sent to a snapshot,
 * converge, and everything keeps working; a gateway whose own replica is behind refuses to start.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { SnapshotProgress } from "@kuzu-sync/client";
import { positionsAt, streamState } from "./support/aged-stream.ts";
import { runArchiver } from "./support/archiver-process.ts";
import { ClientPool, graphState, writeHistory } from "./support/clients.ts";
import { startGatewayProcess, tempDir, type GatewayProcess } from "./support/gateway-process.ts";
import { health, waitForReplica } from "./support/health.ts";
import { NatsServer } from "./support/nats-server.ts";
import { RawSocket } from "./support/raw-socket.ts";
import { startS3Server, type S3Server } from "./support/s3-server.ts";

setDefaultTimeout(60_000);

const STREAM = "KUZU_SYNC_EVENTS";

function gateway(nats: NatsServer, dataDir?: string): Promise<GatewayProcess> {
  return startGatewayProcess({ args: ["--log", "jetstream", "--nats-url", nats.url], ...(dataDir === undefined ? {} : { dataDir }) });
}

/** Archive everything every gateway's replica has applied, and wait until the gateways know. */
async function archiveAll(nats: NatsServer, s3: S3Server, gateways: readonly GatewayProcess[], head: number): Promise<void> {
  for (const gw of gateways) await waitForReplica(gw.httpUrl, head);
  await positionsAt(nats.url, STREAM, gateways.length, head);
  const r = await runArchiver(["run", "--older-than", "0s", "--segment-events", "100"], { ...s3.env, LOG_BACKEND: "jetstream", NATS_URL: nats.url });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`the hot log now starts at seq ${head + 1}`);
  expect((await streamState(nats.url, STREAM)).first).toBe(head + 1);
  for (const gw of gateways) {
    // The archiver announces the purge on NATS; the gateway re-reads the stream's first seq.
    const deadline = Date.now() + 10_000;
    while ((await health(gw.httpUrl)).horizonSeq !== head + 1) {
      if (Date.now() > deadline) throw new Error(`gateway ${gw.url} horizon ${(await health(gw.httpUrl)).horizonSeq}, expected ${head + 1}`);
      await Bun.sleep(20);
    }
  }
}

describe("JetStream gateways across the archive horizon", () => {
  test("two gateways after a purge: snapshot required below the horizon, brand-new clients converge, both keep working", async () => {
    await using nats = await NatsServer.start();
    await using s3 = await startS3Server();
    await using gw1 = await gateway(nats);
    await using gw2 = await gateway(nats);
    await using pool = new ClientPool();
    using dir = tempDir();
    const veteran = await pool.connect(gw1.url);
    const other = await pool.connect(gw2.url);
    await writeHistory(veteran, 120, "a");
    const head = await writeHistory(other, 120, "b");
    await veteran.waitForSeq(head);
    await other.waitForSeq(head);
    await archiveAll(nats, s3, [gw1, gw2], head);

    // The handshake below the horizon, on either gateway.
    for (const gw of [gw1, gw2]) {
      await using socket = await RawSocket.open(gw.url);
      socket.send({ type: "hello", clientId: "raw", lastSeq: 0 });
      expect(await socket.next()).toMatchObject({ type: "welcome", headSeq: head, horizonSeq: head + 1, snapshot: { url: "/snapshot", required: true } });
      expect(await socket.next()).toMatchObject({ type: "error", code: "SNAPSHOT_REQUIRED" });
      expect((await socket.closeEvent).code).toBe(4000);
    }

    for (const [gw, options] of [[gw1, {}], [gw2, { dbPath: join(dir.path, "fresh.kuzu") }]] as const) {
      const fresh = pool.make(gw.url, options);
      const phases: SnapshotProgress["phase"][] = [];
      let applied = 0;
      fresh.on("snapshot", (p) => phases.push(p.phase));
      fresh.on("event", () => applied++);
      await fresh.connect();
      expect(phases.slice(-2)).toEqual(["import", "done"]);
      expect(applied).toBe(0);
      expect(fresh.lastAppliedSeq).toBe(head);
      expect(await graphState(fresh)).toEqual(await graphState(veteran));
    }

    // Writes through both gateways after the purge: one order, everyone converges.
    const late1 = await pool.connect(gw1.url);
    const late2 = await pool.connect(gw2.url);
    await writeHistory(late1, 40, "after1");
    const next = await writeHistory(late2, 40, "after2");
    expect(next).toBe(head + 80);
    for (const c of [veteran, other, late1, late2]) await c.waitForSeq(next);
    const state = await graphState(veteran);
    for (const c of [other, late1, late2]) expect(await graphState(c)).toEqual(state);
    for (const gw of [gw1, gw2]) expect(await health(gw.httpUrl)).toMatchObject({ headSeq: next, horizonSeq: head + 1 });
  });

  test("a persistent client offline across an archive pass bootstraps, keeps its identity, and converges", async () => {
    await using nats = await NatsServer.start();
    await using s3 = await startS3Server();
    await using gw = await gateway(nats);
    await using pool = new ClientPool();
    using dir = tempDir();
    const dbPath = join(dir.path, "replica.kuzu");
    const writer = await pool.connect(gw.url);
    const offline = await pool.connect(gw.url, { dbPath });
    const early = await writeHistory(writer, 60, "early");
    await offline.waitForSeq(early);
    const clientId = offline.clientId;
    await offline.close();

    const head = await writeHistory(writer, 150, "while-offline");
    await writer.waitForSeq(head);
    await archiveAll(nats, s3, [gw], head);

    const back = pool.make(gw.url, { dbPath });
    let bootstrapped = false;
    back.on("snapshot", (p) => (bootstrapped ||= p.phase === "done"));
    await back.connect();
    expect(bootstrapped).toBe(true);
    expect(back.clientId).toBe(clientId);
    await back.waitForSeq(head);
    expect(await graphState(back)).toEqual(await graphState(writer));
  });

  test("a gateway whose server replica is behind the stream's first seq refuses to start, saying why", async () => {
    await using nats = await NatsServer.start();
    await using s3 = await startS3Server();
    await using gw = await gateway(nats);
    await using pool = new ClientPool();
    const writer = await pool.connect(gw.url);
    const head = await writeHistory(writer, 30, "x");
    await archiveAll(nats, s3, [gw], head);

    using dir = tempDir();
    const started = gateway(nats, dir.path);
    const error = await started.then(
      async (unexpected) => (await unexpected.stop(), null),
      (e: unknown) => String(e),
    );
    expect(error).toContain("exited with 1");
    expect(error).toContain(`the server replica in ${join(dir.path, "replica")} is at seq 0 but the log starts at seq ${head + 1}`);
    expect(error).toContain("can never catch up from the log");
    // It recorded nothing that could hold the archiver back, and the first gateway is unaffected.
    expect([...(await positionsAt(nats.url, STREAM, 1, head)).values()]).toEqual([head]);
    expect((await health(gw.httpUrl)).replicaSeq).toBe(head);
  });
});
