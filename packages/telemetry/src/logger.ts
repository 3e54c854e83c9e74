/**
 * Structured logger on the OpenTelemetry log data model. Records go to a sink; the default sink
 * writes one JSON line per record (stdout, stderr for WARN and above).
 * @module
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
  readonly traceId?: string;
  readonly spanId?: string;
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

/** Writes each record as one JSON line. */
export const jsonLinesSink: LogSink = (record) => {
  const line = JSON.stringify(record) + "\n";
  if (record.severityNumber >= SeverityNumber.warn) process.stderr.write(line);
  else process.stdout.write(line);
};

/** Parse `LOG_LEVEL`; throws naming the setting on an unknown value. */
export function parseLevel(value: string | undefined, fallback: Level = "info"): Level {
  if (value === undefined || value === "") return fallback;
  const v = value.toLowerCase();
  if (v in SeverityNumber) return v as Level;
  throw new TypeError(`LOG_LEVEL=${JSON.stringify(value)} is not one of ${Object.keys(SeverityNumber).join(", ")}`);
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/**
 * Create a logger.
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
      const attrs = attributes ? { ...bound, ...attributes } : bound;
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
        ...(tp ? { traceId: tp[1], spanId: tp[2] } : {}),
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

/** A logger that drops everything (for libraries used without one). */
export const silentLogger: Logger = createLogger({ serviceName: "silent", level: "fatal", sink: () => {} });
