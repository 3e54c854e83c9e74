/**
 * What only the JetStream log has across an archive pass (the rest runs for both logs in
 * snapshot-horizon.test.ts): two real gateways sharing the stream both send clients below the
 * horizon to a snapshot and keep working after the purge, and a gateway whose own server replica
 * is behind the stream's first seq refuses to start.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { positionsAt, streamState } from "./support/aged-stream.ts";
import { startArchiveStack, STREAM } from "./support/archive-stack.ts";
import { ClientPool, connectCounting, graphState, writeHistory } from "./support/clients.ts";
import { tempDir } from "./support/gateway-process.ts";
import { health } from "./support/health.ts";
import { RawSocket } from "./support/raw-socket.ts";

setDefaultTimeout(60_000);

describe("JetStream gateways across the archive horizon", () => {
  test("two gateways after a purge: snapshot required on both, new clients on both converge, writes through both go on", async () => {
    await using stack = await startArchiveStack("jetstream", 2);
    const gw1 = stack.gateways[0]!;
    const gw2 = stack.gateways[1]!;
    await using pool = new ClientPool();
    using dir = tempDir();
    const veteran = await pool.connect(gw1.url);
    const other = await pool.connect(gw2.url);
    await writeHistory(veteran, 120, "a");
    const head = await writeHistory(other, 120, "b");
    await veteran.waitForSeq(head);
    await other.waitForSeq(head);
    await stack.archiveAll(head);
    expect(await streamState(stack.nats!.url, STREAM)).toEqual({ first: head + 1, last: head, messages: 0 });

    for (const gw of [gw1, gw2]) {
      await using socket = await RawSocket.open(gw.url);
      socket.send({ type: "hello", clientId: "raw", lastSeq: 0 });
      expect(await socket.next()).toMatchObject({ type: "welcome", headSeq: head, horizonSeq: head + 1, snapshot: { url: "/snapshot", required: true } });
      expect(await socket.next()).toMatchObject({ type: "error", code: "SNAPSHOT_REQUIRED" });
      expect((await socket.closeEvent).code).toBe(4000);
    }
    const state = await graphState(veteran);
    for (const [gw, options] of [[gw1, {}], [gw2, { dbPath: join(dir.path, "fresh.kuzu") }]] as const) {
      const { client, phases, applied } = await connectCounting(pool, gw.url, options);
      expect([phases.at(-1), applied(), client.lastAppliedSeq]).toEqual(["done", 0, head]);
      expect(await graphState(client)).toEqual(state);
    }

    // Writes through both gateways after the purge: one order, everyone converges.
    const late1 = await pool.connect(gw1.url);
    const late2 = await pool.connect(gw2.url);
    await writeHistory(late1, 40, "after1");
    const next = await writeHistory(late2, 40, "after2");
    expect(next).toBe(head + 80);
    for (const c of [veteran, other, late1, late2]) await c.waitForSeq(next);
    const after = await graphState(veteran);
    for (const c of [other, late1, late2]) expect(await graphState(c)).toEqual(after);
    for (const gw of [gw1, gw2]) expect(await health(gw.httpUrl)).toMatchObject({ headSeq: next, horizonSeq: head + 1 });
  });

  test("a gateway whose server replica is behind the stream's first seq refuses to start, saying why", async () => {
    await using stack = await startArchiveStack("jetstream");
    const gw = stack.gateways[0]!;
    await using pool = new ClientPool();
    const writer = await pool.connect(gw.url);
    const head = await writeHistory(writer, 30, "x");
    await stack.archiveAll(head);

    using dir = tempDir();
    const error = await stack.startGateway({ dataDir: dir.path }).then(
      () => null,
      (e: unknown) => String(e),
    );
    expect(error).toContain("exited with 1");
    expect(error).toContain(`the server replica in ${join(dir.path, "replica")} is at seq 0 but the log starts at seq ${head + 1}`);
    expect(error).toContain("can never catch up from the log");
    // It recorded nothing that could hold the archiver back, and the first gateway is unaffected.
    expect([...(await positionsAt(stack.nats!.url, STREAM, 1, head)).values()]).toEqual([head]);
    expect((await health(gw.httpUrl)).replicaSeq).toBe(head);
  });
});
