import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { ConfigError, parseServerConfig } from "./config.ts";

describe("parseServerConfig", () => {
  test("defaults", () => {
    const c = parseServerConfig([], {});
    expect(c).toMatchObject({ port: 8080, host: "0.0.0.0", dataDir: resolve("./data"), templatesPath: null, logLevel: "info", allowRawDml: false });
    expect(Object.isFrozen(c)).toBe(true);
  });

  test("flags win over the environment", () => {
    const c = parseServerConfig(["--port", "0", "--data-dir", "/tmp/x", "--allow-raw-dml"], { PORT: "9000", DATA_DIR: "/tmp/y", ALLOW_RAW_DML: "false" });
    expect(c).toMatchObject({ port: 0, dataDir: "/tmp/x", allowRawDml: true });
    expect(parseServerConfig([], { PORT: "9000", ALLOW_RAW_DML: "yes" })).toMatchObject({ port: 9000, allowRawDml: true });
  });

  test.each([
    [["--port", "http"], {}, /PORT="http" is not a whole number/],
    [[], { PORT: "70000" }, /PORT=70000 is out of range/],
    [[], { LOG_LEVEL: "loud" }, /LOG_LEVEL="loud" is not one of/],
    [[], { ALLOW_RAW_DML: "maybe" }, /ALLOW_RAW_DML="maybe" is not a boolean/],
    [[], { MAX_EVENT_BYTES: "10" }, /MAX_EVENT_BYTES=10 is out of range/],
    [["--nope"], {}, /Unknown option '--nope'/],
  ] as const)("%j %j is refused, naming the setting", (argv, env, message) => {
    expect(() => parseServerConfig(argv, env)).toThrow(ConfigError);
    expect(() => parseServerConfig(argv, env)).toThrow(message);
  });

  test("--help", () => {
    expect(parseServerConfig(["--help"], {})).toBe("help");
  });
});

describe("sync-server bin", () => {
  test("an invalid setting stops start-up with exit code 2 and a message naming it", async () => {
    const proc = Bun.spawn(["bun", resolve(import.meta.dir, "main.ts")], { env: { ...process.env, PORT: "eighty" }, stdout: "pipe", stderr: "pipe" });
    expect(await proc.exited).toBe(2);
    expect(await new Response(proc.stderr).text()).toContain('PORT="eighty" is not a whole number');
  });
});
