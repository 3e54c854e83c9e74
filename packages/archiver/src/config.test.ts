import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { ConfigError, parseArchiverConfig, parseRunSettings, parseSeq } from "./config.ts";
import { parseDuration } from "./duration.ts";

describe("durations", () => {
  test("operator durations", () => {
    expect(parseDuration("30d")).toBe(30 * 86_400_000);
    expect(parseDuration("12h")).toBe(12 * 3_600_000);
    expect(parseDuration("15m")).toBe(15 * 60_000);
    expect(parseDuration("0s")).toBe(0);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("2w")).toBe(14 * 86_400_000);
    for (const bad of ["", "30", "d", "-1d", "1.5h", "30 days", "1y"]) expect(parseDuration(bad)).toBeNull();
  });
});

describe("archiver config", () => {
  const base = { S3_BUCKET: "events-archive" };

  test("defaults, and flags over environment", () => {
    const c = parseArchiverConfig({}, { ...base, DATA_DIR: "/srv/data" });
    expect(c.log).toEqual({ kind: "embedded", dataDir: "/srv/data", path: "/srv/data/events.sqlite" });
    expect(c.s3).toEqual({ endpoint: null, bucket: "events-archive", region: "us-east-1", forcePathStyle: false, credentials: null });
    expect(c.logLevel).toBe("warn");
    expect(Object.isFrozen(c)).toBe(true);
    const f = parseArchiverConfig(
      { dataDir: "/flag", s3Endpoint: "http://127.0.0.1:9000", s3Bucket: "flag-bucket" },
      { ...base, DATA_DIR: "/env", S3_ENDPOINT: "http://ignored", AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b" },
    );
    expect(f.log).toMatchObject({ path: "/flag/events.sqlite" });
    expect(f.s3).toEqual({ endpoint: "http://127.0.0.1:9000", bucket: "flag-bucket", region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "a", secretAccessKey: "b" } });
    expect(parseArchiverConfig({}, { ...base, S3_ENDPOINT: "http://x:1", S3_FORCE_PATH_STYLE: "false" }).s3.forcePathStyle).toBe(false);
  });

  test("invalid settings name themselves", () => {
    const fails = (flags: object, env: Record<string, string>, name: RegExp) => expect(() => parseArchiverConfig(flags, env)).toThrow(name);
    fails({}, {}, /S3_BUCKET/);
    fails({}, { S3_BUCKET: "Bad_Bucket" }, /S3_BUCKET="Bad_Bucket"/);
    fails({}, { ...base, S3_ENDPOINT: "not a url" }, /S3_ENDPOINT/);
    fails({}, { ...base, S3_FORCE_PATH_STYLE: "maybe" }, /S3_FORCE_PATH_STYLE/);
    fails({}, { ...base, AWS_ACCESS_KEY_ID: "only-one" }, /AWS_SECRET_ACCESS_KEY/);
    fails({ log: "kafka" }, base, /^--log kafka is not one of embedded, jetstream$/);
    fails({}, { ...base, LOG_BACKEND: "kafka" }, /^LOG_BACKEND="kafka" is not one of embedded, jetstream$/);
    fails({ log: "jetstream" }, base, /^--log jetstream needs --nats-url \(NATS_URL\)$/);
    fails({ s3Bucket: "Bad_Bucket" }, {}, /^--s3-bucket Bad_Bucket is not a valid bucket name$/);
    fails({ logLevel: "loud" }, base, /^--log-level loud is not one of/);
    fails({}, { ...base, LOG_LEVEL: "loud" }, /LOG_LEVEL/);
    expect(() => parseArchiverConfig({}, {})).toThrow(ConfigError);
  });

  test("jetstream: NATS_URL, the gateways' stream name by default, REPLICA_STALE_AFTER", () => {
    const c = parseArchiverConfig({ log: "jetstream" }, { ...base, NATS_URL: "nats://a:4222,b:4223" });
    expect(c.log).toEqual({ kind: "jetstream", natsUrl: "nats://a:4222,b:4223", stream: "KUZU_SYNC_EVENTS", replicaStaleAfterMs: 7 * 86_400_000 });
    const f = parseArchiverConfig({ natsUrl: "nats://x:1", stream: "S2", replicaStaleAfter: "2h" }, { ...base, LOG_BACKEND: "jetstream", NATS_STREAM: "ignored" });
    expect(f.log).toEqual({ kind: "jetstream", natsUrl: "nats://x:1", stream: "S2", replicaStaleAfterMs: 2 * 3_600_000 });
    const fails = (env: Record<string, string>, name: RegExp) => expect(() => parseArchiverConfig({ log: "jetstream" }, { ...base, NATS_URL: "nats://a:1", ...env })).toThrow(name);
    fails({ NATS_URL: "http://a b" }, /^NATS_URL="http:\/\/a b": "http:\/\/a b" is not a NATS server URL/);
    expect(() => parseArchiverConfig({ log: "jetstream", natsUrl: "http://a" }, base)).toThrow(/^--nats-url http:\/\/a: "http:\/\/a" is not a NATS server URL/);
    expect(parseArchiverConfig({ log: "jetstream", natsUrl: "user:pw@a:4222" }, base).log).toMatchObject({ natsUrl: "user:pw@a:4222" });
    fails({ NATS_STREAM: "bad.name" }, /NATS_STREAM="bad.name"/);
    fails({ REPLICA_STALE_AFTER: "soon" }, /REPLICA_STALE_AFTER="soon"/);
    fails({ REPLICA_STALE_AFTER: "10s" }, /REPLICA_STALE_AFTER/);
  });

  test("run settings and seqs", () => {
    expect(parseRunSettings({})).toEqual({ olderThanMs: 30 * 86_400_000, dryRun: false, segmentEvents: 10_000 });
    expect(parseRunSettings({ olderThan: "0s", dryRun: true, segmentEvents: "5" })).toEqual({ olderThanMs: 0, dryRun: true, segmentEvents: 5 });
    expect(() => parseRunSettings({ olderThan: "soon" })).toThrow(/^--older-than soon is not a duration/);
    expect(() => parseRunSettings({ segmentEvents: "0" })).toThrow(/--segment-events/);
    expect(parseSeq("--from-seq", "42")).toBe(42);
    expect(parseSeq("--to-seq", undefined)).toBeNull();
    expect(() => parseSeq("--from-seq", "0")).toThrow(/^--from-seq 0 must be a seq/);
  });
});

describe("sync-archiver bin", () => {
  const run = async (argv: string[], env: Record<string, string> = {}) => {
    const proc = Bun.spawn(["bun", resolve(import.meta.dir, "main.ts"), ...argv], { env: { ...process.env, S3_BUCKET: "", LOG_BACKEND: "", ...env }, stdout: "pipe", stderr: "pipe" });
    const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    return { code, stdout, stderr };
  };

  test("a bad flag: exit 2, the error and one hint, not the whole help", async () => {
    expect(await run(["run", "--bogus"])).toEqual({ code: 2, stdout: "", stderr: "error: unknown option '--bogus'\n(see sync-archiver --help)\n" });
  });

  test("a bad value names the flag when it was a flag, the variable when it was the variable", async () => {
    expect(await run(["list", "--s3-bucket", "archive", "--log-level", "loud"])).toEqual({ code: 2, stdout: "", stderr: "sync-archiver: --log-level loud is not one of debug, info, warn, error, fatal\n" });
    expect(await run(["list"], { S3_BUCKET: "archive", LOG_LEVEL: "loud" })).toEqual({ code: 2, stdout: "", stderr: 'sync-archiver: LOG_LEVEL="loud" is not one of debug, info, warn, error, fatal\n' });
  });
});
