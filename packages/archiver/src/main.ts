#!/usr/bin/env bun
/**
 * `sync-archiver` bin. Exit codes: 0 success, 1 failure (S3, log, verification), 2 bad settings.
 * Logs go through `createTelemetry` (JSON lines, short lines on a terminal; OTLP/HTTP export when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set), flushed before the process exits.
 *
 * Testing aid: `SYNC_ARCHIVER_CRASH_AT=<step>[:<n>]` (step: uploaded, verified, manifest-written,
 * purged) makes `run` kill itself with SIGKILL at the n-th time (default 1st) it reaches that
 * step, so crash-safety tests crash the real process at a chosen point. Never set it in production.
 * @module
 */
import { CommanderError } from "commander";
import { SyncError } from "@kuzu-sync/protocol";
import { ConfigError, createTelemetry, type Telemetry } from "@kuzu-sync/telemetry";
import pkg from "../package.json" with { type: "json" };
import { ARCHIVE_STEPS, type ArchiveStep } from "./archive-run.ts";
import { createProgram, type CliIo } from "./cli.ts";

function crashHook(spec: string | undefined): CliIo["onStep"] {
  if (!spec) return undefined;
  const [step, nth = "1"] = spec.split(":");
  if (!ARCHIVE_STEPS.includes(step as ArchiveStep) || !/^\d+$/.test(nth)) {
    console.error(`sync-archiver: SYNC_ARCHIVER_CRASH_AT=${JSON.stringify(spec)} is not <${ARCHIVE_STEPS.join("|")}>[:<n>]`);
    process.exit(2);
  }
  let seen = 0;
  return (s) => {
    if (s === step && ++seen === Number(nth)) process.kill(process.pid, "SIGKILL");
  };
}

let telemetry: Telemetry | null = null;
const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  onStep: crashHook(process.env["SYNC_ARCHIVER_CRASH_AT"]),
  startLogger: async (level) => {
    telemetry = await createTelemetry({ serviceName: "sync-archiver", serviceVersion: pkg.version, env: process.env, level });
    return telemetry.logger;
  },
};
try {
  await createProgram(io).parseAsync(process.argv.slice(2), { from: "user" });
  process.exitCode = io.exitCode ?? 0;
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2; // help/version, or a usage error commander already printed
  } else if (error instanceof ConfigError) {
    console.error(`sync-archiver: ${error.message}`);
    process.exitCode = 2;
  } else {
    const message = error instanceof SyncError ? `${error.message} [${error.code}]` : String(error);
    // One line on stderr for the person; the record too when the logs go to a machine (JSON, a
    // LOG_TS_PATH module, OTLP), where a pretty line on the terminal would only repeat it.
    const t = telemetry as Telemetry | null;
    if (t !== null && (t.config.format === "json" || t.config.sinkPath !== undefined || t.config.otlp !== undefined)) {
      t.logger.error("sync-archiver failed", { error: message });
    }
    console.error(`sync-archiver: ${message}`);
    process.exitCode = 1;
  }
} finally {
  // Export what is still batched (OTLP) before the process ends.
  await (telemetry as Telemetry | null)?.shutdown();
}
