/**
 * @kuzu-sync/telemetry in a browser (the `browser` export condition): the logger, redaction and DML
 * statistics, without the OTLP exporter, sink modules and settings parsing of the bins (index.ts).
 * The default sink writes JSON lines to `process.stdout`, which a page has not: a browser app
 * passes a logger with its own `sink`.
 * @module
 */
export { SeverityNumber, createLogger, jsonLinesSink, parseLevel, silentLogger } from "./logger.ts";
export type { AttributeValue, Attributes, Level, LogRecord, LogSink, Logger, LoggerOptions } from "./logger.ts";
export { REDACTED, isParamsAttribute, isSecretAttribute, redactAttributes } from "./redact.ts";
export { DmlStats, formatRate, successRate } from "./dml-stats.ts";
export type { DmlCounts, DmlOutcome, DmlStatsSnapshot, TemplateStats } from "./dml-stats.ts";
