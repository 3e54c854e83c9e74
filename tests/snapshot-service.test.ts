import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { SqliteArchivableLog, SqliteEventLog } from "@kuzu-sync/log";
import { exampleRegistry, type ClientEvent } from "@kuzu-sync/protocol";
import { Replica } from "@kuzu-sync/replica";
import { ServerReplica, SnapshotService } from "@kuzu-sync/sync-server/internal";
import { silentLogger } from "@kuzu-sync/telemetry";
import { tempDir } from "./support/gateway-process.ts";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

let n = 0;
function users(count: number): ClientEvent[] {
  return Array.from({ length: count }, () => {
    n++;
    return { id: `e${n}-${crypto.randomUUID()}`, template: "CREATE_USER", params: { id: `u${n % 40}`, name: `n${n}`, email: null }, clientId: "t", timestamp: 0 };
  });
}

/** The gateway's pieces, in process: SQLite log, server replica following it, snapshot service. */
async function setup(refreshEvents: number, bootstrapMinEvents: number) {
  const dir = tempDir();
  cleanup.push(() => dir[Symbol.dispose]());
  const log = SqliteEventLog.open({ path: join(dir.path, "events.sqlite") });
  const replica = await Replica.open({ path: join(dir.path, "replica", "db.kuzu") });
  await replica.install(exampleRegistry.toWire());
  const follower = new ServerReplica(replica, log, silentLogger);
  follower.start();
  const snapshots = new SnapshotService({ follower, log, dir: join(dir.path, "snapshots"), logger: silentLogger, refreshEvents, bootstrapMinEvents });
  snapshots.start();
  const archiverView = SqliteArchivableLog.open(join(dir.path, "events.sqlite"));
  cleanup.push(async () => {
    await snapshots.stop();
    await follower.stop();
    await archiverView.close();
    await log.close();
    await replica.close();
  });
  /** Append in one transaction (one commit, one replica batch) and wait until applied and snapshotted. */
  const write = async (count: number) => {
    await log.append(users(count));
    await follower.waitFor(log.headSeq);
    await snapshots.idle();
  };
  return { log, follower, snapshots, archiverView, write };
}

describe("SnapshotService", () => {
  test("refreshes after N applied events once snapshots are in use; records the replica position for the archiver", async () => {
    const { snapshots, archiverView, write } = await setup(50, 100);
    await write(80);
    expect(snapshots.current).toBeNull(); // 80 < 100: nobody would be offered one, none built
    expect((await archiverView.purgeLimit()).seq).toBe(80);
    await write(40);
    expect(snapshots.current?.seq).toBe(120);
    await write(30);
    expect(snapshots.current?.seq).toBe(120); // 30 < 50 since the last one
    await write(30);
    expect(snapshots.current?.seq).toBe(180);
    expect(snapshots.offerFor(0)).toEqual({ seq: 180, url: "/snapshot", required: false });
    expect(snapshots.offerFor(100)).toBeNull(); // 80 behind: replay
  });

  test("a snapshot behind the horizon is never served: the next request builds one that reaches it", async () => {
    const { log, snapshots, archiverView, write } = await setup(0, 0);
    await write(100);
    expect(snapshots.current).toBeNull(); // refresh off, no archive: built on demand only
    const first = await snapshots.ensureFresh();
    expect(first.seq).toBe(100);
    expect(snapshots.offerFor(0)).toBeNull(); // bootstrap offers are off and nothing is archived

    await write(20);
    await archiverView.purgeThrough(90);
    expect(log.horizonSeq).toBe(91);
    expect(snapshots.offerFor(0)).toEqual({ seq: 100, url: "/snapshot", required: true });
    expect(snapshots.offerFor(89)).toEqual({ seq: 100, url: "/snapshot", required: true });
    expect(snapshots.offerFor(90)).toBeNull();
    expect((await snapshots.ensureFresh()).seq).toBe(100); // 100 ≥ horizon - 1: still usable

    await archiverView.purgeThrough(110);
    expect(snapshots.offerFor(0)).toEqual({ seq: 120, url: "/snapshot", required: true });
    const res = await snapshots.handle();
    expect(res.status).toBe(200);
    expect(res.headers.get("x-snapshot-seq")).toBe("120");
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.byteLength).toBe(Number(res.headers.get("content-length")));
    expect(new Bun.CryptoHasher("sha256").update(body).digest("hex")).toBe(res.headers.get("x-snapshot-sha256")!);
    expect(snapshots.current?.seq).toBe(120);
  });
});
