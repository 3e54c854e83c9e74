/**
 * Replicas across the archive horizon, on both logs: the embedded one, and a JetStream stream
 * (`--log jetstream`). The real gateway, sync-archiver, s3rver and (for JetStream) nats-server.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { openSnapshotArchive } from "@kuzu-sync/replica";
import { startArchiveStack } from "./support/archive-stack.ts";
import { ClientPool, connectCounting, graphState, writeHistory } from "./support/clients.ts";
import { tempDir } from "./support/gateway-process.ts";
import { health } from "./support/health.ts";
import { getJson } from "./support/jetstream.ts";
import { FIRST_CLIENT_SEQ } from "./support/log-start.ts";
import { makeEvent, RawSocket } from "./support/raw-socket.ts";

for (const backend of ["embedded", "jetstream"] as const) {
  describe(`replicas across the archive horizon (${backend} log)`, () => {
    test("brand-new clients after archiving converge to the state of a client that saw everything", async () => {
      await using stack = await startArchiveStack(backend);
      const gw = stack.gateways[0]!;
      await using pool = new ClientPool();
      using dir = tempDir();
      const veteran = await pool.connect(gw.url);
      const head = await writeHistory(veteran, 240, "h");
      await veteran.waitForSeq(head);
      await stack.archiveAll(head);

      for (const options of [{}, { dbPath: join(dir.path, "fresh.kuzu") }]) {
        const { client: fresh, phases, applied } = await connectCounting(pool, gw.url, options);
        expect(phases[0]).toBe("download");
        expect(phases.slice(-2)).toEqual(["import", "done"]);
        expect(applied()).toBe(0); // nothing replayed: everything came with the snapshot
        expect(fresh.lastAppliedSeq).toBe(head);
        expect(await graphState(fresh)).toEqual(await graphState(veteran));
      }

      // And they keep following the log like any replica.
      const late = pool.make(gw.url);
      await late.connect();
      const next = await writeHistory(late, 30, "after");
      await veteran.waitForSeq(next);
      await late.waitForSeq(next);
      expect(await graphState(late)).toEqual(await graphState(veteran));
      expect(readdirSync(dir.path).filter((f) => f.includes("snapshot"))).toEqual([]);
    }, 60_000);

    test("a persistent client offline across an archive pass bootstraps, keeps its identity and outbox, and converges", async () => {
      await using stack = await startArchiveStack(backend);
      const gw = stack.gateways[0]!;
      await using pool = new ClientPool();
      using dir = tempDir();
      const dbPath = join(dir.path, "replica.kuzu");
      const writer = await pool.connect(gw.url);
      const offline = await pool.connect(gw.url, { dbPath });
      const early = await writeHistory(writer, 60, "early");
      await offline.waitForSeq(early);
      const clientId = offline.clientId;
      // Queued, then the client goes away before it can know the outcome: it stays in the outbox.
      const queued = offline.executeTemplate("INCREMENT_COUNTER", { counterId: "offline", amount: 1000 });
      queued.catch(() => {});
      await offline.close();

      const head = await writeHistory(writer, 150, "while-offline");
      await writer.waitForSeq(head);
      // /stats, not /health: it includes every write the gateway acknowledged (in JetStream mode an
      // ack may come a moment before the gateway's own consumer brought the event back).
      const finalHead = (await getJson<{ headSeq: number }>(gw.httpUrl, "/stats")).headSeq; // includes the queued event if it got through
      await stack.archiveAll(finalHead);

      const back = pool.make(gw.url, { dbPath });
      let bootstrapped = false;
      back.on("snapshot", (p) => (bootstrapped ||= p.phase === "done"));
      await back.connect();
      expect(bootstrapped).toBe(true);
      expect(back.clientId).toBe(clientId);
      // connect() waits for catch-up, not for the outbox: the resend's ack may come after `live`.
      await back.flush();
      expect(back.pendingCount).toBe(0); // the outbox was resent and acknowledged (once, by id)
      const settled = (await getJson<{ headSeq: number }>(gw.httpUrl, "/stats")).headSeq;
      await back.waitForSeq(settled);
      await writer.waitForSeq(settled);
      expect(await back.query("MATCH (c:Counter {id: 'offline'}) RETURN c.value AS v")).toEqual([{ v: 1000 }]);
      expect(await graphState(back)).toEqual(await graphState(writer));
      expect(readdirSync(dir.path).some((f) => f.includes(".snapshot-"))).toBe(false);
    }, 60_000);

    test("the handshake below the horizon: welcome.snapshot required, SNAPSHOT_REQUIRED, close 4000; GET /snapshot serves it", async () => {
      await using stack = await startArchiveStack(backend);
      const gw = stack.gateways[0]!;
      await using pool = new ClientPool();
      const first = makeEvent("CREATE_USER", { id: "u1", name: "first" }, "raw");
      {
        const { socket } = await RawSocket.hello(gw.url, "raw", 0);
        await using _s = socket;
        socket.send({ type: "event", event: first });
        // The new log's first write (after the registry's genesis).
        expect(await socket.nextOfType("ack")).toMatchObject({ id: first["id"], seq: FIRST_CLIENT_SEQ, duplicate: false });
      }
      const c = await pool.connect(gw.url);
      const head = await writeHistory(c, 40, "x");
      await c.waitForSeq(head);
      await stack.archiveAll(head);

      await using socket = await RawSocket.open(gw.url);
      socket.send({ type: "hello", clientId: "raw", lastSeq: 0 });
      const welcome = await socket.next();
      expect(welcome).toMatchObject({ type: "welcome", headSeq: head, horizonSeq: head + 1, snapshot: { url: "/snapshot", required: true } });
      expect((welcome["snapshot"] as { seq: number }).seq).toBeGreaterThanOrEqual(head);
      expect(await socket.next()).toMatchObject({ type: "error", code: "SNAPSHOT_REQUIRED" });
      expect((await socket.closeEvent).code).toBe(4000);

      // A replica exactly at the horizon needs no snapshot.
      const { socket: current, welcome: w2 } = await RawSocket.hello(gw.url, "raw", head);
      await using _c = current;
      expect(w2["snapshot"]).toBeUndefined();
      // Dedupe outlives archiving: the archived event's id is still known.
      current.send({ type: "event", event: first });
      expect(await current.nextOfType("ack")).toMatchObject({ id: first["id"], seq: FIRST_CLIENT_SEQ, duplicate: true });

      const res = await fetch(`${gw.httpUrl}/snapshot`);
      expect(res.status).toBe(200);
      const seq = Number(res.headers.get("x-snapshot-seq"));
      expect(seq).toBeGreaterThanOrEqual(head);
      const body = new Uint8Array(await res.arrayBuffer());
      expect(new Bun.CryptoHasher("sha256").update(body).digest("hex")).toBe(res.headers.get("x-snapshot-sha256")!);
      using dir = tempDir();
      await Bun.write(join(dir.path, "s.tar"), body);
      const replica = await openSnapshotArchive(join(dir.path, "s.tar"), {}, dir.path);
      try {
        expect(replica.appliedSeq).toBe(seq);
        expect(await replica.query("MATCH (u:User {id: 'u1'}) RETURN count(*) AS n")).toEqual([{ n: 1 }]);
      } finally {
        await replica.close();
      }
      expect((await health(gw.httpUrl)).snapshotSeq).toBe(seq);
    }, 60_000);
  });
}
