/**
 * Structured logger on the OpenTelemetry log data model. Records go to a sink; the default sink
 * writes one JSON line per record (stdout, stderr for WARN and above). Sensitive attributes are
 * redacted before the sink sees them (see `redact.ts`).
 * @module
 */
import { redactAttributes } from "./redact.ts";

/**
 * OpenTelemetry severity numbers for the levels this logger emits.
 * @example
 * SeverityNumber.warn; // 13
 */
export const SeverityNumber = { debug: 5, info: 9, warn: 13, error: 17, fatal: 21 } as const;
export type Level = keyof typeof SeverityNumber;

export type AttributeValue = string | number | boolean | null | undefined | readonly (string | number | boolean)[];
export type Attributes = Readonly<Record<string, AttributeValue>>;

/** One record, shaped like the OpenTelemetry log data model. */
export interface LogRecord {
  readonly timestamp: string;
  readonly timeUnixNano: string;
  readonly severityText: Uppercase<Level>;
  readonly severityNumber: number;
  readonly body: string;
  readonly attributes: Attributes;
  readonly resource: Attributes;
  /** From a valid W3C `traceparent` attribute: 32 lowercase hex digits. */
  readonly traceId?: string;
  /** From a valid W3C `traceparent` attribute: 16 lowercase hex digits. */
  readonly spanId?: string;
  /** From a valid W3C `traceparent` attribute: the trace-flags byte (1 = sampled). */
  readonly traceFlags?: number;
}

export type LogSink = (record: LogRecord) => void;

export interface Logger {
  debug(body: string, attributes?: Attributes): void;
  info(body: string, attributes?: Attributes): void;
  warn(body: string, attributes?: Attributes): void;
  error(body: string, attributes?: Attributes): void;
  /** A logger that adds `attributes` to every record. */
  child(attributes: Attributes): Logger;
  isEnabled(level: Level): boolean;
}

export interface LoggerOptions {
  readonly serviceName: string;
  readonly serviceVersion?: string;
  readonly instanceId?: string;
  readonly level?: Level;
  readonly sink?: LogSink;
  readonly resource?: Attributes;
}

interface Stdio {
  readonly stdout: { write(line: string): unknown };
  readonly stderr: { write(line: string): unknown };
}

/** Bun's `process`; a browser page has none (it is looked up, not assumed, for that reason). */
const stdio = (globalThis as { readonly process?: Stdio }).process;

/**
 * The default sink: each record as one JSON line, on stdout below WARN and on stderr from WARN up.
 * In a browser, which has neither, the same lines go to the console (its only standard output).
 * @example
 * const log = createLogger({ serviceName: "sync-client", sink: jsonLinesSink });
 * log.warn("reconnecting"); // stderr: {"timestamp":"…","severityText":"WARN",…}
 */
export const jsonLinesSink: LogSink = (record) => {
  const line = JSON.stringify(record);
  const warn = record.severityNumber >= SeverityNumber.warn;
  if (stdio === undefined) (warn ? console.warn : console.info)(line);
  else if (warn) stdio.stderr.write(line + "\n");
  else stdio.stdout.write(line + "\n");
};

/**
 * Parse `LOG_LEVEL` (case-insensitive); empty or missing gives `fallback`; throws naming the setting
 * on an unknown value.
 * @example
 * parseLevel("WARN"); // "warn"
 * parseLevel(undefined, "debug"); // "debug"
 */
export function parseLevel(value: string | undefined, fallback: Level = "info"): Level {
  if (value === undefined || value === "") return fallback;
  const v = value.toLowerCase();
  if (v in SeverityNumber) return v as Level;
  throw new TypeError(`LOG_LEVEL=${JSON.stringify(value)} is not one of ${Object.keys(SeverityNumber).join(", ")}`);
}

// W3C Trace Context: version (not ff) - trace-id - parent-id - flags; all-zero ids are invalid.
const TRACEPARENT = /^(?!ff)[0-9a-f]{2}-(?!0{32})([0-9a-f]{32})-(?!0{16})([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Create a logger. Attributes named like secrets or parameter values are redacted (see
 * {@link redactAttributes}); a `traceparent` attribute fills `traceId`, `spanId` and `traceFlags`.
 * @example
 * const log = createLogger({ serviceName: "sync-server", level: "debug" });
 * log.info("listening", { port: 8080 });
 */
export function createLogger(options: LoggerOptions): Logger {
  const resource: Attributes = Object.freeze({
    "service.name": options.serviceName,
    "service.version": options.serviceVersion ?? "0.1.0",
    "service.instance.id": options.instanceId ?? crypto.randomUUID(),
    ...options.resource,
  });
  const min = SeverityNumber[options.level ?? "info"];
  const sink = options.sink ?? jsonLinesSink;

  const make = (bound: Attributes): Logger => {
    const emit = (level: Level, body: string, attributes?: Attributes): void => {
      const severityNumber = SeverityNumber[level];
      if (severityNumber < min) return;
      const attrs = redactAttributes(attributes ? { ...bound, ...attributes } : bound, severityNumber);
      const now = Date.now();
      const tp = typeof attrs["traceparent"] === "string" ? TRACEPARENT.exec(attrs["traceparent"]) : null;
      const record: LogRecord = {
        timestamp: new Date(now).toISOString(),
        timeUnixNano: `${now}000000`,
        severityText: level.toUpperCase() as Uppercase<Level>,
        severityNumber,
        body,
        attributes: attrs,
        resource,
        ...(tp ? { traceId: tp[1], spanId: tp[2], traceFlags: Number.parseInt(tp[3] ?? "0", 16) } : {}),
      };
      try {
        sink(record);
      } catch {
        // A broken sink must never take the process down with it.
      }
    };
    return {
      debug: (b, a) => emit("debug", b, a),
      info: (b, a) => emit("info", b, a),
      warn: (b, a) => emit("warn", b, a),
      error: (b, a) => emit("error", b, a),
      child: (a) => make({ ...bound, ...a }),
      isEnabled: (level) => SeverityNumber[level] >= min,
    };
  };
  return make({});
}

/**
 * A logger that drops everything (for libraries used without one).
 * @example
 * function openReplica(options: { logger?: Logger }) { const log = options.logger ?? silentLogger; }
 */
export const silentLogger: Logger = createLogger({ serviceName: "silent", level: "fatal", sink: () => {} });
