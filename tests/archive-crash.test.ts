import { describe, expect, test } from "bun:test";
import { DAY, hotLog, seqRange, writeAgedLog } from "./support/aged-log.ts";
import { manifestRanges, parseNdjson, runArchiver } from "./support/archiver-process.ts";
import { tempDir } from "./support/gateway-process.ts";
import { startS3Server } from "./support/s3-server.ts";

const now = Date.now();

describe("sync-archiver crash safety", () => {
  // The real bin kills itself with SIGKILL at the second segment's step (SYNC_ARCHIVER_CRASH_AT).
  const cases = [
    { step: "uploaded", manifests: [[1, 25]], hot: seqRange(26, 100), orphans: 1 },
    { step: "verified", manifests: [[1, 25]], hot: seqRange(26, 100), orphans: 1 },
    { step: "manifest-written", manifests: [[1, 25], [26, 50]], hot: seqRange(26, 100), orphans: 0 },
    { step: "purged", manifests: [[1, 25], [26, 50]], hot: seqRange(51, 100), orphans: 0 },
  ] as const;

  for (const c of cases) {
    test(`killed after "${c.step}" and run again: every event exactly once, nothing lost`, async () => {
      using dir = tempDir();
      await using s3 = await startS3Server();
      const events = await writeAgedLog(dir.path, [{ at: now - 40 * DAY, count: 100 }]);
      const env = { ...s3.env, DATA_DIR: dir.path };

      const crashed = await runArchiver(["run", "--segment-events", "25"], { ...env, SYNC_ARCHIVER_CRASH_AT: `${c.step}:2` });
      expect(crashed.signal).toBe("SIGKILL");
      // Nothing left the hot log unless its manifest was written (after the read-back check).
      expect(await manifestRanges(s3)).toEqual(c.manifests.map((r) => [...r]));
      expect(hotLog(dir.path).seqs).toEqual(c.hot);
      const segments = await s3.keys("events/");
      expect(segments.length).toBe(c.manifests.length + c.orphans);

      const rerun = await runArchiver(["run", "--segment-events", "25"], env);
      expect(rerun.stderr).toBe("");
      expect(rerun.code).toBe(0);
      if (c.step === "manifest-written") expect(rerun.stdout).toContain("finished an interrupted pass: 25 archived events were removed");
      if (c.orphans > 0) expect(rerun.stdout).toContain("removed 1 segment object(s)");

      expect(hotLog(dir.path)).toMatchObject({ seqs: [], horizon: 101, ids: 100 });
      expect(await manifestRanges(s3)).toEqual([[1, 25], [26, 50], [51, 75], [76, 100]]);
      expect((await s3.keys("events/")).length).toBe(4);
      const restored = parseNdjson((await runArchiver(["restore", "--from-seq", "1"], env)).stdout);
      expect(restored).toEqual(events);
      const verify = await runArchiver(["verify"], env);
      expect(verify.code).toBe(0);
    }, 60_000);
  }

  test("a second run while one holds the lock refuses instead of racing", async () => {
    using dir = tempDir();
    await using s3 = await startS3Server();
    await writeAgedLog(dir.path, [{ at: now - 40 * DAY, count: 10 }]);
    const env = { ...s3.env, DATA_DIR: dir.path };
    // A live process (this test runner) holds the lock file.
    await Bun.write(`${dir.path}/events.sqlite.archiver.lock`, String(process.pid));
    const blocked = await runArchiver(["run"], env);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain(`another sync-archiver (pid ${process.pid}) is working on`);
    expect(hotLog(dir.path).seqs).toEqual(seqRange(1, 10));
    // A lock left by a killed run (dead pid) is taken over.
    await Bun.write(`${dir.path}/events.sqlite.archiver.lock`, "999999999");
    const taken = await runArchiver(["run"], env);
    expect(taken.code).toBe(0);
    expect(hotLog(dir.path).seqs).toEqual([]);
  }, 60_000);
});
