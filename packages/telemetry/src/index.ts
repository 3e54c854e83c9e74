/**
 * @kuzu-sync/telemetry — the logger every package uses (OpenTelemetry log data model, JSON lines
 * or short human lines on a terminal, optional OTLP/HTTP export and `LOG_TS_PATH` sink), redaction
 * of sensitive attributes, DML statistics, and the settings helpers every bin parses its flags and
 * environment with ({@link ConfigError}). Bins start it with {@link createTelemetry}.
 * @module
 */
export * from "./index.browser.ts";
export { TelemetryConfigError, parseTelemetryConfig } from "./telemetry-config.ts";
export { createPrettySink, formatPrettyLine } from "./pretty-sink.ts";
export type { PrettySinkOptions } from "./pretty-sink.ts";
export { ConfigError, bool, int, natsUrl, oneOf, setting, shown } from "./settings.ts";
export type { Setting, SettingsEnv } from "./settings.ts";
export type {
  LogFormat,
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
