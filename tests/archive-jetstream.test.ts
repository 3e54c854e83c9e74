/**
 * sync-archiver on the JetStream log: the real bin against a real nats-server, s3rver and gateway
 * processes (`--log jetstream`). Events are aged by publishing them with old server timestamps,
 * exactly as a gateway writes them, behind the log's genesis registry event (seq 1), aged too:
 * the genesis is archived like any event.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { gunzipSync } from "bun";
import { startOtlpLogReceiver } from "@kuzu-sync/telemetry/testing";
import archiverPackage from "../packages/archiver/package.json" with { type: "json" };
import { DAY, seqRange, type AgedBatch } from "./support/aged-log.ts";
import { createAgedStream, positionsAt, publishAged, streamState } from "./support/aged-stream.ts";
import { startArchiveStack, STREAM } from "./support/archive-stack.ts";
import { manifestRanges, parseNdjson, runArchiver } from "./support/archiver-process.ts";
import { tempDir } from "./support/gateway-process.ts";
import { waitForHorizon, waitForReplica } from "./support/health.ts";
import { streamContents } from "./support/jetstream.ts";
import { freePort } from "./support/nats-server.ts";

setDefaultTimeout(60_000);

const now = Date.now();

/**
 * A JetStream stack (nats-server, s3rver, `gateways` gateways) whose stream holds the genesis
 * registry event (seq 1, as old as the first batch) and then `batches` of aged events, applied
 * and recorded by every gateway: what an archive pass needs to see. `events` is the whole log.
 */
async function agedStack(batches: readonly AgedBatch[], gateways = 1) {
  const stack = await startArchiveStack("jetstream", 0);
  try {
    const natsUrl = stack.nats!.url;
    const genesis = await createAgedStream(natsUrl, STREAM, batches[0]!.at);
    const events = [genesis, ...(await publishAged(natsUrl, STREAM, batches))];
    for (let i = 0; i < gateways; i++) await stack.startGateway();
    await positionsAt(natsUrl, STREAM, gateways, events.length);
    return Object.assign(stack, { events, natsUrl, env: stack.archiverEnv });
  } catch (error) {
    await stack[Symbol.asyncDispose]();
    throw error;
  }
}

