import { describe, expect, test } from "bun:test";
import { gunzipSync } from "bun";
import { DAY, hotLog, seqRange, writeAgedLog } from "./support/aged-log.ts";
import { parseNdjson, runArchiver } from "./support/archiver-process.ts";
import { tempDir } from "./support/gateway-process.ts";
import { startS3Server } from "./support/s3-server.ts";

interface ListedSegment {
  key: string;
  fromSeq: number;
  toSeq: number;
  count: number;
  sha256: string;
}

const now = Date.now();

describe("sync-archiver run", () => {
  test("moves exactly the events older than the retention, in day-bounded segments that round-trip", async () => {
    using dir = tempDir();
    await using s3 = await startS3Server();
    const events = await writeAgedLog(dir.path, [
      { at: now - 40 * DAY, count: 50 },
      { at: now - 35 * DAY, count: 30 },
      { at: now - 10 * DAY, count: 20 },
    ]);
    const env = { ...s3.env, DATA_DIR: dir.path };

    const run = await runArchiver(["run", "--older-than", "30d", "--segment-events", "20"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("archived 80 events in 5 segment(s), seqs 1-80; the hot log now starts at seq 81 (head 100)");

    const hot = hotLog(dir.path);
    expect(hot.seqs).toEqual(seqRange(81, 100));
    expect(hot.horizon).toBe(81);
    expect(hot.ids).toBe(100); // the dedupe index keeps archived ids

    const list = await runArchiver(["list", "--json"], env);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout) as { segments: ListedSegment[]; archivedThrough: number; orphans: unknown[]; horizon: number; head: number };
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll("-", "/");
    const dayA = day(now - 40 * DAY);
    const dayB = day(now - 35 * DAY);
    expect(listed.segments.map((s) => s.key)).toEqual([
      `events/${dayA}/1-20.ndjson.gz`,
      `events/${dayA}/21-40.ndjson.gz`,
      `events/${dayA}/41-50.ndjson.gz`,
      `events/${dayB}/51-70.ndjson.gz`,
      `events/${dayB}/71-80.ndjson.gz`,
    ]);
    expect(listed).toMatchObject({ archivedThrough: 80, orphans: [], horizon: 81, head: 100 });
    expect((await s3.keys("manifests/")).length).toBe(5);

    // The objects themselves: gzip NDJSON whose sha256 is the manifest's.
    const first = listed.segments[0]!;
    const body = await s3.get(first.key);
    expect(new Bun.CryptoHasher("sha256").update(body).digest("hex")).toBe(first.sha256);
    expect(parseNdjson(new TextDecoder().decode(gunzipSync(body as Uint8Array<ArrayBuffer>)))).toEqual(events.slice(0, 20));

    const restored = await runArchiver(["restore", "--from-seq", "1"], env);
    expect(restored.code).toBe(0);
    expect(parseNdjson(restored.stdout)).toEqual(events.slice(0, 80));
    const part = await runArchiver(["restore", "--from-seq", "15", "--to-seq", "55"], env);
    expect(parseNdjson(part.stdout)).toEqual(events.slice(14, 55));

    const verify = await runArchiver(["verify"], env);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain("ok: 5 segment(s), 80 events, seqs 1-80; hot log continues at seq 81");

    // A second pass finds nothing new and changes nothing.
    const again = await runArchiver(["run", "--older-than", "30d", "--segment-events", "20"], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("nothing to archive");
    expect(hotLog(dir.path).seqs).toEqual(seqRange(81, 100));
    expect((await s3.keys("events/")).length).toBe(5);

    // `0s` archives everything committed so far, continuing the same chain.
    const all = await runArchiver(["run", "--older-than", "0s"], env);
    expect(all.stdout).toContain("archived 20 events in 1 segment(s), seqs 81-100; the hot log now starts at seq 101 (head 100)");
    expect(hotLog(dir.path)).toMatchObject({ seqs: [], horizon: 101, ids: 100 });
    expect(parseNdjson((await runArchiver(["restore", "--from-seq", "1"], env)).stdout)).toEqual(events);
  }, 60_000);

  test("--dry-run plans the same segments but uploads and deletes nothing", async () => {
    using dir = tempDir();
    await using s3 = await startS3Server();
    await writeAgedLog(dir.path, [{ at: now - 31 * DAY, count: 30 }, { at: now - DAY, count: 5 }]);
    const env = { ...s3.env, DATA_DIR: dir.path };
    const dry = await runArchiver(["run", "--dry-run", "--segment-events", "25"], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("dry run: would archive 30 events in 2 segment(s), seqs 1-30");
    expect(dry.stdout).toMatch(/events\/\d{4}\/\d\d\/\d\d\/1-25\.ndjson\.gz {2}25 events/);
    expect(hotLog(dir.path)).toMatchObject({ seqs: seqRange(1, 35), horizon: null });
    expect(await s3.keys("")).toEqual([]);
  }, 60_000);

  test("never purges past what the gateway's server replica has applied", async () => {
    using dir = tempDir();
    await using s3 = await startS3Server();
    await writeAgedLog(dir.path, [{ at: now - 40 * DAY, count: 60 }], 33);
    const env = { ...s3.env, DATA_DIR: dir.path };
    const run = await runArchiver(["run", "--segment-events", "10"], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("archived 33 events in 4 segment(s), seqs 1-33");
    expect(run.stdout).toContain("held back at seq 33");
    expect(hotLog(dir.path).seqs).toEqual(seqRange(34, 60));
  }, 60_000);

  test("restore --replay puts archived events back just below the horizon", async () => {
    using dir = tempDir();
    await using s3 = await startS3Server();
    const events = await writeAgedLog(dir.path, [{ at: now - 40 * DAY, count: 40 }]);
    const env = { ...s3.env, DATA_DIR: dir.path };
    expect((await runArchiver(["run", "--segment-events", "15"], env)).code).toBe(0);
    expect(hotLog(dir.path)).toMatchObject({ seqs: [], horizon: 41 });
    const wrong = await runArchiver(["restore", "--from-seq", "10", "--to-seq", "20", "--replay"], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("--to-seq must be 40 or absent");
    const replay = await runArchiver(["restore", "--from-seq", "26", "--replay"], env);
    expect(replay.stderr).toBe("");
    expect(replay.stdout).toContain("put 15 archived events back into the hot log; it now starts at seq 26");
    expect(hotLog(dir.path)).toMatchObject({ seqs: seqRange(26, 40), horizon: 26 });
    // The archive still holds them, so the next pass only removes them from the hot log again.
    const run = await runArchiver(["run"], env);
    expect(run.stdout).toContain("finished an interrupted pass: 15 archived events were removed from the hot log");
    expect(hotLog(dir.path)).toMatchObject({ seqs: [], horizon: 41 });
    expect(parseNdjson((await runArchiver(["restore", "--from-seq", "1"], env)).stdout)).toEqual(events);
  }, 60_000);

  test("verify reports a segment that no longer matches its manifest", async () => {
    using dir = tempDir();
    await using s3 = await startS3Server();
    await writeAgedLog(dir.path, [{ at: now - 40 * DAY, count: 20 }]);
    const env = { ...s3.env, DATA_DIR: dir.path };
    expect((await runArchiver(["run", "--segment-events", "10"], env)).code).toBe(0);
    const [, second] = await s3.keys("events/");
    await s3.put(second!, Bun.gzipSync(new TextEncoder().encode('{"seq":11}\n')));
    const verify = await runArchiver(["verify"], env);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain(`problem: segment ${second} does not match its manifest`);
    expect(verify.stdout).toContain("FAILED: 1 problem(s)");
    const restore = await runArchiver(["restore", "--from-seq", "11"], env);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain("does not match its manifest");
  }, 60_000);

  test("bad settings stop with a message naming the setting", async () => {
    using dir = tempDir();
    const noBucket = await runArchiver(["run"], { DATA_DIR: dir.path, S3_BUCKET: "" });
    expect(noBucket.code).toBe(2);
    expect(noBucket.stderr).toContain("S3_BUCKET");
    const badDuration = await runArchiver(["run", "--older-than", "30 days"], { DATA_DIR: dir.path, S3_BUCKET: "bucket" });
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toContain("--older-than");
    const noLog = await runArchiver(["run"], { DATA_DIR: dir.path, S3_BUCKET: "bucket", S3_ENDPOINT: "http://127.0.0.1:9" });
    expect(noLog.code).toBe(1);
    expect(noLog.stderr).toContain(`no event log at ${dir.path}/events.sqlite`);
  }, 60_000);
});
