/**
 * JetStreamArchivableLog against a real nats-server, in-process: reads and purges, the purge limit
 * over the gateways' recorded positions (gone gateways, gateways behind the horizon, none
 * recorded) and the KV lock (held, left by a dead process, stale on another host). Clocks are
 * shifted through the `now` option instead of waiting days.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { hostname } from "node:os";
import { StorageType, type KV, type NatsConnection } from "nats";
import { ARCHIVE_KV_BUCKET, archiveLockKey, JetStreamArchivableLog, logSubject, replicaPositionKey } from "@kuzu-sync/log";
import { DAY } from "./support/aged-log.ts";
import { publishAged } from "./support/aged-stream.ts";
import { natsClient } from "./support/jetstream.ts";
import { NatsServer } from "./support/nats-server.ts";

setDefaultTimeout(30_000);

const STREAM = "ARCHIVE_TEST";

interface Setup extends AsyncDisposable {
  readonly nc: NatsConnection;
  readonly kv: KV;
  /** Record a position as a gateway does; resolves with the KV time of the entry (ms). */
  record(gateway: string, seq: number): Promise<number>;
  open(options?: { replicaStaleAfterMs?: number; lockStaleMs?: number; now?: () => number }): Promise<JetStreamArchivableLog>;
}

async function setup(nats: NatsServer): Promise<Setup> {
  const nc = await natsClient(nats.url);
  await (await nc.jetstreamManager()).streams.add({ name: STREAM, subjects: [logSubject(STREAM)], storage: StorageType.File });
  const kv = await nc.jetstream().views.kv(ARCHIVE_KV_BUCKET, { history: 1 });
  const logs: JetStreamArchivableLog[] = [];
  return {
    nc,
    kv,
    async record(gateway, seq) {
      const key = replicaPositionKey(STREAM, gateway);
      await kv.put(key, JSON.stringify({ gateway, seq, recordedAt: Date.now() }));
      return (await kv.get(key))!.created.getTime();
    },
    async open(options = {}) {
      const log = await JetStreamArchivableLog.open({ natsUrl: nats.url, stream: STREAM, replicaStaleAfterMs: 7 * DAY, ...options });
      logs.push(log);
      return log;
    },
    async [Symbol.asyncDispose]() {
      for (const log of logs) await log.close();
      await nc[Symbol.asyncDispose]();
    },
  };
}

