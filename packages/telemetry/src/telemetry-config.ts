/**
 * Telemetry configuration: the environment (passed in, never read from `process.env` here) expanded
 * once into a frozen, fully explicit object. Every invalid value throws a {@link TelemetryConfigError}
 * naming the setting.
 *
 * | variable | meaning |
 * | --- | --- |
 * | `LOG_LEVEL` | `debug`, `info` (default), `warn`, `error`, `fatal`; applies to every sink |
 * | `LOG_FORMAT` | `json` (one JSON line per record) or `pretty` (short human lines, resource once); default: `pretty` when stdout is a terminal, else `json` |
 * | `LOG_TS_PATH` | module whose sink replaces the JSON-lines sink (see `sink-module.ts`) |
 * | `OTEL_SERVICE_NAME` | overrides the service name given in code and any `service.name` in `OTEL_RESOURCE_ATTRIBUTES` |
 * | `OTEL_RESOURCE_ATTRIBUTES` | `key=value,…`, values percent-encoded; override the code's resource attributes |
 * | `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` | full URL logs are POSTed to (used as is) |
 * | `OTEL_EXPORTER_OTLP_ENDPOINT` | base URL; `v1/logs` is appended. Setting either endpoint turns OTLP export on |
 * | `OTEL_EXPORTER_OTLP_[LOGS_]HEADERS` | `key=value,…` request headers (e.g. an API key); never echoed in errors |
 * | `OTEL_EXPORTER_OTLP_[LOGS_]TIMEOUT` | per-request timeout in ms |
 * | `OTEL_EXPORTER_OTLP_[LOGS_]COMPRESSION` | `none` (default) or `gzip` |
 * | `OTEL_EXPORTER_OTLP_[LOGS_]PROTOCOL` | `http/json` or `http/protobuf` (JSON is sent either way; OTLP/HTTP receivers accept both); `grpc` is rejected |
 * | `OTEL_BLRP_SCHEDULE_DELAY`, `OTEL_BLRP_EXPORT_TIMEOUT`, `OTEL_BLRP_MAX_QUEUE_SIZE`, `OTEL_BLRP_MAX_EXPORT_BATCH_SIZE` | batch processor tuning |
 * | `OTEL_LOGS_EXPORTER` | `otlp` (default) or `none` |
 * | `OTEL_SDK_DISABLED` | `true` turns OTLP export off |
 *
 * The `-LOGS-` variant of a setting wins over the generic one.
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { SeverityNumber, parseLevel, type Attributes, type Level } from "./logger.ts";
import { ConfigError } from "./settings.ts";

/** The environment, as `process.env` or a plain object a test builds. */
export type TelemetryEnv = Readonly<Record<string, string | undefined>>;

/**
 * An invalid telemetry setting. `setting` is the environment variable (or option) at fault; the
 * message names it, and the bad value unless the value may be a secret (headers).
 * @example
 * try { parseTelemetryConfig({ serviceName: "s", env: { LOG_LEVEL: "loud" } }); }
 * catch (e) { if (e instanceof TelemetryConfigError) e.setting; } // "LOG_LEVEL"
 */
export class TelemetryConfigError extends ConfigError {
  override readonly name: string = "TelemetryConfigError";
  readonly setting: string;

  constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.setting = setting;
  }
}

/** Batch processor tuning; unset fields take the SDK defaults (1000 ms, 30000 ms, 2048, 512). */
export interface OtlpBatchConfig {
  readonly scheduledDelayMillis?: number;
  readonly exportTimeoutMillis?: number;
  readonly maxQueueSize?: number;
  readonly maxExportBatchSize?: number;
}