describe("sync-archiver --log jetstream", () => {
  test("moves exactly the old events, purges the stream up to there; segments round-trip; list, verify, restore", async () => {
    await using stack = await agedStack([
      { at: now - 40 * DAY, count: 50 },
      { at: now - 35 * DAY, count: 30 },
      { at: now - 10 * DAY, count: 20 },
    ]);
    const { events, env, s3, natsUrl } = stack;

    // Seq 1 is the genesis, 2-51 the first batch, 52-81 the second, 82-101 the young third.
    const dry = await runArchiver(["run", "--older-than", "30d", "--segment-events", "20", "--dry-run"], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("dry run: would archive 81 events in 5 segment(s), seqs 1-81");
    expect(await streamState(natsUrl, STREAM)).toEqual({ first: 1, last: 101, messages: 101 });

    const run = await runArchiver(["run", "--older-than", "30d", "--segment-events", "20"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("archived 81 events in 5 segment(s), seqs 1-81; the hot log now starts at seq 82 (head 101)");
    expect(await streamState(natsUrl, STREAM)).toEqual({ first: 82, last: 101, messages: 20 });
    expect((await streamContents(natsUrl, STREAM)).map((m) => m.seq)).toEqual(seqRange(82, 101));
    expect(await manifestRanges(s3)).toEqual([[1, 20], [21, 40], [41, 51], [52, 71], [72, 81]]);
    await waitForHorizon(stack.gateways[0]!.httpUrl, 82);

    const body = await s3.get((await s3.keys("events/"))[0]!);
    expect(parseNdjson(new TextDecoder().decode(gunzipSync(body as Uint8Array<ArrayBuffer>))).map((e) => e.seq)).toEqual(seqRange(1, 20));
    const restored = await runArchiver(["restore", "--from-seq", "1"], env);
    expect(restored.code).toBe(0);
    expect(parseNdjson(restored.stdout)).toEqual(events.slice(0, 81)); // the genesis included
    const list = JSON.parse((await runArchiver(["list", "--json"], env)).stdout) as Record<string, unknown>;
    expect(list).toMatchObject({ archivedThrough: 81, orphans: [], horizon: 82, head: 101, purgeLimit: { seq: 101, notes: [] } });
    const verify = await runArchiver(["verify"], env);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain("ok: 5 segment(s), 81 events, seqs 1-81; hot log continues at seq 82");

    const again = await runArchiver(["run", "--older-than", "30d", "--segment-events", "20"], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("nothing to archive");
    expect(await streamState(natsUrl, STREAM)).toEqual({ first: 82, last: 101, messages: 20 });

    // Everything, now that the gateway's replica has it: the stream is empty, the head stays.
    const all = await runArchiver(["run", "--older-than", "0s"], env);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain("the hot log now starts at seq 102 (head 101)");
    expect(await streamState(natsUrl, STREAM)).toEqual({ first: 102, last: 101, messages: 0 });
    expect(parseNdjson((await runArchiver(["restore", "--from-seq", "1"], env)).stdout)).toEqual(events);
    expect((await runArchiver(["list", "--json"], env)).stdout).toContain('"horizon": 102');
    const replay = await runArchiver(["restore", "--from-seq", "90", "--replay"], env);
    expect(replay.code).toBe(2);
    expect(replay.stderr).toContain("restore --replay is not possible with --log jetstream");
  });

  for (const step of ["uploaded", "manifest-written"] as const) {
    test(`killed after "${step}" (between upload and purge) and run again: every event in exactly one of stream and archive`, async () => {
      await using stack = await agedStack([{ at: now - 40 * DAY, count: 100 }]);
      const { env, s3, natsUrl } = stack;

      const crashed = await runArchiver(["run", "--segment-events", "25"], { ...env, SYNC_ARCHIVER_CRASH_AT: `${step}:2` });
      expect(crashed.signal).toBe("SIGKILL");
      expect(await manifestRanges(s3)).toEqual(step === "uploaded" ? [[1, 25]] : [[1, 25], [26, 50]]);
      expect((await streamContents(natsUrl, STREAM)).map((m) => m.seq)).toEqual(seqRange(26, 101)); // genesis + 100 events

      // The killed run's KV lock names a dead pid of this host: taken over at once.
      const rerun = await runArchiver(["run", "--segment-events", "25"], env);
      expect(rerun.stderr).toBe("");
      expect(rerun.code).toBe(0);
      if (step === "manifest-written") expect(rerun.stdout).toContain("finished an interrupted pass: 25 archived events were removed");
      else expect(rerun.stdout).toContain("removed 1 segment object(s)");

      const ranges = await manifestRanges(s3);
      expect(ranges).toEqual([[1, 25], [26, 50], [51, 75], [76, 100], [101, 101]]);
      const archived = ranges.flatMap(([a, b]) => seqRange(a, b));
      expect(new Set(archived).size).toBe(archived.length); // no seq in two manifests
      const hot = (await streamContents(natsUrl, STREAM)).map((m) => m.seq);
      expect([...archived, ...hot].sort((a, b) => a - b)).toEqual(seqRange(1, 101));
      expect((await runArchiver(["verify"], env)).code).toBe(0);
    });
  }

  test("S3 down, NATS unreachable, bad settings: non-zero exit, nothing purged", async () => {
    await using stack = await agedStack([{ at: now - 40 * DAY, count: 30 }]);
    const { env, s3, natsUrl } = stack;
    const closed = await freePort();

    const s3Down = await runArchiver(["run"], { ...env, S3_ENDPOINT: `http://127.0.0.1:${closed}` });
    expect(s3Down.code).toBe(1);
    expect(s3Down.stderr).toContain("S3 is unreachable");
    const natsDown = await runArchiver(["run"], { ...env, NATS_URL: `nats://127.0.0.1:${closed}` });
    expect(natsDown.code).toBe(1);
    expect(natsDown.stderr).toContain(`cannot reach NATS at nats://127.0.0.1:${closed} (NATS_URL)`);
    const noStream = await runArchiver(["run", "--stream", "NO_SUCH"], env);
    expect(noStream.code).toBe(1);
    expect(noStream.stderr).toContain("no stream NO_SUCH on");
    for (const [extra, setting] of [
      [{ NATS_URL: "" }, "NATS_URL"],
      [{ NATS_URL: "http://x y" }, "NATS_URL"],
      [{ NATS_STREAM: "a.b" }, "NATS_STREAM"],
      [{ REPLICA_STALE_AFTER: "later" }, "REPLICA_STALE_AFTER"],
    ] as const) {
      const r = await runArchiver(["run"], { ...env, ...extra });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(setting);
    }
    expect(await streamState(natsUrl, STREAM)).toEqual({ first: 1, last: 31, messages: 31 }); // genesis + 30
    expect(await s3.keys("manifests/")).toEqual([]);
  });

  test("purges are held back at the position of a gateway whose server replica is behind; it catches up and the rest follows", async () => {
    await using stack = await agedStack([{ at: now - 40 * DAY, count: 50 }]);
    const { env, natsUrl } = stack;
    const first = stack.events.length; // the genesis and 50 events
    using dirB = tempDir();
    const gwB = await stack.startGateway({ dataDir: dirB.path });
    await waitForReplica(gwB.httpUrl, first);
    await positionsAt(natsUrl, STREAM, 2, first);
    expect(await gwB.stop()).toBe(0); // B's replica stays at 51; its KV entry is fresh
    await publishAged(natsUrl, STREAM, [{ at: now - 40 * DAY, count: 50 }], "second");
    const head = first + 50;
    await positionsAt(natsUrl, STREAM, 1, head);

    const held = await runArchiver(["run", "--segment-events", "20"], env);
    expect(held.code).toBe(0);
    expect(held.stdout).toContain(`archived 51 events in 3 segment(s), seqs 1-51; the hot log now starts at seq 52 (head ${head})`);
    expect(held.stdout).toContain("held back at seq 51");
    expect(await streamState(natsUrl, STREAM)).toEqual({ first: 52, last: head, messages: 50 });

    // B comes back on the same data dir, catches up from seq 52 (still in the stream) and records it.
    const gwB2 = await stack.startGateway({ dataDir: dirB.path });
    await waitForReplica(gwB2.httpUrl, head);
    await positionsAt(natsUrl, STREAM, 2, head);
    const rest = await runArchiver(["run", "--segment-events", "20"], env);
    expect(rest.code).toBe(0);
    expect(rest.stdout).toContain(`archived 50 events in 3 segment(s), seqs 52-${head}; the hot log now starts at seq ${head + 1} (head ${head})`);
    expect(rest.stdout).not.toContain("held back");
  });

  test("OTLP: with OTEL_EXPORTER_OTLP_ENDPOINT the archiver's records reach the receiver before it exits", async () => {
    await using receiver = startOtlpLogReceiver();
    await using stack = await agedStack([{ at: now - 40 * DAY, count: 10 }]);
    const r = await runArchiver(["run", "--log-level", "info"], { ...stack.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    expect(r.code).toBe(0);
    const segment = receiver.records.find((x) => x.body === "archive: segment");
    expect(segment?.resource).toMatchObject({ "service.name": "sync-archiver", "service.version": archiverPackage.version });
    expect(segment?.attributes).toMatchObject({ fromSeq: 1, toSeq: 11, count: 11 }); // the genesis and 10 events
    // A failing pass is exported too.
    const failed = await runArchiver(["run"], { ...stack.env, S3_BUCKET: "no-such-bucket", OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    expect(failed.code).toBe(1);
    expect(receiver.records.some((x) => x.body === "sync-archiver failed" && String(x.attributes["error"]).includes("no-such-bucket"))).toBe(true);
  });
});