describe("JetStreamArchivableLog", () => {
  test("horizon and head of an empty, a filled and a fully purged stream; reads stop at the first young event; purges need the lock", async () => {
    await using nats = await NatsServer.start();
    await using s = await setup(nats);
    const log = await s.open();
    expect([await log.horizon(), await log.head()]).toEqual([1, 0]);
    expect(await log.readOlderThan(Date.now(), 0, 10)).toEqual([]);
    const now = Date.now();
    const events = await publishAged(nats.url, STREAM, [
      { at: now - 3 * DAY, count: 1500 },
      { at: now - DAY, count: 10 },
      { at: now - 3 * DAY, count: 5 }, // old again after young ones: the hot range stays contiguous
    ]);
    expect([await log.horizon(), await log.head()]).toEqual([1, 1515]);
    expect(await log.readOlderThan(now - 2 * DAY, 0, 10_000)).toEqual(events.slice(0, 1500));
    expect(await log.readOlderThan(now - 2 * DAY, 1400, 50)).toEqual(events.slice(1400, 1450));
    expect(await log.readOlderThan(now, 1500, 100)).toEqual(events.slice(1500));

    await expect(log.purgeThrough(1000)).rejects.toThrow("no longer holds the lock");
    {
      await using _lock = await log.lock();
      await log.purgeThrough(1000);
      expect([await log.horizon(), await log.head()]).toEqual([1001, 1515]);
      await log.purgeThrough(1515);
    }
    expect([await log.horizon(), await log.head()]).toEqual([1516, 1515]);
    expect(await log.readOlderThan(now, 1515, 100)).toEqual([]);
  });

  test("purge limit: the minimum over live gateways; gone ones and ones behind the horizon are ignored, with a note each", async () => {
    await using nats = await NatsServer.start();
    await using s = await setup(nats);
    const stale = 7 * DAY;
    let clock = Date.now();
    const log = await s.open({ replicaStaleAfterMs: stale, now: () => clock });
    expect(await log.purgeLimit()).toEqual({ seq: 0, notes: [expect.stringContaining(`no gateway has recorded its server replica's position for stream ${STREAM}`)] });

    await publishAged(nats.url, STREAM, [{ at: Date.now() - 40 * DAY, count: 100 }]);
    const goneAt = await s.record("gone", 20);
    while (Date.now() <= goneAt + 1) await Bun.sleep(1); // the next entries get a later KV time
    await s.record("a", 90);
    await s.record("b", 60);
    clock = Date.now();
    expect(await log.purgeLimit()).toEqual({ seq: 20, notes: [] }); // everyone counts while heard from

    clock = goneAt + stale + 1; // "gone" was last heard from more than 7 d ago, a and b less
    const limit = await log.purgeLimit();
    expect(limit.seq).toBe(60);
    expect(limit.notes).toEqual([expect.stringMatching(/^ignoring gateway gone \(server replica at seq 20\): not heard from for .+, more than REPLICA_STALE_AFTER/)]);

    // Past the horizon: a gateway below it cannot be helped by holding back, so it does not count.
    await (await s.nc.jetstreamManager()).streams.purge(STREAM, { seq: 51 });
    clock = Date.now();
    const after = await log.purgeLimit();
    expect(after.seq).toBe(60);
    expect(after.notes).toEqual([expect.stringContaining("ignoring gateway gone: its server replica (seq 20) is already behind the horizon 51")]);

    clock = Date.now() + stale + 60_000; // every gateway gone: nothing may be purged
    expect(await log.purgeLimit()).toMatchObject({ seq: 0, notes: expect.arrayContaining([expect.stringContaining(`no live gateway follows stream ${STREAM}`)]) });
  });

  test("lock: a second run is refused while the first holds it; left by a dead process here, or stale elsewhere, it is taken over", async () => {
    await using nats = await NatsServer.start();
    await using s = await setup(nats);
    const first = await s.open();
    const second = await s.open();
    {
      await using _held = await first.lock();
      await expect(second.lock()).rejects.toThrow(`another sync-archiver (pid ${process.pid} on`);
    }
    // Released: the second takes it.
    await (await second.lock())[Symbol.asyncDispose]();

    const key = archiveLockKey(STREAM);
    const dead = Bun.spawnSync(["true"]).pid; // a pid that has exited
    await s.kv.put(key, JSON.stringify({ owner: "killed-run", host: hostname(), pid: dead, since: Date.now() }));
    await (await first.lock())[Symbol.asyncDispose]();

    // Another host: its pid means nothing here, only the age counts.
    await s.kv.put(key, JSON.stringify({ owner: "other-host", host: "elsewhere.invalid", pid: 1, since: Date.now() }));
    const created = (await s.kv.get(key))!.created.getTime();
    await expect(second.lock()).rejects.toThrow("another sync-archiver (pid 1 on elsewhere.invalid)");
    const later = await s.open({ lockStaleMs: 60_000, now: () => created + 60_001 });
    const taken = await later.lock();
    expect((await s.kv.get(key))!.json<{ owner: string }>().owner).not.toBe("other-host");
    // The run that was taken over may not purge any more.
    await s.kv.put(key, JSON.stringify({ owner: "usurper", host: "elsewhere.invalid", pid: 1, since: Date.now() }));
    await expect(later.purgeThrough(1)).rejects.toThrow("no longer holds the lock");
    await taken[Symbol.asyncDispose]();
  });
});
