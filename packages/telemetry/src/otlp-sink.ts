/**
 * OTLP/HTTP export of log records through the OpenTelemetry logs SDK: our {@link LogRecord}s are
 * emitted on an SDK logger whose `BatchLogRecordProcessor` sends them with `OTLPLogExporter`
 * (JSON over HTTP, `POST <url>`), batched, and flushed by `forceFlush`/`shutdown`.
 * @module
 */
import { ROOT_CONTEXT, trace, type Attributes as OtelAttributes, type HrTime } from "@opentelemetry/api";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { CompressionAlgorithm } from "@opentelemetry/otlp-exporter-base";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type ReadableLogRecord,
} from "@opentelemetry/sdk-logs";
import type { Attributes, LogRecord, LogSink } from "./logger.ts";
import type { OtlpLogsConfig } from "./telemetry-config.ts";

/** Instrumentation scope the records are emitted under. */
const SCOPE = "@kuzu-sync/telemetry";

/** A sink that exports over OTLP, with the SDK's flush and shutdown. */
export interface OtlpLogSink {
  readonly write: LogSink;
  /** Export everything buffered; resolves when the receiver has answered (or the export failed). */
  forceFlush(): Promise<void>;
  /** Flush, then stop: records written afterwards are dropped. Idempotent. */
  shutdown(): Promise<void>;
}

/** Export outcomes, so the caller can report failures (the SDK otherwise only tells its global diag). */
export interface OtlpExportListener {
  onExportFailure(error: Error, records: number): void;
  onExportSuccess(records: number): void;
}

/**
 * Start an OTLP log export with a fixed resource (every record of one telemetry shares it).
 * @example
 * const otlp = createOtlpLogSink(config.otlp, config.resource);
 * const log = createLogger({ serviceName: "sync-server", sink: otlp.write });
 * log.info("started");
 * await otlp.shutdown(); // the record has been POSTed
 */
export function createOtlpLogSink(
  config: OtlpLogsConfig,
  resource: Attributes,
  listener?: OtlpExportListener,
): OtlpLogSink {
  const inner = new OTLPLogExporter({
    url: config.url,
    headers: { ...config.headers },
    // Explicit, so the exporter's own process.env fallback cannot change what the injected env says.
    compression: config.compression === "gzip" ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
    ...(config.timeoutMillis !== undefined ? { timeoutMillis: config.timeoutMillis } : {}),
  });
  const exporter = listener ? observed(inner, listener) : inner;
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(toOtelAttributes(resource)),
    processors: [new BatchLogRecordProcessor({ exporter, ...config.batch })],
  });
  const logger = provider.getLogger(SCOPE);

  let shutdown: Promise<void> | undefined;
  return {
    write: (record) => {
      logger.emit({
        timestamp: hrTime(record.timeUnixNano),
        severityNumber: record.severityNumber,
        severityText: record.severityText,
        body: record.body,
        attributes: toOtelAttributes(record.attributes),
        ...(record.traceId !== undefined && record.spanId !== undefined
          ? {
              context: trace.setSpanContext(ROOT_CONTEXT, {
                traceId: record.traceId,
                spanId: record.spanId,
                traceFlags: record.traceFlags ?? 0,
                isRemote: true,
              }),
            }
          : {}),
      });
    },
    forceFlush: () => (shutdown ? shutdown : provider.forceFlush()),
    shutdown: () => (shutdown ??= provider.shutdown()),
  };
}

function observed(exporter: LogRecordExporter, listener: OtlpExportListener): LogRecordExporter {
  return {
    export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
      exporter.export(records, (result) => {
        if (result.code === ExportResultCode.SUCCESS) listener.onExportSuccess(records.length);
        else listener.onExportFailure(result.error ?? new Error("OTLP log export failed"), records.length);
        done(result);
      });
    },
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
  };
}

/** Our attributes allow `null`; OTLP attributes do not, so null and undefined values are dropped. */
function toOtelAttributes(attributes: Attributes): OtelAttributes {
  const out: OtelAttributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined) continue;
    out[key] = value as OtelAttributes[string];
  }
  return out;
}

function hrTime(timeUnixNano: string): HrTime {
  const ns = BigInt(timeUnixNano);
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}
