import { describe, expect, test } from "bun:test";
import { TelemetryConfigError, parseTelemetryConfig, type TelemetryEnv } from "./telemetry-config.ts";

const parse = (env: TelemetryEnv, extra: Partial<Parameters<typeof parseTelemetryConfig>[0]> = {}) =>
  parseTelemetryConfig({ serviceName: "sync-server", serviceVersion: "1.2.3", instanceId: "i-1", env, ...extra });

function settingOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof TelemetryConfigError) return `${e.setting}: ${e.message}`;
    throw e;
  }
  throw new Error("did not throw");
}

describe("parseTelemetryConfig", () => {
  test("defaults: info, code resource, no OTLP, no sink module; frozen", () => {
    const c = parse({});
    expect(c.level).toBe("info");
    expect(c.resource).toEqual({
      "service.name": "sync-server",
      "service.version": "1.2.3",
      "service.instance.id": "i-1",
    });
    expect(c.otlp).toBeUndefined();
    expect(c.sinkPath).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.resource)).toBe(true);
  });

  test("LOG_FORMAT: pretty on a terminal, JSON otherwise, either one forced; anything else named", () => {
    expect(parse({}).format).toBe("json");
    expect(parse({}, { stdoutIsTTY: true }).format).toBe("pretty");
    expect(parse({ LOG_FORMAT: "json" }, { stdoutIsTTY: true }).format).toBe("json");
    expect(parse({ LOG_FORMAT: " Pretty " }).format).toBe("pretty");
    expect(settingOf(() => parse({ LOG_FORMAT: "yaml" }))).toBe('LOG_FORMAT: LOG_FORMAT="yaml" is not one of json, pretty');
  });

  test("a random service.instance.id when none is given", () => {
    const a = parseTelemetryConfig({ serviceName: "s", env: {} }).resource["service.instance.id"];
    const b = parseTelemetryConfig({ serviceName: "s", env: {} }).resource["service.instance.id"];
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
  });

  test("OTEL_RESOURCE_ATTRIBUTES overrides code attributes; OTEL_SERVICE_NAME overrides both", () => {
    const c = parse(
      {
        OTEL_RESOURCE_ATTRIBUTES: " deployment.environment=prod , service.name=from-attrs,team=a%2Cb%20c,,",
        OTEL_SERVICE_NAME: "from-env",
      },
      { resource: { "deployment.environment": "dev", region: "eu" } },
    );
    expect(c.resource).toEqual({
      "service.name": "from-env",
      "service.version": "1.2.3",
      "service.instance.id": "i-1",
      "deployment.environment": "prod",
      region: "eu",
      team: "a,b c",
    });
    expect(parse({ OTEL_RESOURCE_ATTRIBUTES: "service.name=from-attrs" }).resource["service.name"]).toBe("from-attrs");
  });

  test("unparsable OTEL_RESOURCE_ATTRIBUTES names the setting and the entry", () => {
    expect(settingOf(() => parse({ OTEL_RESOURCE_ATTRIBUTES: "a=1,broken" }))).toBe(
      'OTEL_RESOURCE_ATTRIBUTES: OTEL_RESOURCE_ATTRIBUTES: entry 2 "broken" is not key=value',
    );
    expect(settingOf(() => parse({ OTEL_RESOURCE_ATTRIBUTES: "=x" }))).toStartWith("OTEL_RESOURCE_ATTRIBUTES:");
    expect(settingOf(() => parse({ OTEL_RESOURCE_ATTRIBUTES: "a=%E0%A4%A" }))).toContain("invalid percent-encoding");
  });

  test("LOG_LEVEL is parsed case-insensitively; a bad one names LOG_LEVEL", () => {
    expect(parse({ LOG_LEVEL: "DEBUG" }).level).toBe("debug");
    expect(parse({ LOG_LEVEL: "" }).level).toBe("info");
    expect(settingOf(() => parse({ LOG_LEVEL: "loud" }))).toBe(
      'LOG_LEVEL: LOG_LEVEL="loud" is not one of debug, info, warn, error, fatal',
    );
  });

  test("an explicit level (a command-line flag) beats LOG_LEVEL", () => {
    expect(parse({ LOG_LEVEL: "error" }, { level: "debug" }).level).toBe("debug");
  });

  test("LOG_TS_PATH is resolved against cwd", () => {
    expect(parse({ LOG_TS_PATH: "sinks/mine.ts" }, { cwd: "/srv/app" }).sinkPath).toBe("/srv/app/sinks/mine.ts");
    expect(parse({ LOG_TS_PATH: "/etc/sink.ts" }, { cwd: "/srv/app" }).sinkPath).toBe("/etc/sink.ts");
  });

  describe("OTLP", () => {
    test("OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/logs appended, keeping a path prefix", () => {
      expect(parse({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }).otlp?.url).toBe(
        "http://collector:4318/v1/logs",
      );
      expect(parse({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://gw.example/otlp/" }).otlp?.url).toBe(
        "https://gw.example/otlp/v1/logs",
      );
    });

    test("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is used as is and wins", () => {
      const c = parse({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318",
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: "http://b:9999/custom/logs",
      });
      expect(c.otlp?.url).toBe("http://b:9999/custom/logs");
    });

    test("a bad URL names the setting", () => {
      expect(settingOf(() => parse({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318 " }))).toStartWith(
        "OTEL_EXPORTER_OTLP_ENDPOINT:",
      );
      expect(settingOf(() => parse({ OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" }))).toBe(
        'OTEL_EXPORTER_OTLP_ENDPOINT: OTEL_EXPORTER_OTLP_ENDPOINT="not a url" is not a valid URL',
      );
      expect(settingOf(() => parse({ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: "grpc://c:4317" }))).toStartWith(
        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT:",
      );
    });

    test("headers: generic and logs-specific merged; errors do not echo values", () => {
      const c = parse({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
        OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=a,api-key=one",
        OTEL_EXPORTER_OTLP_LOGS_HEADERS: "api-key=two%3D",
      });
      expect(c.otlp?.headers).toEqual({ "x-tenant": "a", "api-key": "two=" });
      const msg = settingOf(() =>
        parse({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_HEADERS: "Bearer-sekrit" }),
      );
      expect(msg).toStartWith("OTEL_EXPORTER_OTLP_HEADERS:");
      expect(msg).not.toContain("sekrit");
    });

    test("timeouts and batch settings are positive integers", () => {
      const c = parse({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
        OTEL_EXPORTER_OTLP_TIMEOUT: "5000",
        OTEL_BLRP_SCHEDULE_DELAY: "200",
        OTEL_BLRP_MAX_QUEUE_SIZE: "100",
        OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: "50",
      });
      expect(c.otlp?.timeoutMillis).toBe(5000);
      expect(c.otlp?.batch).toEqual({ scheduledDelayMillis: 200, maxQueueSize: 100, maxExportBatchSize: 50 });
      expect(
        settingOf(() => parse({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_BLRP_EXPORT_TIMEOUT: "1.5s" })),
      ).toBe('OTEL_BLRP_EXPORT_TIMEOUT: OTEL_BLRP_EXPORT_TIMEOUT="1.5s" is not a positive integer');
      expect(
        settingOf(() =>
          parse({
            OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
            OTEL_BLRP_MAX_QUEUE_SIZE: "10",
            OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: "20",
          }),
        ),
      ).toStartWith("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE:");
    });

    test("compression: none by default, gzip accepted, anything else rejected", () => {
      const base = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" };
      expect(parse(base).otlp?.compression).toBe("none");
      expect(parse({ ...base, OTEL_EXPORTER_OTLP_COMPRESSION: "GZIP" }).otlp?.compression).toBe("gzip");
      expect(settingOf(() => parse({ ...base, OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: "br" }))).toBe(
        'OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: OTEL_EXPORTER_OTLP_LOGS_COMPRESSION="br" is not one of none, gzip',
      );
    });

    test("grpc protocol is rejected; http/json and http/protobuf accepted", () => {
      const base = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" };
      expect(parse({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" }).otlp).toBeDefined();
      expect(parse({ ...base, OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: "http/json" }).otlp).toBeDefined();
      expect(settingOf(() => parse({ ...base, OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: "grpc" }))).toStartWith(
        "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL:",
      );
    });

    test("OTEL_SDK_DISABLED=true and OTEL_LOGS_EXPORTER=none turn export off; other exporters are rejected", () => {
      const base = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" };
      expect(parse({ ...base, OTEL_SDK_DISABLED: "TRUE" }).otlp).toBeUndefined();
      expect(parse({ ...base, OTEL_SDK_DISABLED: "false" }).otlp).toBeDefined();
      expect(parse({ ...base, OTEL_LOGS_EXPORTER: "none" }).otlp).toBeUndefined();
      expect(settingOf(() => parse({ ...base, OTEL_LOGS_EXPORTER: "console" }))).toStartWith("OTEL_LOGS_EXPORTER:");
    });
  });
});
