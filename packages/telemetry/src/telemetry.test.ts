import { afterEach, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogRecord } from "./logger.ts";
import { startOtlpLogReceiver, type OtlpLogReceiver } from "./otlp-receiver.ts";
import { REDACTED } from "./redact.ts";
import { TelemetryConfigError, type TelemetryEnv } from "./telemetry-config.ts";
import { createTelemetry, type Telemetry, type TelemetryOptions } from "./telemetry.ts";

// Everything a test starts is released here, also when an assertion failed.
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function receiver(options?: Parameters<typeof startOtlpLogReceiver>[0]): OtlpLogReceiver {
  const r = startOtlpLogReceiver(options);
  cleanups.push(() => r.stop());
  return r;
}

async function telemetry(options: Omit<TelemetryOptions, "serviceName"> & { serviceName?: string }): Promise<{
  telemetry: Telemetry;
  local: LogRecord[];
}> {
  const local: LogRecord[] = [];
  const t = await createTelemetry({
    serviceName: "sync-server",
    serviceVersion: "1.2.3",
    sink: (r) => local.push(r),
    ...options,
  });
  cleanups.push(() => t.shutdown());
  return { telemetry: t, local };
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kuzu-sync-telemetry-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** OTLP env pointing at `r`, with a batch delay long enough that only a flush can export. */
const otlpEnv = (r: OtlpLogReceiver, extra: TelemetryEnv = {}): TelemetryEnv => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint,
  OTEL_BLRP_SCHEDULE_DELAY: "60000",
  ...extra,
});

const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

