#!/usr/bin/env bun
/**
 * Snapshot bootstrap vs replay: how long a brand-new replica takes to reach the same state
 * (a) by replaying the history as catch-up pages, and (b) from a snapshot of a replica that already
 * has it. Same history, same run, same machine.
 *
 * - replay: the pages as the gateway sends them (JSON `events` frames of 1000), parsed with the
 *   client's parser and applied in batches of up to `--batch` events (the client coalesces queued
 *   pages the same way), into a fresh persistent replica.
 * - snapshot: download of the archive over loopback HTTP (`GET /snapshot` as the gateway serves
 *   it), unpack, check, `IMPORT DATABASE` into a fresh persistent replica.
 * The gateway-side cost (EXPORT DATABASE + pack) is reported separately: it is paid once per
 * refresh, not per client.
 *
 *   bun bench/snapshot.ts                  # 200k events
 *   bun bench/snapshot.ts --events 20000
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encodeServerMessage, exampleRegistry, parseServerMessage, type SequencedEvent } from "@kuzu-sync/protocol";
import { Replica, openSnapshotArchive, writeSnapshotArchive } from "@kuzu-sync/replica";
import { seeded } from "../tests/support/seeded.ts";

const { values } = parseArgs({
  options: { events: { type: "string", default: "200000" }, page: { type: "string", default: "1000" }, batch: { type: "string", default: "10000" } },
});
const N = Number(values.events);
const PAGE = Number(values.page);
const BATCH = Number(values.batch);
const registry = exampleRegistry.toWire();
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** A social-graph history over a bounded key space, so later events update earlier state. */
function history(n: number): SequencedEvent[] {
  const users = Math.max(10, Math.floor(n / 4));
  const random = seeded(0x5eed); // every run replays the same history
  const out: SequencedEvent[] = [];
  for (let i = 0; i < n; i++) {
    const u = `user-${Math.floor(random() * users)}`;
    const v = `user-${Math.floor(random() * users)}`;
    const r = Math.floor(random() * 20);
    const [template, params] =
      r < 8
        ? ["CREATE_USER", { id: u, name: `User ${i}`, email: `u${i}@example.com` }]
        : r < 13
          ? ["CREATE_POST", { id: `post-${i % (users * 2)}`, authorId: u, content: `post number ${i} by ${u}` }]
          : r < 16
            ? ["FOLLOW_USER", { followerId: u, targetId: v }]
            : r < 19
              ? ["INCREMENT_COUNTER", { counterId: `counter-${i % 1000}`, amount: i % 17 }]
              : ["UPDATE_USER", { id: v, name: `Renamed ${i}` }];
    const valid = exampleRegistry.validate(template, params);
    if (!valid.ok) throw new Error(valid.message);
    out.push({ id: `evt-${i}`, template, params: valid.params, clientId: "bench", timestamp: 1_700_000_000_000 + i, seq: i + 1, serverTimestamp: 1_700_000_000_000 + i });
  }
  return out;
}

async function fingerprint(r: Replica): Promise<string> {
  const q = async (c: string) => JSON.stringify(await r.query(c), (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  return [
    await q("MATCH (u:User) RETURN count(*) AS n, sum(size(u.name)) AS s"),
    await q("MATCH (p:Post) RETURN count(*) AS n, sum(size(p.content)) AS s"),
    await q("MATCH (c:Counter) RETURN count(*) AS n, sum(c.value) AS s"),
    await q("MATCH ()-[f:FOLLOWS]->() RETURN count(*) AS n"),
    await q("MATCH ()-[a:AUTHORED]->() RETURN count(*) AS n"),
    String(r.appliedSeq),
  ].join(" ");
}

const work = mkdtempSync(join(tmpdir(), "bench-snapshot-"));
try {
  console.log(`snapshot bench: ${fmt(N)} events, catch-up pages of ${PAGE}, replay batches of up to ${BATCH}`);
  const events = history(N);
  const pages: string[] = [];
  for (let i = 0; i < N; i += PAGE) pages.push(encodeServerMessage({ type: "events", events: events.slice(i, i + PAGE) }));

  // The gateway's server replica: built once (setup, not measured against anything).
  const source = await Replica.open({ path: join(work, "source.kuzu") });
  await source.install(registry);
  let t = performance.now();
  for (let i = 0; i < N; i += BATCH) await source.apply(events.slice(i, i + BATCH));
  const buildMs = performance.now() - t;

  t = performance.now();
  const archive = await writeSnapshotArchive(source, join(work, "snapshot.tar"), work);
  const exportMs = performance.now() - t;
  const sourcePrint = await fingerprint(source);
  await source.close();

  // (a) replay
  t = performance.now();
  const replayed = await Replica.open({ path: join(work, "replayed.kuzu") });
  await replayed.install(registry);
  let pending: SequencedEvent[] = [];
  for (const frame of pages) {
    const parsed = parseServerMessage(frame);
    if (!parsed.ok || parsed.message.type !== "events") throw new Error("bad page");
    pending.push(...parsed.message.events);
    if (pending.length >= BATCH) {
      await replayed.apply(pending);
      pending = [];
    }
  }
  if (pending.length > 0) await replayed.apply(pending);
  const replayMs = performance.now() - t;
  const replayPrint = await fingerprint(replayed);
  await replayed.close();

  // (b) snapshot: download over loopback, unpack, import.
  using server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(Bun.file(archive.path)) });
  t = performance.now();
  const downloaded = join(work, "downloaded.tar");
  await Bun.write(downloaded, await fetch(`http://127.0.0.1:${server.port}/snapshot`));
  const downloadMs = performance.now() - t;
  const imported = await openSnapshotArchive(downloaded, { path: join(work, "imported.kuzu") }, work);
  await imported.install(registry);
  const snapshotMs = performance.now() - t;
  const importPrint = await fingerprint(imported);
  await imported.close();

  if (replayPrint !== sourcePrint || importPrint !== sourcePrint) {
    throw new Error(`replicas differ:\n source   ${sourcePrint}\n replay   ${replayPrint}\n snapshot ${importPrint}`);
  }
  console.log(`gateway side: build server replica ${secs(buildMs)}; export + pack ${secs(exportMs)} (${fmt(archive.bytes / 1024)} KiB archive)`);
  console.log(`replay   (parse pages + apply):        ${secs(replayMs)}  (${fmt(N / (replayMs / 1000))} events/s)`);
  console.log(`snapshot (download + unpack + import):  ${secs(snapshotMs)}  (download ${secs(downloadMs)})`);
  console.log(`ratio replay / snapshot: ${(replayMs / snapshotMs).toFixed(1)}x  (target >= 10x)`);
  console.log(`same graph on all three replicas: ${importPrint}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
