/**
 * sync-server configuration: environment and flags parsed once, at the edge, into a frozen object.
 * @module
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseLevel, type Level } from "@kuzu-sync/telemetry";
import { SECURITY_FLAGS, SECURITY_USAGE, parseSecurityConfig, type AuthConfig, type LimitsConfig } from "./security-config.ts";
import { ConfigError, bool, int } from "./config-values.ts";

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
  --bootstrap-from <url>    BOOTSTRAP_FROM     jetstream only: when this gateway's server replica
                                               cannot catch up from the stream (new, or behind
                                               the archive horizon), copy it and the id index from
                                               this peer gateway (http(s)://host:port) first
                            BOOTSTRAP_TOKEN    token for that peer when its authentication is on
                                               (environment only: flags show up in \`ps\`)
  -h, --help                                   show this help
${SECURITY_USAGE}`;

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
        "nats-url": { type: "string" },
        log: { type: "string" },
        stream: { type: "string" },
        "stream-replicas": { type: "string" },
        "snapshot-every": { type: "string" },
        "snapshot-bootstrap-min": { type: "string" },
        "bootstrap-from": { type: "string" },
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
  const natsUrl = parseNatsUrl(flags["nats-url"] ?? env["NATS_URL"]);
  const logBackend = flags.log ?? env["LOG_BACKEND"] ?? "embedded";
  if (logBackend !== "embedded" && logBackend !== "jetstream") {
    throw new ConfigError(`LOG_BACKEND=${JSON.stringify(logBackend)} is not one of embedded, jetstream`);
  }
  if (logBackend === "jetstream" && natsUrl === null) {
    throw new ConfigError("LOG_BACKEND=jetstream needs NATS_URL (or --nats-url): the log is a JetStream stream on that NATS");
  }
  const stream = flags.stream ?? env["NATS_STREAM"] ?? "KUZU_SYNC_EVENTS";
  if (!STREAM_NAME.test(stream)) {
    throw new ConfigError(`NATS_STREAM=${JSON.stringify(stream)} is not a valid stream name (letters, digits, _ and -, at most 64)`);
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
    natsUrl,
    logBackend,
    stream,
    streamReplicas: int("NATS_STREAM_REPLICAS", flags["stream-replicas"] ?? env["NATS_STREAM_REPLICAS"], 1, 1, 5),
    snapshotEveryEvents: int("SNAPSHOT_EVERY_EVENTS", flags["snapshot-every"] ?? env["SNAPSHOT_EVERY_EVENTS"], 10_000, 0, 1_000_000_000),
    snapshotBootstrapMinEvents: int(
      "SNAPSHOT_BOOTSTRAP_MIN_EVENTS",
      flags["snapshot-bootstrap-min"] ?? env["SNAPSHOT_BOOTSTRAP_MIN_EVENTS"],
      50_000,
      0,
      1_000_000_000,
    ),
    ...parseSecurityConfig(flags, env),
    ...parseBootstrap(flags["bootstrap-from"] ?? env["BOOTSTRAP_FROM"], env["BOOTSTRAP_TOKEN"], logBackend),
  });
}

/** `BOOTSTRAP_FROM` (an http(s) base URL, normalised without a trailing slash) and its token. */
function parseBootstrap(from: string | undefined, token: string | undefined, logBackend: LogBackend): Pick<ServerConfig, "bootstrapFrom" | "bootstrapToken"> {
  const bootstrapToken = token === undefined || token === "" ? null : token;
  if (from === undefined || from.trim() === "") {
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
    throw new ConfigError(`BOOTSTRAP_FROM=${JSON.stringify(from)} is not a peer gateway's http(s) URL (http://host:8080), without query or credentials`);
  }
  if (logBackend !== "jetstream") {
    throw new ConfigError(`BOOTSTRAP_FROM=${JSON.stringify(from)} needs LOG_BACKEND=jetstream (--log jetstream): only gateways sharing a stream can bootstrap from a peer`);
  }
  return { bootstrapFrom: url.href.replace(/\/+$/, ""), bootstrapToken };
}

/** JetStream stream names: no dots, wildcards, spaces or path separators. */
const STREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** `NATS_URL`: comma-separated `nats://host:port` (scheme optional); normalised, or null when unset. */
function parseNatsUrl(value: string | undefined): string | null {
  if (value === undefined || value.trim() === "") return null;
  const servers = value.split(",").map((s) => s.trim());
  for (const server of servers) {
    let url: URL | null = null;
    try {
      url = new URL(server.includes("://") ? server : `nats://${server}`);
    } catch {
      url = null;
    }
    if (url === null || !/^(nats|tls|ws|wss):$/.test(url.protocol) || url.hostname === "") {
      throw new ConfigError(`NATS_URL=${JSON.stringify(value)}: ${JSON.stringify(server)} is not a NATS server URL (nats://host:4222)`);
    }
  }
  return servers.join(",");
}
