#!/usr/bin/env bun
/**
 * `sync-server` bin: parse config, start, log the port, stop cleanly on SIGINT/SIGTERM.
 * @module
 */
import { createLogger } from "@kuzu-sync/telemetry";
import { ConfigError, parseServerConfig, SERVER_USAGE } from "./config.ts";
import { startServer } from "./server.ts";

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

const logger = createLogger({ serviceName: "sync-server", level: config.logLevel });
let server;
try {
  server = await startServer(config, logger);
} catch (error) {
  const message = error instanceof ConfigError ? error.message : String(error);
  logger.error("sync-server failed to start", { error: message });
  console.error(`sync-server: ${message}`);
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
    running.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error("shutdown failed", { error: String(error) });
        process.exit(1);
      },
    );
  });
}
