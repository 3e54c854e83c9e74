/**
 * The real `sync-client` bin exports its log records over OTLP/HTTP to a real receiver, with the
 * resource the OTEL_* variables give, flushed before it exits — and its human output stays clean.
 */
import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { startOtlpLogReceiver, type ReceivedLogRecord } from "@kuzu-sync/telemetry/testing";
import clientPackage from "../packages/client/package.json" with { type: "json" };
import { runCli } from "./support/cli-process.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";
import { FIRST_CLIENT_SEQ } from "./support/log-start.ts";

// Real gateway and CLI processes (bunfig has no test timeout setting).
setDefaultTimeout(60_000);

const finished = (records: readonly ReceivedLogRecord[]) => records.filter((r) => r.body === "command finished");

describe("sync-client telemetry", () => {
  test("send: records exported with OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; stdout is only the seq", async () => {
    await using gw = await startGatewayProcess();
    await using receiver = startOtlpLogReceiver();
    const r = await runCli(["send", "CREATE_USER", "id=u1", "name=Ann", "--url", gw.url], {
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_SERVICE_NAME: "cli-under-test",
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=test,team=sync%20ops",
        LOG_LEVEL: "info",
      },
    });
    expect(r).toEqual({ code: 0, stdout: `${FIRST_CLIENT_SEQ}\n`, stderr: "" }); // the new log's first write
    // The process has exited: what it logged was exported before that, not left in a batch.
    const [record, ...rest] = finished(receiver.records);
    expect(rest).toEqual([]);
    expect(record).toMatchObject({
      severityText: "INFO",
      attributes: { command: "send", exitCode: 0, url: gw.url },
      resource: { "service.name": "cli-under-test", "service.version": clientPackage.version, "deployment.environment": "test", team: "sync ops" },
    });
    expect(typeof record!.resource["service.instance.id"]).toBe("string");
    expect(receiver.requests.every((q) => q.path === "/v1/logs")).toBe(true);
  });

  test("a failing command exports how it ended; LOG_LEVEL filters the export; a bad setting is a usage error", async () => {
    await using receiver = startOtlpLogReceiver();
    const env = { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${receiver.endpoint}/v1/logs` };
    // Nothing listens on port 9 (discard) of loopback here: the gateway is unreachable.
    const down = await runCli(["status", "--url", "ws://127.0.0.1:9", "--timeout", "2000"], { env });
    expect(down.code).toBe(3);
    expect(down.stdout).toBe("");
    expect(down.stderr).toMatch(/^error: cannot reach a sync-server at ws:\/\/127\.0\.0\.1:9/);
    expect(down.stderr).not.toContain("{");
    expect(finished(receiver.records)).toMatchObject([
      { attributes: { command: "status", exitCode: 3, error: expect.stringMatching(/cannot reach a sync-server/) }, resource: { "service.name": "sync-client" } },
    ]);

    const quiet = await runCli(["status", "--url", "ws://127.0.0.1:9", "--timeout", "2000"], { env: { ...env, LOG_LEVEL: "warn" } });
    expect(quiet.code).toBe(3);
    expect(finished(receiver.records)).toHaveLength(1);

    const bad = await runCli(["status", "--url", "ws://127.0.0.1:9"], { env: { ...env, LOG_LEVEL: "loud" } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("LOG_LEVEL");
  });

  test("REPL with --verbose and export on: records reach the collector and stderr as notes, never stdout", async () => {
    await using gw = await startGatewayProcess();
    await using receiver = startOtlpLogReceiver();
    const r = await runCli(["--url", gw.url, "--verbose", "repl"], {
      stdin: "CREATE_USER id=u1 name=A\nexit\n",
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`✓ CREATE_USER seq ${FIRST_CLIENT_SEQ}\n`);
    expect(r.stderr).toMatch(/^info: command finished \(command=repl /m);
    expect(r.stderr).not.toMatch(/^\{/m);
    // --verbose exports from debug up: the client's own lifecycle records are there too.
    expect(receiver.records.some((x) => x.severityText === "DEBUG")).toBe(true);
    expect(finished(receiver.records)).toMatchObject([{ attributes: { command: "repl", exitCode: 0 } }]);
  });
});
