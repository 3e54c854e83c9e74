/**
 * Log records as short lines for a person at a terminal (`LOG_FORMAT=pretty`, the default when
 * stdout is a TTY): time, level, message, then the attributes as `key=value`. The resource
 * (service name, version, instance id) is the same on every record, so it is printed once, before
 * the first line, instead of on each one. Machines get JSON lines (`LOG_FORMAT=json`).
 * @module
 */
import { SeverityNumber, type AttributeValue, type LogRecord, type LogSink } from "./logger.ts";

interface Out {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface PrettySinkOptions {
  /** Below WARN (default `process.stdout`). */
  readonly stdout?: Out;
  /** WARN and above (default `process.stderr`). */
  readonly stderr?: Out;
  /** Colours; default: when the stream is a TTY and `NO_COLOR` is not set. */
  readonly color?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const LEVEL_COLOR: Record<string, number> = { DEBUG: 2, INFO: 32, WARN: 33, ERROR: 31, FATAL: 31 };
const BARE = /^[^\s"'\\=]+$/;

/**
 * A sink writing one human-readable line per record (stdout below WARN, stderr from WARN up).
 * @example
 * const log = createLogger({ serviceName: "sync-server", sink: createPrettySink() });
 * log.info("listening", { port: 8080 });
 * // sync-server 0.1.0 · instance 3f2a…
 * // 12:03:04.123 INFO  listening port=8080
 */
export function createPrettySink(options: PrettySinkOptions = {}): LogSink {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  const colorFor = (out: Out) => options.color ?? (out.isTTY === true && (env["NO_COLOR"] ?? "") === "");
  let headerShown = false;
  return (record) => {
    const out = record.severityNumber >= SeverityNumber.warn ? stderr : stdout;
    const color = colorFor(out);
    let text = "";
    if (!headerShown) {
      headerShown = true;
      text += `${paint(formatResource(record.resource), 2, color)}\n`;
    }
    out.write(`${text}${formatPrettyLine(record, color)}\n`);
  };
}

/**
 * One record as a line: local time, level, body, attributes (`key=value`, strings quoted only when
 * needed) and the trace id when there is one.
 * @example formatPrettyLine(record, false) // "12:03:04.123 WARN  NATS connection lost server=nats://a:4222"
 */
export function formatPrettyLine(record: LogRecord, color: boolean): string {
  const t = new Date(record.timestamp);
  const time = `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${String(t.getMilliseconds()).padStart(3, "0")}`;
  const level = paint(record.severityText.padEnd(5), LEVEL_COLOR[record.severityText] ?? 0, color);
  const attrs = Object.entries(record.attributes)
    .filter(([key, value]) => value !== undefined && key !== "traceparent")
    .map(([key, value]) => `${paint(`${key}=`, 2, color)}${formatValue(value)}`);
  if (record.traceId !== undefined) attrs.push(`${paint("trace=", 2, color)}${record.traceId}`);
  return [paint(time, 2, color), level, record.body, ...attrs].join(" ");
}

/** The resource line printed once: `sync-server 0.1.0 · instance 3f2a… · deployment.environment=prod`. */
function formatResource(resource: LogRecord["resource"]): string {
  const { "service.name": name, "service.version": version, "service.instance.id": instance, ...rest } = resource;
  const extra = Object.entries(rest).map(([k, v]) => `${k}=${formatValue(v)}`);
  return [`${String(name)} ${String(version)}`, `instance ${String(instance)}`, ...extra].join(" · ");
}

function formatValue(value: AttributeValue): string {
  if (typeof value === "string") return BARE.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

function paint(text: string, code: number, color: boolean): string {
  return color && code !== 0 ? `\x1b[${code}m${text}\x1b[0m` : text;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
