/**
 * The real gateway process with its telemetry: OTLP/HTTP export to a real receiver, `LOG_TS_PATH`
 * sinks, the event lifecycle at debug with trace context from sender to every replica, and no
 * parameter values at info.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger, type LogRecord } from "@kuzu-sync/telemetry";
import { startOtlpLogReceiver, type ReceivedLogRecord } from "@kuzu-sync/telemetry/testing";
import serverPackage from "../packages/sync-server/package.json" with { type: "json" };
import { ClientPool } from "./support/clients.ts";
import { startGatewayProcess, tempDir } from "./support/gateway-process.ts";
import { RawSocket, makeEvent } from "./support/raw-socket.ts";

const traceparent = (i: number) => `00-${(i + 1).toString(16).padStart(32, "a")}-${(i + 1).toString(16).padStart(16, "b")}-01`;
const traceId = (i: number) => traceparent(i).split("-")[1]!;

describe("gateway telemetry", () => {
  test("OTLP export: lifecycle records at debug carry eventId, seq, template, clientId and the sender's trace id, on the gateway and on every replica", async () => {
    await using receiver = startOtlpLogReceiver();
    const gw = await startGatewayProcess({
      env: {
        LOG_LEVEL: "debug",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=test,service.namespace=kuzu-sync",
      },
    });
    await using _gw = gw;
    await using pool = new ClientPool();
    const clientRecords: LogRecord[] = [];
    const clientLogger = createLogger({ serviceName: "sync-client", level: "debug", sink: (r) => clientRecords.push(r) });
    const writer = await pool.connect(gw.url);
    const reader = await pool.connect(gw.url, { logger: clientLogger });

    const sent: { id: string; seq: number; template: string; trace: number }[] = [];
    const templates = [
      ["CREATE_USER", { id: "u1", name: "Alice" }],
      ["INCREMENT_COUNTER", { counterId: "c1", amount: 2 }],
      ["CREATE_POST", { id: "p1", authorId: "u1", content: "hi" }],
    ] as const;
    for (const [i, [template, params]] of templates.entries()) {
      const id = `traced-${i}`;
      const { seq } = await writer.executeTemplate(template, params, { traceparent: traceparent(i), id });
      sent.push({ id, seq, template, trace: i });
    }
    await reader.waitForSeq(sent[sent.length - 1]!.seq);
    expect(await gw.stop()).toBe(0); // SIGTERM: shutdown() flushes the OTLP batch before exit

    const gatewayRecords = receiver.records;
    expect(gatewayRecords.length).toBeGreaterThan(0);
    for (const r of gatewayRecords) {
      expect(r.resource).toMatchObject({
        "service.name": "sync-server",
        "service.version": serverPackage.version,
        "deployment.environment": "test",
        "service.namespace": "kuzu-sync",
      });
      expect(String(r.resource["service.instance.id"])).toMatch(/^[0-9a-f-]{36}$/);
    }
    const bodies = gatewayRecords.map((r) => r.body);
    expect(bodies).toContain("listening");
    expect(bodies).toContain("client connected");
    // Logged after SIGTERM: only there because shutdown flushed the batch before the process exited.
    expect(bodies).toContain("shutting down");

    const find = (records: readonly ReceivedLogRecord[], body: string, eventId: string) =>
      records.find((r) => r.body === body && r.attributes["eventId"] === eventId);
    for (const e of sent) {
      const expected = { eventId: e.id, template: e.template, clientId: writer.clientId, traceparent: traceparent(e.trace) };
      const received = find(gatewayRecords, "event received", e.id);
      const committed = find(gatewayRecords, "event committed", e.id);
      const applied = find(gatewayRecords, "event applied", e.id); // the gateway's server replica
      for (const r of [received, committed, applied]) {
        expect(r).toMatchObject({ severityText: "DEBUG", severityNumber: 5, traceId: traceId(e.trace), attributes: expected });
        expect(r!.spanId).toMatch(/^[0-9a-f]{16}$/);
      }
      expect(committed!.attributes["seq"]).toBe(e.seq);
      expect(applied!.attributes).toMatchObject({ seq: e.seq, component: "server-replica" });
      // The reading client's replica logs the same event with the same trace id.
      const onClient = clientRecords.find((r) => r.body === "event applied" && r.attributes["eventId"] === e.id);
      expect(onClient).toMatchObject({ severityText: "DEBUG", traceId: traceId(e.trace), attributes: { ...expected, seq: e.seq } });
    }
  });

  test("with LOG_LEVEL=info, no parameter value reaches stdout, stderr or the OTLP receiver", async () => {
    await using receiver = startOtlpLogReceiver();
    const gw = await startGatewayProcess({ env: { LOG_LEVEL: "info", OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } });
    await using _gw = gw;
    const marker = (what: string) => `PARAM-VALUE-${what}-7f3a`;
    await using pool = new ClientPool();
    const c = await pool.connect(gw.url);
    await c.executeTemplate("CREATE_USER", { id: marker("id"), name: marker("name"), email: marker("email") });
    await c.executeTemplate("INCREMENT_COUNTER", { counterId: marker("counter"), amount: 987_654_321 });
    await expect(c.executeTemplate("CREATE_USER", { id: marker("bad"), name: 12345 })).rejects.toMatchObject({ code: "INVALID_PARAMS" });
    await expect(c.executeTemplate("NO_SUCH_TEMPLATE", { x: marker("unknown") })).rejects.toMatchObject({ code: "UNKNOWN_TEMPLATE" });
    await using raw = (await RawSocket.hello(gw.url, "raw-info")).socket;
    raw.send({ type: "event", event: makeEvent("CREATE_USER", { id: marker("big"), name: "x".repeat(70_000) }, "raw-info") });
    expect(await raw.nextOfType("reject")).toMatchObject({ code: "EVENT_TOO_LARGE" });
    expect(await gw.stop()).toBe(0);

    // Something was logged at info about these events (so the check below is not vacuous).
    const rejects = receiver.records.filter((r) => r.body === "event rejected");
    expect(rejects.map((r) => r.attributes["code"]).sort()).toEqual(["EVENT_TOO_LARGE", "INVALID_PARAMS", "UNKNOWN_TEMPLATE"]);
    expect(receiver.records.every((r) => r.severityNumber >= 9)).toBe(true);
    const everything = [...gw.output, ...receiver.records.map((r) => JSON.stringify(r))].join("\n");
    expect(everything).not.toContain("PARAM-VALUE");
    expect(everything).not.toContain("987654321");
  });

  test("LOG_TS_PATH: the module's sink replaces the default one, receives every record and is closed on SIGTERM", async () => {
    using dir = tempDir("sink-module-");
    const out = join(dir.path, "records.ndjson");
    const sinkPath = join(dir.path, "test-sink.mjs");
    // A plain module outside the workspace, as an operator would write one.
    writeFileSync(
      sinkPath,
      `import { appendFileSync } from "node:fs";
export function createSink(context) {
  const file = context.env.TEST_SINK_FILE;
  return {
    write(record) {
      appendFileSync(file, JSON.stringify(record) + "\\n");
      // Also on stdout (tagged), so the test harness still sees "listening" and learns the port.
      process.stdout.write(JSON.stringify({ via: "test-sink", ...record }) + "\\n");
    },
    close() {
      appendFileSync(file, JSON.stringify({ closed: true, level: context.level }) + "\\n");
    },
  };
}
`,
    );
    const gw = await startGatewayProcess({ env: { LOG_TS_PATH: sinkPath, TEST_SINK_FILE: out, LOG_LEVEL: "debug" } });
    await using _gw = gw;
    await using pool = new ClientPool();
    const c = await pool.connect(gw.url);
    const { seq } = await c.executeTemplate("CREATE_USER", { id: "u1", name: "A" }, { traceparent: traceparent(9) });
    expect(await gw.stop()).toBe(0);

    const lines = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[lines.length - 1]).toEqual({ closed: true, level: "debug" });
    const records = lines.slice(0, -1) as unknown as LogRecord[];
    expect(records.map((r) => r.body)).toEqual(expect.arrayContaining(["listening", "client connected", "event committed", "shutting down"]));
    expect(records.find((r) => r.body === "event committed")).toMatchObject({
      attributes: { seq, template: "CREATE_USER", clientId: c.clientId },
      traceId: traceId(9),
      resource: { "service.name": "sync-server", "service.version": serverPackage.version },
    });
    // The default JSON-lines sink is replaced: every JSON line printed came through the module.
    const jsonLines = gw.output.filter((l) => l.startsWith("{"));
    expect(jsonLines.length).toBeGreaterThan(0);
    for (const l of jsonLines) expect(JSON.parse(l)).toHaveProperty("via", "test-sink");
  });
});
