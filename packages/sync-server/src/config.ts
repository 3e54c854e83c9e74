/**
 * sync-server configuration: environment and flags parsed once, at the edge, into a frozen object.
 * @module
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseLevel, type Level } from "@kuzu-sync/telemetry";
import { SECURITY_FLAGS, SECURITY_USAGE, parseSecurityConfig, type AuthConfig, type LimitsConfig } from "./security-config.ts";

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** Module exporting a TemplateRegistry (default export or `registry`); example registry when null. */
  readonly templatesPath: string | null;
  readonly logLevel: Level;
  /** Frames larger than this close the socket with 1009. */
  readonly maxMessageBytes: number;
  /** Events larger than this are rejected (EVENT_TOO_LARGE); the socket stays open. */
  readonly maxEventBytes: number;
  readonly allowRawDml: boolean;
  /** Events per catch-up page. */
  readonly pageSize: number;
  /** Refresh the cached snapshot after this many newly applied events; 0: build only on demand. */
  readonly snapshotEveryEvents: number;
  /** Offer a snapshot to clients that would replay at least this many events; 0: never offer. */
  readonly snapshotBootstrapMinEvents: number;
  /** Authentication and allowed origins (see security-config.ts). */
  readonly auth: AuthConfig;
  /** Rate, connection, backpressure and idle limits (see security-config.ts). */
  readonly limits: LimitsConfig;
}

/** A setting was missing or invalid; the message names it. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export const SERVER_USAGE = `Usage: sync-server [options]

Options (each also settable by the environment variable shown):
  --port <n>                PORT               listen port, 0 = any free port (default 8080)
  --host <addr>             HOST               listen address (default 0.0.0.0)
  --data-dir <dir>          DATA_DIR           event log and server replica (default ./data)
  --templates <path>        TEMPLATES_PATH     module exporting the template registry
  --log-level <level>       LOG_LEVEL          debug | info | warn | error (default info)
  --max-message-bytes <n>   MAX_MESSAGE_BYTES  largest frame accepted (default 1048576)
  --max-event-bytes <n>     MAX_EVENT_BYTES    largest event accepted (default 65536)
  --allow-raw-dml           ALLOW_RAW_DML      accept checked raw Cypher writes (default off)
  --snapshot-every <n>      SNAPSHOT_EVERY_EVENTS
                               refresh the served snapshot after n more applied events
                               (default 10000; 0 = build only when asked)
  --snapshot-bootstrap-min <n>  SNAPSHOT_BOOTSTRAP_MIN_EVENTS
                               offer a snapshot to clients that would replay at least n events
                               (default 50000; 0 = only when their history is archived)
  -h, --help                                   show this help
${SECURITY_USAGE}`;

function int(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === "") return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name}=${JSON.stringify(value)} is not a whole number`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`${name}=${n} is out of range ${min}..${max}`);
  return n;
}

function bool(name: string, value: string | boolean | undefined, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  if (typeof value === "boolean") return value;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${name}=${JSON.stringify(value)} is not a boolean (true/false)`);
}

/**
 * @example
 * const config = parseServerConfig(process.argv.slice(2), process.env);
 */
export function parseServerConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ServerConfig | "help" {
  let flags;
  try {
    flags = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        "data-dir": { type: "string" },
        templates: { type: "string" },
        "log-level": { type: "string" },
        "max-message-bytes": { type: "string" },
        "max-event-bytes": { type: "string" },
        "allow-raw-dml": { type: "boolean" },
        "snapshot-every": { type: "string" },
        "snapshot-bootstrap-min": { type: "string" },
        help: { type: "boolean", short: "h" },
        ...SECURITY_FLAGS,
      },
    }).values;
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${SERVER_USAGE}`);
  }
  if (flags.help) return "help";
  const maxMessageBytes = int("MAX_MESSAGE_BYTES", flags["max-message-bytes"] ?? env["MAX_MESSAGE_BYTES"], 1 << 20, 1024, 64 << 20);
  const maxEventBytes = int("MAX_EVENT_BYTES", flags["max-event-bytes"] ?? env["MAX_EVENT_BYTES"], 64 << 10, 256, maxMessageBytes);
  const templates = flags.templates ?? env["TEMPLATES_PATH"];
  let logLevel: Level;
  try {
    logLevel = parseLevel(flags["log-level"] ?? env["LOG_LEVEL"]);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return Object.freeze({
    port: int("PORT", flags.port ?? env["PORT"], 8080, 0, 65535),
    host: flags.host ?? env["HOST"] ?? "0.0.0.0",
    dataDir: resolve(flags["data-dir"] ?? env["DATA_DIR"] ?? "./data"),
    templatesPath: templates ? resolve(templates) : null,
    logLevel,
    maxMessageBytes,
    maxEventBytes,
    allowRawDml: bool("ALLOW_RAW_DML", flags["allow-raw-dml"] ?? env["ALLOW_RAW_DML"], false),
    pageSize: 1000,
    snapshotEveryEvents: int("SNAPSHOT_EVERY_EVENTS", flags["snapshot-every"] ?? env["SNAPSHOT_EVERY_EVENTS"], 10_000, 0, 1_000_000_000),
    snapshotBootstrapMinEvents: int(
      "SNAPSHOT_BOOTSTRAP_MIN_EVENTS",
      flags["snapshot-bootstrap-min"] ?? env["SNAPSHOT_BOOTSTRAP_MIN_EVENTS"],
      50_000,
      0,
      1_000_000_000,
    ),
    ...parseSecurityConfig(flags, env),
  });
}
