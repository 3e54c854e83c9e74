/**
 * sync-server configuration: environment and flags parsed once, at the edge, into a frozen object.
 * @module
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, bool, int, natsUrl, oneOf, setting, shown, type Level, type Setting, type SettingsEnv } from "@kuzu-sync/telemetry";
import { SECURITY_FLAGS, SECURITY_USAGE, parseSecurityConfig, type AuthConfig, type LimitsConfig } from "./security-config.ts";

export { ConfigError };

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
  /** NATS servers (comma-separated URLs) or null; with it every committed event is also published. */
  readonly natsUrl: string | null;
  /** Where events are sequenced and kept: SQLite in DATA_DIR, or a JetStream stream. */
  readonly logBackend: LogBackend;
  /** JetStream stream holding the log (jetstream backend). */
  readonly stream: string;
  /** Replicas of that stream (1, or 3/5 on a NATS cluster). */
  readonly streamReplicas: number;
  /** Refresh the cached snapshot after this many newly applied events; 0: build only on demand. */
  readonly snapshotEveryEvents: number;
  /** Offer a snapshot to clients that would replay at least this many events; 0: never offer. */
  readonly snapshotBootstrapMinEvents: number;
  /** `/health` says `degraded` when the server replica's oldest unapplied event is older than this; 0: never. */
  readonly degradedLagSeconds: number;
  /** Authentication and allowed origins (see security-config.ts). */
  readonly auth: AuthConfig;
  /** Rate, connection, backpressure and idle limits (see security-config.ts). */
  readonly limits: LimitsConfig;
  /**
   * JetStream only: a peer gateway's HTTP(S) base URL to copy the server replica and id index from
   * when the local ones cannot catch up from the stream (see peer-bootstrap.ts); null: refuse instead.
   */
  readonly bootstrapFrom: string | null;
  /**
   * Access token for the peer's `GET /snapshot` and `GET /index-snapshot` when it has auth on
   * (BOOTSTRAP_TOKEN, environment only like AUTH_JWT_SECRET: flags show up in `ps`).
   */
  readonly bootstrapToken: string | null;
}

export type LogBackend = "embedded" | "jetstream";

export const SERVER_USAGE = `Usage: sync-server [options]          run the gateway
       sync-server check [--templates FILE]   check a registry (exit 0 ok, 2 problems); see docs/REGISTRY.md
       sync-server plan [--templates FILE] [--data-dir DIR | --nats-url URL]
                                              what a start would do with the registry's version; changes nothing
       sync-server quarantine --seq N [--reason TEXT] [--data-dir DIR | --nats-url URL]
                                              take a poison event out of service (docs/SECURITY.md)

Options (each also settable by the environment variable shown):
  --port <n>                PORT               listen port, 0 = any free port (default 8080)
  --host <addr>             HOST               listen address (default 0.0.0.0)
  --data-dir <dir>          DATA_DIR           event log and server replica (default ./data)
  --templates <path>        TEMPLATES_PATH     module exporting the template registry
  --log-level <level>       LOG_LEVEL          debug | info | warn | error (default info)
  --max-message-bytes <n>   MAX_MESSAGE_BYTES  largest frame accepted (default 1048576)
  --max-event-bytes <n>     MAX_EVENT_BYTES    largest event accepted (default 65536)
  --allow-raw-dml           ALLOW_RAW_DML      accept checked raw Cypher writes (default off)
  --nats-url <urls>         NATS_URL           NATS servers, comma-separated (nats://host:4222); each
                                               committed event is published on kuzu-sync.events.<TEMPLATE>
  --log <backend>           LOG_BACKEND        embedded (SQLite in the data dir, default) | jetstream
                                               (a JetStream stream shared by any number of gateways;
                                               needs NATS_URL)
  --stream <name>           NATS_STREAM        JetStream stream of the log (default KUZU_SYNC_EVENTS)
  --stream-replicas <n>     NATS_STREAM_REPLICAS  replicas of that stream, 1..5 (default 1)
  --snapshot-every <n>      SNAPSHOT_EVERY_EVENTS
                               refresh the served snapshot after n more applied events
                               (default 10000; 0 = build only when asked)
  --snapshot-bootstrap-min <n>  SNAPSHOT_BOOTSTRAP_MIN_EVENTS
                               offer a snapshot to clients that would replay at least n events
                               (default 50000; 0 = only when their history is archived)
  --degraded-lag <s>        DEGRADED_LAG_SECONDS
                               /health says "degraded" while the server replica's oldest
                               unapplied event is older than s seconds (default 30; 0 = never)
  --bootstrap-from <url>    BOOTSTRAP_FROM     jetstream only: when this gateway's server replica
                                               cannot catch up from the stream (new, or behind
                                               the archive horizon), copy it and the id index from
                                               this peer gateway (http(s)://host:port) first
                            BOOTSTRAP_TOKEN    token for that peer when its authentication is on
                                               (environment only: flags show up in \`ps\`)
  -h, --help                                   show this help
${SECURITY_USAGE}
Logs (environment only): LOG_FORMAT json | pretty (default: pretty on a terminal, else json),
LOG_TS_PATH (a module replacing the local sink), OTEL_EXPORTER_OTLP_ENDPOINT (OTLP/HTTP export),
OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES. Exit codes: 0 stopped, 1 failed, 2 bad settings.
Docs: docs/OPERATIONS.md (every setting), docs/OBSERVABILITY.md (logs).`;

/** The error for a bad command line: the problem and one hint, not the whole help. */
function usageError(error: unknown): ConfigError {
  // parseArgs explains how to pass a positional starting with "-"; sync-server takes none.
  const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, "");
  return new ConfigError(`${message} (see sync-server --help)`);
}

