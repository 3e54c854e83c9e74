#!/usr/bin/env bun
/**
 * `sync-server` bin: parse config, start telemetry (JSON lines, or short lines on a terminal;
 * `LOG_TS_PATH` sink, OTLP export), start the server, log the port, and on SIGINT/SIGTERM stop
 * cleanly and flush the logs. Exit codes: 0 stopped cleanly, 1 failed (start-up or shutdown),
 * 2 bad settings (one line on stderr naming the setting as it was given, checked before anything
 * starts). `sync-server check …` checks a registry instead (registry-check-command.ts), `sync-server plan …`
 * says what a start would do with it (registry-plan-command.ts), `sync-server quarantine …` takes a
 * poison event out of service (quarantine-command.ts).
 * @module
 */
import { createTelemetry, type Telemetry } from "@kuzu-sync/telemetry";
import pkg from "../package.json" with { type: "json" };
import { parseServerConfig, SERVER_USAGE } from "./config.ts";
import { probeNats } from "./nats-probe.ts";
import { runCheckCommand } from "./registry-check-command.ts";
import { runPlanCommand } from "./registry-plan-command.ts";
import { runQuarantineCommand } from "./quarantine-command.ts";
import { startServer } from "./server.ts";

if (process.argv[2] === "check" || process.argv[2] === "plan" || process.argv[2] === "quarantine") {
  const write = (stream: NodeJS.WriteStream) => (text: string) => void stream.write(text);
  const io = { out: write(process.stdout), err: write(process.stderr), env: process.env };
  const run = process.argv[2] === "check" ? runCheckCommand : process.argv[2] === "plan" ? runPlanCommand : runQuarantineCommand;
  process.exitCode = await run(process.argv.slice(3), io);
  // Kuzu's native threads may keep the process alive after the scratch databases are closed.
  process.exit();
}

/** A setting the user must fix: one line, exit 2. */
function badSetting(error: unknown): never {
  console.error(`sync-server: ${(error as Error).message}`);
  process.exit(2);
}

let config;
try {
  config = parseServerConfig(process.argv.slice(2), process.env);
} catch (error) {
  badSetting(error);
}
if (config === "help") {
  console.log(SERVER_USAGE);
  process.exit(0);
}

let telemetry: Telemetry;
try {
  // --log-level (already folded into config.logLevel with LOG_LEVEL) beats the environment.
  telemetry = await createTelemetry({ serviceName: "sync-server", serviceVersion: pkg.version, env: process.env, level: config.logLevel });
} catch (error) {
  badSetting(error);
}
const logger = telemetry.logger;

// The NATS client waits for a first connection silently, for as long as it takes: say at once
// when NATS is not there (it keeps trying, and the gateway carries on once it connects).
const natsUrl = config.natsUrl;
if (natsUrl !== null) {
  void probeNats(natsUrl).then((problem) => {
    if (problem !== null) logger.warn("NATS is not reachable; retrying until it is", { natsUrl, problem });
  });
}

let server;
try {
  server = await startServer(config, logger);
} catch (error) {
  // Exit 1: what stops start-up here is the state of things (the data directory, the registry
  // module, NATS), not a setting's syntax. One line on stderr for the person; the record too when
  // the logs go to a machine (JSON, a LOG_TS_PATH module, OTLP), where a pretty line on the
  // terminal would only repeat it.
  const message = String(error instanceof Error ? error.message : error);
  if (telemetry.config.format === "json" || telemetry.config.sinkPath !== undefined || telemetry.config.otlp !== undefined) {
    logger.error("sync-server failed to start", { error: message });
  }
  await telemetry.shutdown();
  console.error(`sync-server: ${message}`);
  process.exit(1);
}
const running = server;
let signalled = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (signalled) return;
    signalled = true;
    logger.info("shutting down", { signal });
    running
      .stop()
      .then(
        () => 0,
        (error: unknown) => {
          logger.error("shutdown failed", { error: String(error) });
          return 1;
        },
      )
      // Flush the OTLP batch and close the LOG_TS_PATH sink last, so they carry the shutdown records.
      .then((code) => telemetry.shutdown().then(() => code, () => code))
      .then((code) => process.exit(code));
  });
}

// After the handlers: whoever reads this line may send SIGTERM at once.
logger.info("listening", { port: server.port, url: server.url, dataDir: config.dataDir });
// JSON lines on a terminal (LOG_FORMAT=json): one plain line a person can read too.
if (process.stdout.isTTY && telemetry.config.format === "json") console.log(`sync-server listening on ${server.url} (data in ${config.dataDir})`);
