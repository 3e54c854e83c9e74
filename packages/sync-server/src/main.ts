#!/usr/bin/env bun
/**
 * `sync-server` bin: parse config, start telemetry (JSON lines, `LOG_TS_PATH` sink, OTLP export),
 * start the server, log the port, and on SIGINT/SIGTERM stop cleanly and flush the logs.
 * `sync-server check …` checks a registry instead (registry-check-command.ts).
 * @module
 */
import { createTelemetry, type Telemetry } from "@kuzu-sync/telemetry";
import pkg from "../package.json" with { type: "json" };
import { ConfigError, parseServerConfig, SERVER_USAGE } from "./config.ts";
import { runCheckCommand } from "./registry-check-command.ts";
import { startServer } from "./server.ts";

if (process.argv[2] === "check") {
  const write = (stream: NodeJS.WriteStream) => (text: string) => void stream.write(text);
  process.exitCode = await runCheckCommand(process.argv.slice(3), { out: write(process.stdout), err: write(process.stderr), env: process.env });
  // Kuzu's native threads may keep the process alive after the scratch databases are closed.
  process.exit();
}

let config;
try {
  config = parseServerConfig(process.argv.slice(2), process.env);
} catch (error) {
  console.error(`sync-server: ${(error as Error).message}`);
  process.exit(2);
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
  console.error(`sync-server: ${(error as Error).message}`);
  process.exit(2);
}
const logger = telemetry.logger;

let server;
try {
  server = await startServer(config, logger);
} catch (error) {
  const message = error instanceof ConfigError ? error.message : String(error);
  logger.error("sync-server failed to start", { error: message });
  console.error(`sync-server: ${message}`);
  await telemetry.shutdown();
  process.exit(1);
}
logger.info("listening", { port: server.port, url: server.url, dataDir: config.dataDir });
if (process.stdout.isTTY) console.log(`sync-server listening on ${server.url} (data in ${config.dataDir})`);

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