describe("createTelemetry with OTLP export", () => {
  test("shutdown() flushes the batch to a real OTLP/HTTP receiver with resource, severity, body and attributes", async () => {
    const r = receiver();
    const { telemetry: t, local } = await telemetry({
      env: otlpEnv(r, {
        OTEL_SERVICE_NAME: "gateway-eu-1",
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=test,team=sync%20core,service.name=ignored",
        OTEL_EXPORTER_OTLP_HEADERS: "x-collector-tenant=kuzu",
      }),
      instanceId: "instance-7",
    });
    t.logger.info("listening", { port: 8080, tls: false, ratio: 0.5, tags: ["a", "b"], traceparent: TRACEPARENT });
    t.logger.child({ clientId: "c-1" }).warn("slow client", { lagSeq: 12 });
    t.logger.error("append failed");

    expect(r.records).toHaveLength(0); // batched, not yet sent
    await t.shutdown();

    expect(r.requests.map((q) => q.path)).toEqual(["/v1/logs"]);
    expect(r.requests[0]?.headers["content-type"]).toStartWith("application/json");
    expect(r.requests[0]?.headers["x-collector-tenant"]).toBe("kuzu");

    expect(r.records.map((x) => [x.severityNumber, x.severityText, x.body])).toEqual([
      [9, "INFO", "listening"],
      [13, "WARN", "slow client"],
      [17, "ERROR", "append failed"],
    ]);
    const expectedResource = {
      "service.name": "gateway-eu-1",
      "service.version": "1.2.3",
      "service.instance.id": "instance-7",
      "deployment.environment": "test",
      team: "sync core",
    };
    for (const x of r.records) {
      expect(x.resource).toEqual(expectedResource);
      expect(x.scope).toBe("@kuzu-sync/telemetry");
    }
    const [info, warn] = r.records;
    expect(info?.attributes).toEqual({ port: 8080, tls: false, ratio: 0.5, tags: ["a", "b"], traceparent: TRACEPARENT });
    expect(info?.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(info?.spanId).toBe("b7ad6b7169203331");
    expect(warn?.attributes).toEqual({ clientId: "c-1", lagSeq: 12 });
    expect(warn?.traceId).toBeUndefined();

    // The local sink saw the same records, with the same resource and timestamps.
    expect(local.map((l) => l.body)).toEqual(["listening", "slow client", "append failed"]);
    expect(local[0]?.resource).toEqual(expectedResource);
    expect(r.records.map((x) => x.timeUnixNano)).toEqual(local.map((l) => l.timeUnixNano));
    expect(t.config.resource).toEqual(expectedResource);
  });

  test("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is posted to as is", async () => {
    const r = receiver();
    const { telemetry: t } = await telemetry({ env: { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${r.endpoint}/v1/logs` } });
    t.logger.info("one");
    await t.shutdown();
    expect(r.records.map((x) => x.body)).toEqual(["one"]);
  });

  test("OTEL_EXPORTER_OTLP_COMPRESSION=gzip sends gzip that the receiver decodes", async () => {
    const r = receiver();
    const { telemetry: t } = await telemetry({ env: otlpEnv(r, { OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" }) });
    t.logger.info("squeezed", { n: 1 });
    await t.shutdown();
    expect(r.requests[0]?.headers["content-encoding"]).toBe("gzip");
    expect(r.records.map((x) => [x.body, x.attributes])).toEqual([["squeezed", { n: 1 }]]);
  });

  test("LOG_LEVEL filters what is written locally and what is exported", async () => {
    const r = receiver();
    const { telemetry: t, local } = await telemetry({ env: otlpEnv(r, { LOG_LEVEL: "warn" }) });
    t.logger.debug("d");
    t.logger.info("i");
    t.logger.warn("w");
    t.logger.error("e");
    expect(t.logger.isEnabled("info")).toBe(false);
    await t.shutdown();
    expect(local.map((l) => l.body)).toEqual(["w", "e"]);
    expect(r.records.map((x) => x.body)).toEqual(["w", "e"]);
  });

  test("params and tokens never reach the exporter at INFO+; at DEBUG params do, tokens still do not", async () => {
    const r = receiver();
    const { telemetry: t, local } = await telemetry({ env: otlpEnv(r, { LOG_LEVEL: "debug" }) });
    const params = JSON.stringify({ name: "Ada", email: "ada@example.com" });
    t.logger.debug("applying", { template: "CREATE_USER", params, token: "s3cr3t" });
    t.logger.info("applied", { template: "CREATE_USER", params, authorization: "Bearer s3cr3t" });
    t.logger.error("failed", { template: "CREATE_USER", params, accessToken: "s3cr3t" });
    await t.shutdown();

    expect(r.records.map((x) => x.attributes)).toEqual([
      { template: "CREATE_USER", params, token: REDACTED },
      { template: "CREATE_USER", params: REDACTED, authorization: REDACTED },
      { template: "CREATE_USER", params: REDACTED, accessToken: REDACTED },
    ]);
    expect(local.map((l): unknown => l.attributes)).toEqual(r.records.map((x) => x.attributes));
    expect(JSON.stringify(r.records)).not.toContain("s3cr3t");
  });

  test("forceFlush() exports without stopping; records after shutdown stay local", async () => {
    const r = receiver();
    const { telemetry: t, local } = await telemetry({ env: otlpEnv(r) });
    t.logger.info("first");
    await t.forceFlush();
    expect(r.records.map((x) => x.body)).toEqual(["first"]);
    t.logger.info("second");
    await t.shutdown();
    await t.shutdown(); // idempotent
    t.logger.info("late");
    expect(r.records.map((x) => x.body)).toEqual(["first", "second"]);
    expect(local.map((l) => l.body)).toEqual(["first", "second", "late"]);
  });

  test("a failing export is reported once on the local sink, and its recovery too", async () => {
    const r = receiver({ status: 400 });
    const { telemetry: t, local } = await telemetry({ env: otlpEnv(r) });
    const reports = () => local.filter((l) => l.body.startsWith("OTLP"));
    t.logger.info("lost 1");
    await t.forceFlush();
    t.logger.info("lost 2");
    await t.forceFlush();
    expect(r.requests).toHaveLength(2);
    expect(reports()).toHaveLength(1);
    expect(reports()[0]).toMatchObject({
      severityText: "WARN",
      body: "OTLP log export failed; records are still written locally",
      attributes: { "url.full": `${r.endpoint}/v1/logs`, "otlp.records.lost": 1 },
    });

    r.respondWith(200);
    t.logger.info("delivered");
    await t.forceFlush();
    expect(r.records.map((x) => x.body)).toEqual(["delivered"]);
    expect(reports().map((l) => [l.severityText, l.body, l.attributes["otlp.records.lost"]])).toEqual([
      ["WARN", "OTLP log export failed; records are still written locally", 1],
      ["INFO", "OTLP log export recovered", 2],
    ]);
  });

  test("await using shuts down", async () => {
    const r = receiver();
    {
      await using t = await createTelemetry({ serviceName: "s", env: otlpEnv(r), sink: () => {} });
      t.logger.info("scoped");
    }
    expect(r.records.map((x) => x.body)).toEqual(["scoped"]);
  });
});

describe("createTelemetry with LOG_TS_PATH", () => {
  test("the module's sink replaces the local sink, receives redacted records, and is closed by shutdown()", async () => {
    const dir = await tempDir();
    const out = join(dir, "records.jsonl");
    await writeFile(
      join(dir, "file-sink.ts"),
      `
        import { appendFileSync } from "node:fs";
        import type { LogRecord, SinkModuleContext, SinkObject } from "@kuzu-sync/telemetry";
        export function createSink(ctx: SinkModuleContext): SinkObject {
          const lines: string[] = [];
          return {
            write: (record: LogRecord) => { lines.push(JSON.stringify(record)); },
            flush: () => { if (lines.length) appendFileSync(${JSON.stringify(out)}, lines.splice(0).join("\\n") + "\\n"); },
            close: () => appendFileSync(${JSON.stringify(out)}, JSON.stringify({ closed: ctx.resource["service.name"] }) + "\\n"),
          };
        }
      `,
    );
    const r = receiver();
    const { telemetry: t, local } = await telemetry({
      env: otlpEnv(r, { LOG_TS_PATH: "file-sink.ts", LOG_LEVEL: "info" }),
      cwd: dir,
    });
    expect(t.config.sinkPath).toBe(join(dir, "file-sink.ts"));
    t.logger.debug("filtered out");
    t.logger.info("to the module", { params: "[1,2]" });
    t.logger.warn("also to the module");
    await t.shutdown();

    const written = (await readFile(out, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(written).toMatchObject([
      { severityText: "INFO", body: "to the module", attributes: { params: REDACTED }, resource: { "service.name": "sync-server" } },
      { severityText: "WARN", body: "also to the module" },
      { closed: "sync-server" },
    ]);
    expect(local).toEqual([]); // the injected sink is replaced
    expect(r.records.map((x) => x.body)).toEqual(["to the module", "also to the module"]); // export still on
  });

  test("an unusable module stops start-up with an error naming LOG_TS_PATH", async () => {
    const dir = await tempDir();
    const error = await createTelemetry({ serviceName: "s", env: { LOG_TS_PATH: "missing.ts" }, cwd: dir }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TelemetryConfigError);
    expect((error as TelemetryConfigError).setting).toBe("LOG_TS_PATH");
    expect((error as Error).message).toContain(`LOG_TS_PATH=${JSON.stringify(join(dir, "missing.ts"))}`);
  });
});

describe("createTelemetry configuration errors", () => {
  test.each([
    ["LOG_LEVEL", { LOG_LEVEL: "chatty" }],
    ["OTEL_RESOURCE_ATTRIBUTES", { OTEL_RESOURCE_ATTRIBUTES: "team" }],
    ["OTEL_EXPORTER_OTLP_ENDPOINT", { OTEL_EXPORTER_OTLP_ENDPOINT: "::not a url::" }],
    ["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: "ftp://collector/v1/logs" }],
  ] as [string, TelemetryEnv][])("an invalid %s is rejected naming it", async (setting, env) => {
    const error = await createTelemetry({ serviceName: "s", env }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelemetryConfigError);
    expect((error as TelemetryConfigError).setting).toBe(setting);
    expect((error as Error).message).toContain(setting);
  });
});

describe("the default sink", () => {
  test("writes one JSON line per record: stdout below WARN, stderr from WARN, with LOG_LEVEL from process.env", async () => {
    const entry = join(import.meta.dir, "index.ts");
    const script = `
      const { createTelemetry } = await import(${JSON.stringify(entry)});
      const t = await createTelemetry({ serviceName: "child-bin", env: process.env });
      t.logger.debug("d");
      t.logger.info("i", { token: "s3cr3t" });
      t.logger.warn("w");
      t.logger.error("e");
      await t.shutdown();
    `;
    const proc = Bun.spawn([process.execPath, "-e", script], {
      env: { PATH: process.env["PATH"] ?? "", LOG_LEVEL: "debug", OTEL_SERVICE_NAME: "from-env" },
      stdout: "pipe",
      stderr: "pipe",
    });
    cleanups.push(async () => proc.kill());
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    expect(code).toBe(0);
    const parse = (text: string) => text.trim().split("\n").map((l) => JSON.parse(l) as LogRecord);
    const out = parse(stdout);
    const err = parse(stderr);
    expect(out.map((l) => l.severityText)).toEqual(["DEBUG", "INFO"]);
    expect(err.map((l) => l.severityText)).toEqual(["WARN", "ERROR"]);
    expect(out[1]?.attributes).toEqual({ token: REDACTED });
    for (const l of [...out, ...err]) expect(l.resource["service.name"]).toBe("from-env");
  });
});
