/**
 * sync-archiver settings: environment and flags parsed once, at the edge, into frozen objects.
 * An invalid value stops the command with a message naming the setting.
 * @module
 */
import { join, resolve } from "node:path";
import { ConfigError, bool, natsUrl, oneOf, setting, shown, type Level, type Setting } from "@kuzu-sync/telemetry";
import type { S3Settings } from "./archive-store.ts";
import { parseDuration } from "./duration.ts";

export { ConfigError };

export type Env = Readonly<Record<string, string | undefined>>;

/** Where the hot log is. */
export type LogSettings =
  | { readonly kind: "embedded"; readonly dataDir: string; readonly path: string }
  | {
      readonly kind: "jetstream";
      readonly natsUrl: string;
      readonly stream: string;
      /** A gateway whose replica position is older than this is treated as gone (not a purge limit). */
      readonly replicaStaleAfterMs: number;
    };

export interface ArchiverConfig {
  readonly log: LogSettings;
  readonly s3: S3Settings;
  readonly logLevel: Level;
}

/** Global flags as commander hands them over (each overrides its environment variable). */
export interface GlobalFlags {
  readonly dataDir?: string;
  readonly log?: string;
  readonly natsUrl?: string;
  readonly stream?: string;
  readonly replicaStaleAfter?: string;
  readonly s3Endpoint?: string;
  readonly s3Bucket?: string;
  readonly s3Region?: string;
  readonly s3ForcePathStyle?: string | boolean;
  readonly logLevel?: string;
}

/**
 * @example
 * const config = parseArchiverConfig(program.opts(), process.env);
 */
export function parseArchiverConfig(flags: GlobalFlags, env: Env): ArchiverConfig {
  const backend = setting("--log", flags.log, "LOG_BACKEND", env);
  const kind = oneOf(backend, ["embedded", "jetstream"] as const, "embedded");
  let log: LogSettings;
  if (kind === "embedded") {
    const dataDir = resolve(text(setting("--data-dir", flags.dataDir, "DATA_DIR", env)) ?? "./data");
    log = { kind, dataDir, path: join(dataDir, "events.sqlite") };
  } else {
    const natsServers = natsUrl(setting("--nats-url", flags.natsUrl, "NATS_URL", env));
    if (natsServers === null) throw new ConfigError(`${shown(backend)} needs --nats-url (NATS_URL)`);
    // The gateways' default (sync-server --stream): archiver and gateways must name the same stream.
    const streamSetting = setting("--stream", flags.stream, "NATS_STREAM", env);
    const stream = text(streamSetting) ?? "KUZU_SYNC_EVENTS";
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream)) throw new ConfigError(`${shown(streamSetting)} is not a stream name (letters, digits, _ and -, at most 64)`);
    const staleSetting = setting("--replica-stale-after", flags.replicaStaleAfter, "REPLICA_STALE_AFTER", env);
    const stale = text(staleSetting) ?? "7d";
    const replicaStaleAfterMs = parseDuration(stale);
    if (replicaStaleAfterMs === null || replicaStaleAfterMs < 60_000) {
      throw new ConfigError(`${shown(staleSetting, stale)} must be a duration of at least 1m, like 7d or 12h`);
    }
    log = { kind, natsUrl: natsServers, stream, replicaStaleAfterMs };
  }

  const bucketSetting = setting("--s3-bucket", flags.s3Bucket, "S3_BUCKET", env);
  const bucket = text(bucketSetting);
  if (bucket === null) throw new ConfigError("S3_BUCKET (or --s3-bucket) is required");
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ConfigError(`${shown(bucketSetting)} is not a valid bucket name`);
  const endpointSetting = setting("--s3-endpoint", flags.s3Endpoint, "S3_ENDPOINT", env);
  const endpoint = text(endpointSetting);
  if (endpoint !== null) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new ConfigError(`${shown(endpointSetting)} is not a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError(`${shown(endpointSetting)} must be http(s)`);
  }
  const accessKeyId = env["AWS_ACCESS_KEY_ID"];
  const secretAccessKey = env["AWS_SECRET_ACCESS_KEY"];
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new ConfigError("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together (or neither, for the SDK's default credential chain)");
  }
  const logLevel = oneOf(setting("--log-level", flags.logLevel, "LOG_LEVEL", env), LEVELS, "warn");
  return Object.freeze({
    log: Object.freeze(log),
    s3: Object.freeze({
      endpoint,
      bucket,
      region: text(setting("--s3-region", flags.s3Region, "S3_REGION", env)) ?? "us-east-1",
      // Custom endpoints (MinIO, s3rver) usually need path-style addressing; AWS itself does not.
      forcePathStyle: bool(setting("--s3-force-path-style", flags.s3ForcePathStyle, "S3_FORCE_PATH_STYLE", env), endpoint !== null),
      credentials: accessKeyId && secretAccessKey ? Object.freeze({ accessKeyId, secretAccessKey }) : null,
    }),
    logLevel,
  });
}

const LEVELS: readonly Level[] = ["debug", "info", "warn", "error", "fatal"];

function text(s: Setting<string | boolean>): string | null {
  return typeof s.value === "string" && s.value !== "" ? s.value : null;
}

/** `run` options. */
export interface RunSettings {
  readonly olderThanMs: number;
  readonly dryRun: boolean;
  readonly segmentEvents: number;
}

export function parseRunSettings(flags: { olderThan?: string; dryRun?: boolean; segmentEvents?: string }): RunSettings {
  const olderThan = flags.olderThan ?? "30d";
  const olderThanMs = parseDuration(olderThan);
  if (olderThanMs === null) throw new ConfigError(`${flagShown("--older-than", olderThan)} is not a duration like 30d, 12h, 15m or 0s`);
  const seg = flags.segmentEvents ?? "10000";
  if (!/^\d+$/.test(seg) || Number(seg) < 1 || Number(seg) > 1_000_000) throw new ConfigError(`${flagShown("--segment-events", seg)} must be a whole number in 1..1000000`);
  return Object.freeze({ olderThanMs, dryRun: flags.dryRun ?? false, segmentEvents: Number(seg) });
}

/** A `--from-seq`/`--to-seq` value. */
export function parseSeq(name: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1) throw new ConfigError(`${flagShown(name, value)} must be a seq (a whole number ≥ 1)`);
  return Number(value);
}

/** A flag as typed, for a message: `--older-than soon`. */
function flagShown(flag: string, value: string): string {
  return shown({ name: flag, value, fromFlag: true });
}
