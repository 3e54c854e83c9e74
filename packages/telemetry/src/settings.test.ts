import { describe, expect, test } from "bun:test";
import { ConfigError, bool, int, natsUrl, oneOf, setting, shown } from "./settings.ts";
import { TelemetryConfigError } from "./telemetry-config.ts";

const env = { PORT: "abc", RAW: "maybe", LOG: "kafka" };

describe("settings", () => {
  test("the flag wins over the variable; messages name what was given, as it was given", () => {
    expect(setting("--port", "0", "PORT", env)).toEqual({ name: "--port", value: "0", fromFlag: true });
    expect(setting("--port", undefined, "PORT", env)).toEqual({ name: "PORT", value: "abc", fromFlag: false });
    expect(() => int(setting("--port", "abc", "PORT", {}), 8080, 0, 65535)).toThrow(new ConfigError("--port abc is not a whole number"));
    expect(() => int(setting("--port", undefined, "PORT", env), 8080, 0, 65535)).toThrow(new ConfigError('PORT="abc" is not a whole number'));
    expect(() => int(setting("--port", "70000", "PORT", {}), 8080, 0, 65535)).toThrow("--port 70000 is out of range 0..65535");
    expect(() => int(setting("--port", undefined, "PORT", { PORT: "70000" }), 8080, 0, 65535)).toThrow("PORT=70000 is out of range 0..65535");
    expect(shown({ name: "--data-dir", value: "my dir", fromFlag: true })).toBe('--data-dir "my dir"');
  });

  test("int, bool and oneOf: defaults when unset or empty", () => {
    expect(int(setting("--port", undefined, "PORT", {}), 8080, 0, 65535)).toBe(8080);
    expect(int(setting("--port", undefined, "PORT", { PORT: "" }), 8080, 0, 65535)).toBe(8080);
    expect(bool(setting("--allow-raw-dml", true, "RAW", env), false)).toBe(true);
    expect(bool(setting("--allow-raw-dml", undefined, "RAW", { RAW: "YES" }), false)).toBe(true);
    expect(() => bool(setting("--allow-raw-dml", undefined, "RAW", env), false)).toThrow('RAW="maybe" is not a boolean (true/false)');
    expect(oneOf(setting("--log", undefined, "LOG", {}), ["embedded", "jetstream"], "embedded")).toBe("embedded");
    expect(oneOf(setting("--log", "JetStream", "LOG", {}), ["embedded", "jetstream"], "embedded")).toBe("jetstream");
    expect(() => oneOf(setting("--log", "kafka", "LOG", {}), ["embedded", "jetstream"], "embedded")).toThrow("--log kafka is not one of embedded, jetstream");
    expect(() => oneOf(setting("--log", undefined, "LOG", env), ["embedded", "jetstream"], "embedded")).toThrow('LOG="kafka" is not one of embedded, jetstream');
  });

  test("natsUrl: servers normalised, scheme optional, credentials allowed; anything else named", () => {
    const nats = (value: string | undefined, flag = true) => natsUrl(flag ? setting("--nats-url", value, "NATS_URL", {}) : setting("--nats-url", undefined, "NATS_URL", { NATS_URL: value }));
    expect(nats(undefined)).toBeNull();
    expect(nats("  ")).toBeNull();
    expect(nats("nats://a:4222, b:4223")).toBe("nats://a:4222,b:4223");
    expect(nats("tls://user:pw@nats.example:4443,wss://nats.example")).toBe("tls://user:pw@nats.example:4443,wss://nats.example");
    expect(() => nats("http://x")).toThrow('--nats-url http://x: "http://x" is not a NATS server URL (nats://host:4222)');
    expect(() => nats("http://x", false)).toThrow('NATS_URL="http://x": "http://x" is not a NATS server URL');
    expect(() => nats("a:4222,")).toThrow('"" is not a NATS server URL');
  });

  test("a telemetry setting error is a ConfigError too", () => {
    expect(new TelemetryConfigError("LOG_LEVEL", "bad")).toBeInstanceOf(ConfigError);
    expect(new TelemetryConfigError("LOG_LEVEL", "bad").name).toBe("TelemetryConfigError");
  });
});
