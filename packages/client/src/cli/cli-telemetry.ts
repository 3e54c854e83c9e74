/**
 * The CLI's telemetry: the same `createTelemetry` as sync-server, so `LOG_LEVEL`, `LOG_TS_PATH`,
 * `OTEL_EXPORTER_OTLP_[LOGS_]ENDPOINT`, `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` mean the
 * same for both. The local sink is the terminal, not JSON lines on stdout: stdout carries results
 * (a seq, rows, NDJSON events) and a log line there would corrupt them; records reach stderr as
 * short human lines through the terminal (and the REPL's prompt guard) — errors only, everything
 * with `--verbose`. OTLP export gets every record from `LOG_LEVEL` up.
 * @module
 */
import { createTelemetry, TelemetryConfigError, type Attributes, type LogSink, type Telemetry } from "@kuzu-sync/telemetry";
import packageJson from "../../package.json" with { type: "json" };
import { CliError, ExitCode } from "./exit-codes.ts";
import type { Terminal } from "./terminal.ts";

/** How long the CLI waits for the last OTLP batch before exiting anyway (collector down). */
export const TELEMETRY_FLUSH_MS = 5_000;

/**
 * Start telemetry for one command. `verbose` lowers the level to debug (it beats `LOG_LEVEL`, like
 * sync-server's `--log-level`) and shows every record on the terminal. An invalid setting is a
 * usage error naming it.
 * @example
 * const telemetry = await startCliTelemetry(term, { verbose: false, env: process.env });
 * telemetry.logger.info("command finished", { command: "send", exitCode: 0 });
 * await stopCliTelemetry(telemetry);
 */
export async function startCliTelemetry(
  term: Terminal,
  options: { readonly verbose: boolean; readonly env: Readonly<Record<string, string | undefined>> },
): Promise<Telemetry> {
  try {
    return await createTelemetry({
      serviceName: "sync-client",
      serviceVersion: packageJson.version,
      env: options.env,
      ...(options.verbose ? { level: "debug" as const } : {}),
      sink: terminalSink(term, options.verbose),
    });
  } catch (error) {
    if (error instanceof TelemetryConfigError) throw new CliError(error.message, ExitCode.USAGE, { cause: error });
    throw error;
  }
}

/**
 * Flush the OTLP batch and close a `LOG_TS_PATH` sink, waiting at most {@link TELEMETRY_FLUSH_MS}:
 * an unreachable collector must not hold a finished command for the exporter's whole timeout.
 * @example await stopCliTelemetry(telemetry);
 */
export async function stopCliTelemetry(telemetry: Telemetry, ms = TELEMETRY_FLUSH_MS): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  try {
    await Promise.race([telemetry.shutdown().catch(() => {}), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Records as short lines on stderr: errors always, warnings and the rest only when verbose.
 * @example createLogger({ serviceName: "sync-client", sink: terminalSink(term, false) })
 */
export function terminalSink(term: Terminal, verbose: boolean): LogSink {
  return (record) => {
    if (!verbose && record.severityNumber < 17) return;
    const line = `${record.body}${formatAttributes(record.attributes)}`;
    if (record.severityNumber >= 17) term.error(line);
    else if (record.severityNumber >= 13) term.warn(line);
    else term.note(`${record.severityText.toLowerCase()}: ${line}`);
  };
}

function formatAttributes(attributes: Attributes): string {
  const parts = Object.entries(attributes)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return parts.length ? ` (${parts.join(" ")})` : "";
}
