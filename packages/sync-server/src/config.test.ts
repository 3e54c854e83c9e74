import { describe, expect, test } from "bun:test";
import { parseServerConfig, type ServerConfig } from "./config.ts";

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
    expect(() => parse(["--log", "jetstream"])).toThrow(/LOG_BACKEND=jetstream needs NATS_URL/);
    expect(() => parse(["--log", "kafka"])).toThrow(/LOG_BACKEND="kafka" is not one of embedded, jetstream/);
    expect(() => parse([], { NATS_URL: "http://x" })).toThrow(/NATS_URL=/);
    expect(() => parse([], { NATS_STREAM: "a.b" })).toThrow(/NATS_STREAM="a.b"/);
    expect(() => parse([], { NATS_STREAM_REPLICAS: "7" })).toThrow(/NATS_STREAM_REPLICAS=7 is out of range 1..5/);
  });
});
