import { describe, expect, test } from "bun:test";
import { REDACTED } from "./redact.ts";
import { createLogger, parseLevel, type LogRecord } from "./logger.ts";

function capture(level?: Parameters<typeof createLogger>[0]["level"]) {
  const records: LogRecord[] = [];
  const log = createLogger({ serviceName: "svc", instanceId: "i-1", ...(level ? { level } : {}), sink: (r) => records.push(r) });
  return { log, records };
}

describe("createLogger", () => {
  test("records follow the OTel log data model", () => {
    const { log, records } = capture();
    log.info("listening", { port: 8080 });
    expect(records).toHaveLength(1);
    const r = records[0]!;
    expect(r).toMatchObject({
      severityText: "INFO",
      severityNumber: 9,
      body: "listening",
      attributes: { port: 8080 },
      resource: { "service.name": "svc", "service.version": "0.1.0", "service.instance.id": "i-1" },
    });
    expect(BigInt(r.timeUnixNano)).toBe(BigInt(Date.parse(r.timestamp)) * 1_000_000n);
    expect(r.traceId).toBeUndefined();
  });

  test("the level filters lower severities", () => {
    const { log, records } = capture("warn");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    expect(records.map((r) => r.severityText)).toEqual(["WARN", "ERROR"]);
    expect(log.isEnabled("info")).toBe(false);
    expect(log.isEnabled("error")).toBe(true);
  });

  test("a valid traceparent fills traceId, spanId and traceFlags", () => {
    const { log, records } = capture();
    log.info("x", { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
    expect(records[0]).toMatchObject({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: 1,
    });
  });

  test.each([
    "00-00000000000000000000000000000000-b7ad6b7169203331-01",
    "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
    "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
    "garbage",
  ])("an invalid traceparent %p adds no ids", (traceparent) => {
    const { log, records } = capture();
    log.info("x", { traceparent });
    expect(records[0]?.traceId).toBeUndefined();
    expect(records[0]?.spanId).toBeUndefined();
  });

  test("params are redacted at INFO+ and kept at DEBUG; tokens always, also when bound by child()", () => {
    const { log, records } = capture("debug");
    const child = log.child({ authorization: "Bearer abc" });
    child.debug("applying", { params: '{"id":1}' });
    child.info("applied", { params: '{"id":1}', template: "CREATE_USER" });
    expect(records[0]?.attributes).toEqual({ authorization: REDACTED, params: '{"id":1}' });
    expect(records[1]?.attributes).toEqual({ authorization: REDACTED, params: REDACTED, template: "CREATE_USER" });
  });

  test("a throwing sink does not throw into the caller", () => {
    const log = createLogger({
      serviceName: "svc",
      sink: () => {
        throw new Error("disk full");
      },
    });
    expect(() => log.error("x")).not.toThrow();
  });
});

describe("parseLevel", () => {
  test("accepts levels case-insensitively and falls back when empty", () => {
    expect(parseLevel("WARN")).toBe("warn");
    expect(parseLevel("")).toBe("info");
    expect(parseLevel(undefined, "debug")).toBe("debug");
  });
  test("rejects unknown levels naming LOG_LEVEL", () => {
    expect(() => parseLevel("verbose")).toThrow(/LOG_LEVEL="verbose" is not one of debug, info, warn, error, fatal/);
  });
});
