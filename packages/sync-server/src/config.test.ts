import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { ConfigError, parseServerConfig, type ServerConfig } from "./config.ts";

describe("parseServerConfig", () => {
  test("defaults", () => {
    const c = parseServerConfig([], {});
    expect(c).toMatchObject({ port: 8080, host: "0.0.0.0", dataDir: resolve("./data"), templatesPath: null, logLevel: "info", allowRawDml: false, degradedLagSeconds: 30 });
    expect(parseServerConfig(["--degraded-lag", "5"], { DEGRADED_LAG_SECONDS: "9" })).toMatchObject({ degradedLagSeconds: 5 });
    expect(parseServerConfig([], { DEGRADED_LAG_SECONDS: "0" })).toMatchObject({ degradedLagSeconds: 0 });
    expect(Object.isFrozen(c)).toBe(true);
  });

  test("flags win over the environment", () => {
    const c = parseServerConfig(["--port", "0", "--data-dir", "/tmp/x", "--allow-raw-dml"], { PORT: "9000", DATA_DIR: "/tmp/y", ALLOW_RAW_DML: "false" });
    expect(c).toMatchObject({ port: 0, dataDir: "/tmp/x", allowRawDml: true });
    expect(parseServerConfig([], { PORT: "9000", ALLOW_RAW_DML: "yes" })).toMatchObject({ port: 9000, allowRawDml: true });
  });

  test.each([
    [["--port", "http"], {}, /^--port http is not a whole number$/],
    [["--port", "abc"], { PORT: "9000" }, /^--port abc is not a whole number$/],
    [[], { PORT: "abc" }, /^PORT="abc" is not a whole number$/],
    [[], { PORT: "70000" }, /^PORT=70000 is out of range/],
    [["--port", "70000"], {}, /^--port 70000 is out of range 0..65535$/],
    [[], { LOG_LEVEL: "loud" }, /LOG_LEVEL="loud" is not one of/],
    [["--log-level", "loud"], {}, /^--log-level loud is not one of debug, info, warn, error, fatal$/],
    [[], { ALLOW_RAW_DML: "maybe" }, /ALLOW_RAW_DML="maybe" is not a boolean/],
    [[], { MAX_EVENT_BYTES: "10" }, /MAX_EVENT_BYTES=10 is out of range/],
    [[], { DEGRADED_LAG_SECONDS: "soon" }, /DEGRADED_LAG_SECONDS="soon" is not a whole number/],
    [["--templates", "./no-such-registry.ts"], {}, /^--templates \.\/no-such-registry\.ts: no such file \(/],
    [[], { TEMPLATES_PATH: "./no-such-registry.ts" }, /^TEMPLATES_PATH="\.\/no-such-registry\.ts": no such file/],
  ] as const)("%j %j is refused, naming the setting as it was given", (argv, env, message) => {
    expect(() => parseServerConfig(argv, env)).toThrow(ConfigError);
    expect(() => parseServerConfig(argv, env)).toThrow(message);
  });

  test("--bootstrap-from: a peer's http(s) URL, only with the JetStream log; the token never appears in errors", () => {
    const js = { LOG_BACKEND: "jetstream", NATS_URL: "nats://127.0.0.1:4222" };
    expect(parseServerConfig([], js)).toMatchObject({ bootstrapFrom: null, bootstrapToken: null });
    expect(parseServerConfig(["--bootstrap-from", "http://gw1:8080/"], { ...js, BOOTSTRAP_TOKEN: "t0k" })).toMatchObject({ bootstrapFrom: "http://gw1:8080", bootstrapToken: "t0k" });
    expect(parseServerConfig([], { ...js, BOOTSTRAP_FROM: "https://gw1.example" })).toMatchObject({ bootstrapFrom: "https://gw1.example" });
    for (const bad of ["gw1:8080", "ftp://gw1", "http://gw1/?token=x", "http://u:p@gw1"]) {
      expect(() => parseServerConfig([], { ...js, BOOTSTRAP_FROM: bad })).toThrow(`BOOTSTRAP_FROM=${JSON.stringify(bad)} is not a peer gateway's http(s) URL`);
    }
    expect(() => parseServerConfig(["--bootstrap-from", "http://gw1:8080"], {})).toThrow(/^--bootstrap-from http:\/\/gw1:8080 needs --log jetstream/);
    expect(() => parseServerConfig(["--bootstrap-token", "t0k"], js)).toThrow(/Unknown option '--bootstrap-token'/);
    let message = "";
    try {
      parseServerConfig([], { ...js, BOOTSTRAP_TOKEN: "secret-token-value" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("BOOTSTRAP_TOKEN is set but BOOTSTRAP_FROM is not");
    expect(message).not.toContain("secret-token-value");
  });

  test("a bad command line gets the problem and one hint, not the whole help", () => {
    for (const [argv, message] of [
      [["--nope"], "Unknown option '--nope' (see sync-server --help)"],
      [["--port"], "Option '--port <value>' argument missing (see sync-server --help)"],
      [["extra"], /^Unexpected argument 'extra'.* \(see sync-server --help\)$/],
    ] as const) {
      let error: unknown;
      try {
        parseServerConfig(argv, {});
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain("Options (each also settable");
    }
  });

  test("--help", () => {
    expect(parseServerConfig(["--help"], {})).toBe("help");
  });
});

describe("sync-server bin", () => {
  const run = async (argv: string[], env: Record<string, string> = {}) => {
    const proc = Bun.spawn(["bun", resolve(import.meta.dir, "main.ts"), ...argv], { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
    const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    return { code, stdout, stderr };
  };

  test("an invalid setting stops start-up with exit code 2 and one line naming it as given", async () => {
    expect(await run([], { PORT: "eighty" })).toEqual({ code: 2, stdout: "", stderr: 'sync-server: PORT="eighty" is not a whole number\n' });
    expect(await run(["--port", "eighty"])).toEqual({ code: 2, stdout: "", stderr: "sync-server: --port eighty is not a whole number\n" });
    expect(await run(["--bogus"])).toEqual({ code: 2, stdout: "", stderr: "sync-server: Unknown option '--bogus' (see sync-server --help)\n" });
  });

  test("--templates with a missing file: exit 2, the error printed once", async () => {
    const r = await run(["--templates", "./missing.ts", "--port", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sync-server: --templates \.\/missing\.ts: no such file \([^\n]*missing\.ts\)\n$/);
  });
});

const parse = (argv: string[], env: Record<string, string> = {}) => parseServerConfig(argv, env) as ServerConfig;

describe("NATS settings", () => {
  test("defaults: embedded log, no NATS", () => {
    expect(parse([])).toMatchObject({ natsUrl: null, logBackend: "embedded", stream: "KUZU_SYNC_EVENTS", streamReplicas: 1 });
  });

  test("flags and environment", () => {
    expect(parse(["--log", "jetstream", "--nats-url", "nats://a:4222, b:4223", "--stream", "EV", "--stream-replicas", "3"])).toMatchObject({
      natsUrl: "nats://a:4222,b:4223",
      logBackend: "jetstream",
      stream: "EV",
      streamReplicas: 3,
    });
    expect(parse([], { LOG_BACKEND: "jetstream", NATS_URL: "nats://x:1", NATS_STREAM: "S", NATS_STREAM_REPLICAS: "5" })).toMatchObject({
      natsUrl: "nats://x:1",
      logBackend: "jetstream",
      stream: "S",
      streamReplicas: 5,
    });
  });

  test("invalid values stop start-up with a message naming the setting", () => {
    expect(() => parse(["--log", "jetstream"])).toThrow(/^--log jetstream needs --nats-url \(NATS_URL\)/);
    expect(() => parse([], { LOG_BACKEND: "jetstream" })).toThrow(/^LOG_BACKEND="jetstream" needs --nats-url \(NATS_URL\)/);
    expect(() => parse(["--log", "kafka"])).toThrow(/^--log kafka is not one of embedded, jetstream$/);
    expect(() => parse([], { NATS_URL: "http://x" })).toThrow(/^NATS_URL="http:\/\/x": "http:\/\/x" is not a NATS server URL/);
    expect(() => parse(["--nats-url", "http://x"])).toThrow(/^--nats-url http:\/\/x: /);
    expect(() => parse([], { NATS_STREAM: "a.b" })).toThrow(/NATS_STREAM="a.b"/);
    expect(() => parse([], { NATS_STREAM_REPLICAS: "7" })).toThrow(/NATS_STREAM_REPLICAS=7 is out of range 1..5/);
  });
});
