/**
 * @kuzu-sync/telemetry — the logger every package uses, and DML statistics.
 * @module
 */
export { SeverityNumber, createLogger, jsonLinesSink, parseLevel, silentLogger } from "./logger.ts";
export type { AttributeValue, Attributes, Level, LogRecord, LogSink, Logger, LoggerOptions } from "./logger.ts";
export { DmlStats } from "./dml-stats.ts";
export type { DmlCounts, DmlOutcome, DmlStatsSnapshot, TemplateStats } from "./dml-stats.ts";