/**
 * @example
 * const config = parseServerConfig(process.argv.slice(2), process.env);
 */
export function parseServerConfig(argv: readonly string[], env: SettingsEnv): ServerConfig | "help" {
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
        "nats-url": { type: "string" },
        log: { type: "string" },
        stream: { type: "string" },
        "stream-replicas": { type: "string" },
        "snapshot-every": { type: "string" },
        "snapshot-bootstrap-min": { type: "string" },
        "degraded-lag": { type: "string" },
        "bootstrap-from": { type: "string" },
        help: { type: "boolean", short: "h" },
        ...SECURITY_FLAGS,
      },
    }).values;
  } catch (error) {
    throw usageError(error);
  }
  if (flags.help) return "help";
  const get = (flag: Exclude<keyof typeof flags, "help">, variable: string) => setting(`--${flag}`, flags[flag], variable, env);
  const maxMessageBytes = int(get("max-message-bytes", "MAX_MESSAGE_BYTES"), 1 << 20, 1024, 64 << 20);
  const maxEventBytes = int(get("max-event-bytes", "MAX_EVENT_BYTES"), 64 << 10, 256, maxMessageBytes);
  const logLevel = oneOf(get("log-level", "LOG_LEVEL"), LEVELS, "info");
  const nats = get("nats-url", "NATS_URL");
  const natsServers = natsUrl(nats);
  const backend = get("log", "LOG_BACKEND");
  const logBackend = oneOf(backend, ["embedded", "jetstream"] as const, "embedded");
  if (logBackend === "jetstream" && natsServers === null) {
    throw new ConfigError(`${shown(backend)} needs --nats-url (NATS_URL): the log is a JetStream stream on that NATS`);
  }
  const streamSetting = get("stream", "NATS_STREAM");
  const stream = typeof streamSetting.value === "string" && streamSetting.value !== "" ? streamSetting.value : "KUZU_SYNC_EVENTS";
  if (!STREAM_NAME.test(stream)) {
    throw new ConfigError(`${shown(streamSetting)} is not a valid stream name (letters, digits, _ and -, at most 64)`);
  }
  return Object.freeze({
    port: int(get("port", "PORT"), 8080, 0, 65535),
    host: text(get("host", "HOST")) ?? "0.0.0.0",
    dataDir: resolve(text(get("data-dir", "DATA_DIR")) ?? "./data"),
    templatesPath: templatesPath(get("templates", "TEMPLATES_PATH")),
    logLevel,
    maxMessageBytes,
    maxEventBytes,
    allowRawDml: bool(get("allow-raw-dml", "ALLOW_RAW_DML"), false),
    pageSize: 1000,
    natsUrl: natsServers,
    logBackend,
    stream,
    streamReplicas: int(get("stream-replicas", "NATS_STREAM_REPLICAS"), 1, 1, 5),
    snapshotEveryEvents: int(get("snapshot-every", "SNAPSHOT_EVERY_EVENTS"), 10_000, 0, 1_000_000_000),
    snapshotBootstrapMinEvents: int(get("snapshot-bootstrap-min", "SNAPSHOT_BOOTSTRAP_MIN_EVENTS"), 50_000, 0, 1_000_000_000),
    degradedLagSeconds: int(get("degraded-lag", "DEGRADED_LAG_SECONDS"), 30, 0, 86_400),
    ...parseSecurityConfig(flags, env),
    ...parseBootstrap(get("bootstrap-from", "BOOTSTRAP_FROM"), env["BOOTSTRAP_TOKEN"], logBackend),
  });
}

const LEVELS: readonly Level[] = ["debug", "info", "warn", "error", "fatal"];

function text(s: Setting<string | boolean>): string | null {
  return typeof s.value === "string" && s.value !== "" ? s.value : null;
}

/** The registry module's absolute path; a missing file stops start-up here, naming the setting as given. */
function templatesPath(s: Setting<string | boolean>): string | null {
  const path = text(s);
  if (path === null) return null;
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new ConfigError(`${shown(s)}: no such file (${absolute})`);
  return absolute;
}

/** `BOOTSTRAP_FROM` (an http(s) base URL, normalised without a trailing slash) and its token. */
function parseBootstrap(s: Setting<string | boolean>, token: string | undefined, logBackend: LogBackend): Pick<ServerConfig, "bootstrapFrom" | "bootstrapToken"> {
  const bootstrapToken = token === undefined || token === "" ? null : token;
  const from = text(s);
  if (from === null || from.trim() === "") {
    // The token's value is never repeated in a message.
    if (bootstrapToken !== null) throw new ConfigError("BOOTSTRAP_TOKEN is set but BOOTSTRAP_FROM is not: the token is only for the peer to bootstrap from");
    return { bootstrapFrom: null, bootstrapToken };
  }
  let url: URL | null;
  try {
    url = new URL(from.trim());
  } catch {
    url = null;
  }
  if (url === null || !/^https?:$/.test(url.protocol) || url.hostname === "" || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new ConfigError(`${shown(s)} is not a peer gateway's http(s) URL (http://host:8080), without query or credentials`);
  }
  if (logBackend !== "jetstream") {
    throw new ConfigError(`${shown(s)} needs --log jetstream (LOG_BACKEND=jetstream): only gateways sharing a stream can bootstrap from a peer`);
  }
  return { bootstrapFrom: url.href.replace(/\/+$/, ""), bootstrapToken };
}

/** JetStream stream names: no dots, wildcards, spaces or path separators. */
const STREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