/** Where and how records are exported over OTLP/HTTP. */
export interface OtlpLogsConfig {
  /** Full URL, including the `/v1/logs` path. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMillis?: number;
  readonly compression: "none" | "gzip";
  readonly batch: OtlpBatchConfig;
}

/** How the default local sink writes records: JSON lines, or short lines for a person. */
export type LogFormat = "json" | "pretty";

/** The expanded configuration. */
export interface TelemetryConfig {
  readonly level: Level;
  /** `LOG_FORMAT`; the default local sink only (a `LOG_TS_PATH` module or an injected sink decides for itself). */
  readonly format: LogFormat;
  /** `service.name`, `service.version`, `service.instance.id` and any `OTEL_RESOURCE_ATTRIBUTES`. */
  readonly resource: Attributes;
  /** Absolute path of the `LOG_TS_PATH` module, if set. */
  readonly sinkPath?: string;
  /** Present when OTLP export is on. */
  readonly otlp?: OtlpLogsConfig;
}

/** What {@link parseTelemetryConfig} needs. */
export interface TelemetryConfigInput {
  readonly serviceName: string;
  readonly serviceVersion?: string;
  /** Defaults to a random UUID (one per process start). */
  readonly instanceId?: string;
  /** Extra resource attributes from code; `OTEL_RESOURCE_ATTRIBUTES` overrides them. */
  readonly resource?: Attributes;
  readonly env: TelemetryEnv;
  /** Overrides `LOG_LEVEL` (for a bin's `--log-level` flag, which should beat the environment). */
  readonly level?: Level;
  /** Base directory for a relative `LOG_TS_PATH`; defaults to `process.cwd()`. */
  readonly cwd?: string;
  /** Whether stdout is a terminal: the default `LOG_FORMAT` is then `pretty` (default false). */
  readonly stdoutIsTTY?: boolean;
}

/**
 * Expand the environment into a frozen {@link TelemetryConfig}.
 * @example
 * const config = parseTelemetryConfig({
 *   serviceName: "sync-server",
 *   env: { LOG_LEVEL: "debug", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" },
 * });
 * config.otlp?.url; // "http://collector:4318/v1/logs"
 */
export function parseTelemetryConfig(input: TelemetryConfigInput): TelemetryConfig {
  const { env } = input;
  const level = input.level ?? parseLevelSetting(env["LOG_LEVEL"]);

  const fromEnv = parseKeyValueList("OTEL_RESOURCE_ATTRIBUTES", env["OTEL_RESOURCE_ATTRIBUTES"], true);
  const serviceName = nonEmpty(env["OTEL_SERVICE_NAME"]);
  const resource: Attributes = Object.freeze({
    "service.name": input.serviceName,
    "service.version": input.serviceVersion ?? "0.1.0",
    "service.instance.id": input.instanceId ?? crypto.randomUUID(),
    ...input.resource,
    ...fromEnv,
    ...(serviceName !== undefined ? { "service.name": serviceName } : {}),
  });

  const sinkPathRaw = nonEmpty(env["LOG_TS_PATH"]);
  const sinkPath =
    sinkPathRaw === undefined
      ? undefined
      : isAbsolute(sinkPathRaw)
        ? sinkPathRaw
        : resolve(input.cwd ?? process.cwd(), sinkPathRaw);

  const otlp = parseOtlp(env);
  return Object.freeze({
    level,
    format: parseFormat(env["LOG_FORMAT"], input.stdoutIsTTY === true),
    resource,
    ...(sinkPath !== undefined ? { sinkPath } : {}),
    ...(otlp !== undefined ? { otlp } : {}),
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === "" ? undefined : v;
}

function parseFormat(value: string | undefined, tty: boolean): LogFormat {
  const v = nonEmpty(value)?.toLowerCase();
  if (v === undefined) return tty ? "pretty" : "json";
  if (v === "json" || v === "pretty") return v;
  throw new TelemetryConfigError("LOG_FORMAT", `LOG_FORMAT=${JSON.stringify(value)} is not one of json, pretty`);
}

function parseLevelSetting(value: string | undefined): Level {
  try {
    return parseLevel(value?.trim());
  } catch (cause) {
    throw new TelemetryConfigError(
      "LOG_LEVEL",
      `LOG_LEVEL=${JSON.stringify(value)} is not one of ${Object.keys(SeverityNumber).join(", ")}`,
      { cause },
    );
  }
}

/**
 * `key=value,key=value` as used by `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS`:
 * entries trimmed, empty entries skipped, values percent-decoded.
 */
function parseKeyValueList(setting: string, raw: string | undefined, echo: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined || raw.trim() === "") return out;
  const entries = raw.split(",");
  entries.forEach((entry, i) => {
    const e = entry.trim();
    if (e === "") return;
    const shown = echo ? ` ${JSON.stringify(e)}` : "";
    const eq = e.indexOf("=");
    if (eq <= 0) {
      throw new TelemetryConfigError(setting, `${setting}: entry ${i + 1}${shown} is not key=value`);
    }
    const key = e.slice(0, eq).trim();
    try {
      out[key] = decodeURIComponent(e.slice(eq + 1).trim());
    } catch (cause) {
      throw new TelemetryConfigError(setting, `${setting}: entry ${i + 1}${shown} has an invalid percent-encoding`, {
        cause,
      });
    }
  });
  return out;
}

function parseOtlp(env: TelemetryEnv): OtlpLogsConfig | undefined {
  if (env["OTEL_SDK_DISABLED"]?.trim().toLowerCase() === "true") return undefined;
  const exporter = nonEmpty(env["OTEL_LOGS_EXPORTER"])?.toLowerCase();
  if (exporter === "none") return undefined;
  if (exporter !== undefined && exporter !== "otlp") {
    throw new TelemetryConfigError(
      "OTEL_LOGS_EXPORTER",
      `OTEL_LOGS_EXPORTER=${JSON.stringify(exporter)} is not supported; use "otlp" or "none"`,
    );
  }

  const url = endpoint(env);
  if (url === undefined) return undefined;

  const [protocolSetting, protocol] = pick(env, "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL");
  if (protocol !== undefined && protocol !== "http/json" && protocol !== "http/protobuf") {
    throw new TelemetryConfigError(
      protocolSetting,
      `${protocolSetting}=${JSON.stringify(protocol)} is not supported: logs are exported over OTLP/HTTP (http/json)`,
    );
  }

  const headers = {
    ...parseKeyValueList("OTEL_EXPORTER_OTLP_HEADERS", env["OTEL_EXPORTER_OTLP_HEADERS"], false),
    ...parseKeyValueList("OTEL_EXPORTER_OTLP_LOGS_HEADERS", env["OTEL_EXPORTER_OTLP_LOGS_HEADERS"], false),
  };
  const [compressionSetting, compression = "none"] = pick(
    env,
    "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
  );
  if (compression !== "none" && compression !== "gzip") {
    throw new TelemetryConfigError(
      compressionSetting,
      `${compressionSetting}=${JSON.stringify(compression)} is not one of none, gzip`,
    );
  }
  const timeoutMillis = positiveInt(...pick(env, "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"));
  const batch: OtlpBatchConfig = {
    ...opt("scheduledDelayMillis", positiveInt("OTEL_BLRP_SCHEDULE_DELAY", env["OTEL_BLRP_SCHEDULE_DELAY"])),
    ...opt("exportTimeoutMillis", positiveInt("OTEL_BLRP_EXPORT_TIMEOUT", env["OTEL_BLRP_EXPORT_TIMEOUT"])),
    ...opt("maxQueueSize", positiveInt("OTEL_BLRP_MAX_QUEUE_SIZE", env["OTEL_BLRP_MAX_QUEUE_SIZE"])),
    ...opt("maxExportBatchSize", positiveInt("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", env["OTEL_BLRP_MAX_EXPORT_BATCH_SIZE"])),
  };
  if (
    batch.maxQueueSize !== undefined &&
    batch.maxExportBatchSize !== undefined &&
    batch.maxExportBatchSize > batch.maxQueueSize
  ) {
    throw new TelemetryConfigError(
      "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE",
      `OTEL_BLRP_MAX_EXPORT_BATCH_SIZE=${batch.maxExportBatchSize} exceeds OTEL_BLRP_MAX_QUEUE_SIZE=${batch.maxQueueSize}`,
    );
  }
  return Object.freeze({
    url,
    headers: Object.freeze(headers),
    ...opt("timeoutMillis", timeoutMillis),
    compression,
    batch: Object.freeze(batch),
  });
}

function endpoint(env: TelemetryEnv): string | undefined {
  const specific = nonEmpty(env["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"]);
  if (specific !== undefined) return httpUrl("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", specific).href;
  const base = nonEmpty(env["OTEL_EXPORTER_OTLP_ENDPOINT"]);
  if (base === undefined) return undefined;
  const url = httpUrl("OTEL_EXPORTER_OTLP_ENDPOINT", base);
  // Spec: the signal path is appended to the base URL's path, keeping any prefix ("/otlp" → "/otlp/v1/logs").
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/logs`;
  return url.href;
}

function httpUrl(setting: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new TelemetryConfigError(setting, `${setting}=${JSON.stringify(value)} is not a valid URL`, { cause });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TelemetryConfigError(
      setting,
      `${setting}=${JSON.stringify(value)} must be an http:// or https:// URL (OTLP/HTTP)`,
    );
  }
  return url;
}

/** The first of the settings that is set (non-empty), as [name, trimmed lowercase value]. */
function pick(env: TelemetryEnv, ...settings: [string, ...string[]]): [string, string | undefined] {
  for (const s of settings) {
    const v = nonEmpty(env[s]);
    if (v !== undefined) return [s, v.toLowerCase()];
  }
  return [settings[0], undefined];
}

function positiveInt(setting: string, value: string | undefined): number | undefined {
  const v = nonEmpty(value);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n <= 0) {
    throw new TelemetryConfigError(setting, `${setting}=${JSON.stringify(value)} is not a positive integer`);
  }
  return n;
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
