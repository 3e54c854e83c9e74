/**
 * @kuzu-sync/telemetry — the logger every package uses (OpenTelemetry log data model, JSON lines,
 * optional OTLP/HTTP export and `LOG_TS_PATH` sink), redaction of sensitive attributes, and DML
 * statistics. Bins start it with {@link createTelemetry}.
 * @module
 */
export { SeverityNumber, createLogger, jsonLinesSink, parseLevel, silentLogger } from "./logger.ts";
export type { AttributeValue, Attributes, Level, LogRecord, LogSink, Logger, LoggerOptions } from "./logger.ts";
export { REDACTED, isParamsAttribute, isSecretAttribute, redactAttributes } from "./redact.ts";
export { TelemetryConfigError, parseTelemetryConfig } from "./telemetry-config.ts";
export type {
  OtlpBatchConfig,
  OtlpLogsConfig,
  TelemetryConfig,
  TelemetryConfigInput,
  TelemetryEnv,
} from "./telemetry-config.ts";
export { loadSinkModule } from "./sink-module.ts";
export type { LoadedSink, SinkExport, SinkFactory, SinkModuleContext, SinkObject } from "./sink-module.ts";
export { createTelemetry } from "./telemetry.ts";
export type { Telemetry, TelemetryOptions } from "./telemetry.ts";
export { DmlStats } from "./dml-stats.ts";
export type { DmlCounts, DmlOutcome, DmlStatsSnapshot, TemplateStats } from "./dml-stats.ts";
