/**
 * The start-up entry point for bins: configuration from the environment, the local sink (JSON lines,
 * or the `LOG_TS_PATH` module), OTLP export when an endpoint is set, and one `shutdown()` that
 * flushes it all.
 * @module
 */
import { createLogger, jsonLinesSink, type LogRecord, type LogSink, type Logger } from "./logger.ts";
import { createOtlpLogSink, type OtlpLogSink } from "./otlp-sink.ts";
import { createPrettySink } from "./pretty-sink.ts";
import { loadSinkModule, type LoadedSink } from "./sink-module.ts";
import { parseTelemetryConfig, type TelemetryConfig, type TelemetryConfigInput } from "./telemetry-config.ts";

/** Options of {@link createTelemetry}. */
export interface TelemetryOptions extends TelemetryConfigInput {
  /**
   * Local sink used instead of {@link jsonLinesSink} (e.g. in tests). `LOG_TS_PATH`, when set, wins
   * over it: the operator's choice beats the code's.
   */
  readonly sink?: LogSink;
}

/** A running telemetry: the logger, what it was configured with, and how to flush and stop it. */
export interface Telemetry extends AsyncDisposable {
  readonly logger: Logger;
  readonly config: TelemetryConfig;
  /** Export what is buffered (OTLP) and flush the `LOG_TS_PATH` sink; keeps running. */
  forceFlush(): Promise<void>;
  /**
   * Flush and stop the OTLP export, then flush and close the `LOG_TS_PATH` sink. Idempotent. Records
   * logged afterwards still reach the JSON-lines (or injected) sink but nothing else.
   */
  shutdown(): Promise<void>;
}

/**
 * Parse the environment, load the sinks and return the logger. Throws a `TelemetryConfigError`
 * naming the setting when a value is invalid or the `LOG_TS_PATH` module cannot be used.
 *
 * Records go to the local sink (one JSON line per record on stdout, stderr from WARN up; short
 * human lines instead with `LOG_FORMAT=pretty`, the default on a terminal; or the `LOG_TS_PATH`
 * module) and, when `OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` is set, are also exported over OTLP/HTTP in batches. A failing
 * export is reported once on the local sink (WARN), and again when it recovers.
 * @example
 * const telemetry = await createTelemetry({ serviceName: "sync-server", env: process.env });
 * const log = telemetry.logger;
 * log.info("listening", { port: 8080 });
 * process.once("SIGTERM", async () => {
 *   await telemetry.shutdown(); // flushes the OTLP batch
 *   process.exit(0);
 * });
 */
export async function createTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const config = parseTelemetryConfig({ ...options, stdoutIsTTY: options.stdoutIsTTY ?? process.stdout.isTTY === true });
  const serviceName = String(config.resource["service.name"]);

  const local: LoadedSink =
    config.sinkPath !== undefined
      ? await loadSinkModule({ path: config.sinkPath, level: config.level, resource: config.resource, env: options.env })
      : { write: options.sink ?? (config.format === "pretty" ? createPrettySink() : jsonLinesSink), flush: async () => {}, close: async () => {} };

  // Reports about the export itself go to the local sink only, never back into the failing export.
  const selfLog = createLogger({ serviceName, level: config.level, resource: config.resource, sink: local.write });
  const otlp: OtlpLogSink | undefined = config.otlp
    ? createOtlpLogSink(config.otlp, config.resource, exportReporter(selfLog, config.otlp.url))
    : undefined;

  const sink: LogSink = otlp
    ? (record: LogRecord) => {
        try {
          local.write(record);
        } finally {
          otlp.write(record);
        }
      }
    : local.write;
  const logger = createLogger({ serviceName, level: config.level, resource: config.resource, sink });

  let stopped: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (stopped ??= (async () => {
      try {
        await otlp?.shutdown();
      } finally {
        await local.close();
      }
    })());

  return {
    logger,
    config,
    forceFlush: async () => {
      await otlp?.forceFlush();
      await local.flush();
    },
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}

/** Report the first failed export and the recovery, not every failed batch. */
function exportReporter(log: Logger, url: string) {
  const target = new URL(url);
  target.username = "";
  target.password = "";
  let failing = false;
  let lost = 0;
  return {
    onExportFailure(error: Error, records: number): void {
      lost += records;
      if (failing) return;
      failing = true;
      log.warn("OTLP log export failed; records are still written locally", {
        "url.full": target.href,
        "error.type": error.name,
        "error.message": error.message,
        "otlp.records.lost": records,
      });
    },
    onExportSuccess(): void {
      if (!failing) return;
      failing = false;
      log.info("OTLP log export recovered", { "url.full": target.href, "otlp.records.lost": lost });
      lost = 0;
    },
  };
}
