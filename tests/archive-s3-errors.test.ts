import { describe, expect, test } from "bun:test";
import { DAY, hotLog, seqRange, writeAgedLog } from "./support/aged-log.ts";
import { runArchiver } from "./support/archiver-process.ts";
import { tempDir } from "./support/gateway-process.ts";
import { startS3Server } from "./support/s3-server.ts";

const now = Date.now();

describe("sync-archiver when S3 fails", () => {
  test("S3 unreachable, missing bucket, wrong credentials: non-zero exit, clear message, nothing deleted", async () => {
    using dir = tempDir();
    await using s3 = await startS3Server();
    await writeAgedLog(dir.path, [{ at: now - 40 * DAY, count: 30 }]);
    const env = { ...s3.env, DATA_DIR: dir.path };

    const wrongBucket = await runArchiver(["run"], { ...env, S3_BUCKET: "no-such-bucket" });
    expect(wrongBucket.code).toBe(1);
    expect(wrongBucket.stderr).toContain(`S3 bucket "no-such-bucket" does not exist at ${s3.endpoint}`);

    const wrongKey = await runArchiver(["run"], { ...env, AWS_ACCESS_KEY_ID: "WRONG", AWS_SECRET_ACCESS_KEY: "WRONG" });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain("S3 refused the credentials");
    expect(wrongKey.stderr).toContain("AWS_ACCESS_KEY_ID");

    await s3.stop();
    const down = await runArchiver(["run"], env);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/S3 is unreachable: check bucket on bucket "kuzu-sync-archive" at http:\/\/127\.0\.0\.1:\d+ failed \((ECONNREFUSED|ConnectionRefused)\)/);

    expect(hotLog(dir.path)).toMatchObject({ seqs: seqRange(1, 30), horizon: null });

    // Back up: the same pass now succeeds.
    await s3.start();
    const ok = await runArchiver(["run"], env);
    expect(ok.code).toBe(0);
    expect(hotLog(dir.path).seqs).toEqual([]);
  }, 60_000);

  test("an S3 that answers 500 to everything: non-zero exit, nothing deleted", async () => {
    using dir = tempDir();
    await writeAgedLog(dir.path, [{ at: now - 40 * DAY, count: 10 }]);
    let requests = 0;
    using failing = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch() {
        requests++;
        return new Response(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>boom</Message></Error>`, {
          status: 500,
          headers: { "content-type": "application/xml" },
        });
      },
    });
    const r = await runArchiver(["run"], {
      DATA_DIR: dir.path,
      S3_ENDPOINT: `http://127.0.0.1:${failing.port}`,
      S3_BUCKET: "bucket",
      AWS_ACCESS_KEY_ID: "x",
      AWS_SECRET_ACCESS_KEY: "y",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("S3 server error: check bucket on bucket \"bucket\"");
    expect(r.stderr).toContain("HTTP 500");
    expect(requests).toBeGreaterThan(0);
    expect(hotLog(dir.path).seqs).toEqual(seqRange(1, 10));
  }, 60_000);

  test("a 500 on the manifest write after the segment upload: nothing deleted; the next pass cleans up and finishes", async () => {
    using dir = tempDir();
    await using s3 = await startS3Server({ allowMismatchedSignatures: true });
    const events = await writeAgedLog(dir.path, [{ at: now - 40 * DAY, count: 40 }]);
    // A proxy in front of the real s3rver that fails every manifest upload.
    using proxy = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(req) {
        const url = new URL(req.url);
        if (req.method === "PUT" && url.pathname.includes("/manifests/")) {
          return new Response("<Error><Code>InternalError</Code><Message>injected</Message></Error>", { status: 500 });
        }
        const headers = new Headers(req.headers);
        headers.delete("host");
        return fetch(`${s3.endpoint}${url.pathname}${url.search}`, {
          method: req.method,
          headers,
          ...(req.method === "GET" || req.method === "HEAD" ? {} : { body: await req.arrayBuffer() }),
        });
      },
    });
    const env = { ...s3.env, DATA_DIR: dir.path };
    const failed = await runArchiver(["run", "--segment-events", "20"], { ...env, S3_ENDPOINT: `http://127.0.0.1:${proxy.port}` });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/S3 server error: upload manifests\/0+1-0+20\.json .* HTTP 500/);
    expect(await s3.keys("events/")).toHaveLength(1); // uploaded and verified, but never listed in a manifest
    expect(await s3.keys("manifests/")).toEqual([]);
    expect(hotLog(dir.path).seqs).toEqual(seqRange(1, 40));

    const rerun = await runArchiver(["run", "--segment-events", "20"], env);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain("archived 40 events in 2 segment(s)");
    expect(hotLog(dir.path).seqs).toEqual([]);
    const restored = (await runArchiver(["restore", "--from-seq", "1"], env)).stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(restored).toEqual(events);
  }, 60_000);
});
