import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { SyncClient } from "@kuzu-sync/client";
import { ClientPool, graphState } from "./support/clients.ts";
import { startGatewayProcess, tempDir } from "./support/gateway-process.ts";
import { waitForReplica } from "./support/health.ts";
import { FIRST_CLIENT_SEQ, GENESIS_SEQ } from "./support/log-start.ts";

async function writeUsers(c: SyncClient, from: number, n: number): Promise<number> {
  const acks = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      i % 4 === 3
        ? c.executeTemplate("INCREMENT_COUNTER", { counterId: `c${i % 3}`, amount: i })
        : c.executeTemplate("CREATE_USER", { id: `u${(from + i) % 50}`, name: `n${from + i}` }),
    ),
  );
  return Math.max(...acks.map((a) => a.seq));
}

describe("bootstrap from a snapshot when the replay would be long", () => {
  test("new clients take the offered snapshot (unless told not to); a client slightly behind replays", async () => {
    await using gw = await startGatewayProcess({ args: ["--snapshot-bootstrap-min", "100", "--snapshot-every", "0"] });
    await using pool = new ClientPool();
    using dir = tempDir();
    const writer = await pool.connect(gw.url);
    const dbPath = join(dir.path, "near.kuzu");
    const near = await pool.connect(gw.url, { dbPath });
    const head = await writeUsers(writer, 0, 250);
    await near.waitForSeq(head);
    await near.close();
    await waitForReplica(gw.httpUrl, head);

    const fresh = pool.make(gw.url);
    const phases: string[] = [];
    let replayed = 0;
    fresh.on("snapshot", (p) => phases.push(p.phase));
    fresh.on("event", () => replayed++);
    await fresh.connect();
    expect(phases.at(-1)).toBe("done");
    expect(replayed).toBe(0);
    expect(fresh.lastAppliedSeq).toBe(head);

    const replaying = pool.make(gw.url, { useSnapshots: false });
    let snapshotEvents = 0;
    const seen: number[] = [];
    const versions: { version: number; seq: number }[] = [];
    replaying.on("snapshot", () => snapshotEvents++);
    replaying.on("event", (e) => seen.push(e.seq));
    replaying.on("registry", ({ version, seq }) => versions.push({ version, seq }));
    await replaying.connect();
    expect(snapshotEvents).toBe(0);
    // The whole log replayed: the registry's genesis, then every write.
    expect(versions).toEqual([{ version: 1, seq: GENESIS_SEQ }]);
    expect(seen).toEqual(Array.from({ length: head - GENESIS_SEQ }, (_, i) => FIRST_CLIENT_SEQ + i));

    // 60 events behind (< 100): the log is the cheaper way, no offer.
    const next = await writeUsers(writer, 250, 60);
    const back = pool.make(gw.url, { dbPath });
    let offered = 0;
    back.on("snapshot", () => offered++);
    await back.connect();
    await back.waitForSeq(next);
    expect(offered).toBe(0);

    for (const c of [fresh, replaying, writer]) await c.waitForSeq(next);
    const expected = await graphState(writer);
    for (const c of [fresh, replaying, back]) expect(await graphState(c)).toEqual(expected);
  }, 60_000);
});
