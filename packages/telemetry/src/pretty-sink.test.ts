import { describe, expect, test } from "bun:test";
import { createLogger } from "./logger.ts";
import { createPrettySink, formatPrettyLine } from "./pretty-sink.ts";

function capture(isTTY = false) {
  const out = { text: "", isTTY, write: (s: string) => void (out.text += s) };
  const err = { text: "", isTTY, write: (s: string) => void (err.text += s) };
  return { out, err };
}

describe("pretty log lines", () => {
  test("time, level, body and key=value attributes; the resource once, before the first line; WARN+ on stderr", () => {
    const { out, err } = capture();
    const log = createLogger({ serviceName: "sync-server", serviceVersion: "1.2.3", instanceId: "i-1", resource: { region: "eu" }, sink: createPrettySink({ stdout: out, stderr: err, env: {} }) });
    log.info("listening", { port: 8080, url: "ws://0.0.0.0:8080", dataDir: "/var/lib/my data" });
    log.info("client connected", { clientId: "c1" });
    log.warn("NATS connection lost; reconnecting", { server: "nats://a:4222" });
    const lines = out.text.split("\n");
    expect(lines[0]).toBe("sync-server 1.2.3 · instance i-1 · region=eu");
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  listening port=8080 url=ws:\/\/0\.0\.0\.0:8080 dataDir="\/var\/lib\/my data"$/);
    expect(lines[2]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  client connected clientId=c1$/);
    expect(lines).toHaveLength(4); // the last is the empty tail after the final newline
    expect(out.text).not.toContain("\x1b[");
    expect(err.text).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  NATS connection lost; reconnecting server=nats:\/\/a:4222\n$/);
    expect(out.text.split("instance i-1")).toHaveLength(2); // not repeated
  });

  test("colours on a terminal unless NO_COLOR; a trace id is shown, the raw traceparent is not", () => {
    const tty = capture(true);
    createLogger({ serviceName: "s", sink: createPrettySink({ stdout: tty.out, stderr: tty.err, env: {} }) }).info("x");
    expect(tty.out.text).toContain("\x1b[32mINFO ");
    const plain = capture(true);
    createLogger({ serviceName: "s", sink: createPrettySink({ stdout: plain.out, stderr: plain.err, env: { NO_COLOR: "1" } }) }).info("x");
    expect(plain.out.text).not.toContain("\x1b[");
    const record = {
      timestamp: new Date(2026, 0, 2, 3, 4, 5, 6).toISOString(),
      timeUnixNano: "0",
      severityText: "INFO" as const,
      severityNumber: 9,
      body: "event committed",
      attributes: { seq: 7, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", tags: ["a", "b"], ok: true },
      resource: {},
      traceId: "0af7651916cd43dd8448eb211c80319c",
    };
    expect(formatPrettyLine(record, false)).toBe('03:04:05.006 INFO  event committed seq=7 tags=["a","b"] ok=true trace=0af7651916cd43dd8448eb211c80319c');
  });
});
