/**
 * sync-archiver settings: environment and flags parsed once, at the edge, into frozen objects.
 * An invalid value stops the command with a message naming the setting.
 * @module
 */
import { join, resolve } from "node:path";
import { parseLevel, type Level } from "@kuzu-sync/telemetry";
import type { S3Settings } from "./archive-store.ts";
import { parseDuration } from "./duration.ts";

/** A setting was missing or invalid; the message names it. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

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

function bool(name: string, value: string | boolean | undefined, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  if (typeof value === "boolean") return value;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${name}=${JSON.stringify(value)} is not a boolean (true/false)`);
}

/**
 * @example
 * const config = parseArchiverConfig(program.opts(), process.env);
 */
export function parseArchiverConfig(flags: GlobalFlags, env: Env): ArchiverConfig {
  const kind = flags.log ?? env["LOG_BACKEND"] ?? "embedded";
  let log: LogSettings;
  if (kind === "embedded") {
    const dataDir = resolve(flags.dataDir ?? env["DATA_DIR"] ?? "./data");
    log = { kind, dataDir, path: join(dataDir, "events.sqlite") };
  } else if (kind === "jetstream") {
    const natsUrl = flags.natsUrl ?? env["NATS_URL"];
    if (!natsUrl) throw new ConfigError("NATS_URL (or --nats-url) is required with --log jetstream");
    for (const server of natsUrl.split(",")) {
      // [scheme://][user:pass@]host[:port], as the nats client takes it.
      if (!/^((nats|tls|ws|wss):\/\/)?([^\s/@]+@)?[^\s/:@]+(:\d{1,5})?\/?$/.test(server.trim())) throw new ConfigError(`NATS_URL=${JSON.stringify(natsUrl)}: ${JSON.stringify(server)} is not a NATS server URL like nats://host:4222`);
    }
    // The gateways' default (sync-server --stream): archiver and gateways must name the same stream.
    const stream = flags.stream ?? env["NATS_STREAM"] ?? "KUZU_SYNC_EVENTS";
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream)) throw new ConfigError(`NATS_STREAM=${JSON.stringify(stream)} (--stream) is not a stream name (letters, digits, _ and -, at most 64)`);
    const stale = flags.replicaStaleAfter ?? env["REPLICA_STALE_AFTER"] ?? "7d";
    const replicaStaleAfterMs = parseDuration(stale);
    if (replicaStaleAfterMs === null || replicaStaleAfterMs < 60_000) {
      throw new ConfigError(`REPLICA_STALE_AFTER=${JSON.stringify(stale)} (--replica-stale-after) must be a duration of at least 1m, like 7d or 12h`);
    }
    log = { kind, natsUrl, stream, replicaStaleAfterMs };
  } else {
    throw new ConfigError(`LOG_BACKEND=${JSON.stringify(kind)} (--log) is not one of embedded, jetstream`);
  }

  const bucket = flags.s3Bucket ?? env["S3_BUCKET"];
  if (!bucket) throw new ConfigError("S3_BUCKET (or --s3-bucket) is required");
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ConfigError(`S3_BUCKET=${JSON.stringify(bucket)} is not a valid bucket name`);
  const endpoint = flags.s3Endpoint ?? env["S3_ENDPOINT"] ?? null;
  if (endpoint !== null) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new ConfigError(`S3_ENDPOINT=${JSON.stringify(endpoint)} is not a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError(`S3_ENDPOINT=${JSON.stringify(endpoint)} must be http(s)`);
  }
  const accessKeyId = env["AWS_ACCESS_KEY_ID"];
  const secretAccessKey = env["AWS_SECRET_ACCESS_KEY"];
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new ConfigError("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together (or neither, for the SDK's default credential chain)");
  }
  let logLevel: Level;
  try {
    logLevel = parseLevel(flags.logLevel ?? env["LOG_LEVEL"], "warn");
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return Object.freeze({
    log: Object.freeze(log),
    s3: Object.freeze({
      endpoint,
      bucket,
      region: flags.s3Region ?? env["S3_REGION"] ?? "us-east-1",
      // Custom endpoints (MinIO, s3rver) usually need path-style addressing; AWS itself does not.
      forcePathStyle: bool("S3_FORCE_PATH_STYLE", flags.s3ForcePathStyle ?? env["S3_FORCE_PATH_STYLE"], endpoint !== null),
      credentials: accessKeyId && secretAccessKey ? Object.freeze({ accessKeyId, secretAccessKey }) : null,
    }),
    logLevel,
  });
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
  if (olderThanMs === null) throw new ConfigError(`--older-than ${JSON.stringify(olderThan)} is not a duration like 30d, 12h, 15m or 0s`);
  const seg = flags.segmentEvents ?? "10000";
  if (!/^\d+$/.test(seg) || Number(seg) < 1 || Number(seg) > 1_000_000) throw new ConfigError(`--segment-events ${JSON.stringify(seg)} must be a whole number in 1..1000000`);
  return Object.freeze({ olderThanMs, dryRun: flags.dryRun ?? false, segmentEvents: Number(seg) });
}

/** A `--from-seq`/`--to-seq` value. */
export function parseSeq(name: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1) throw new ConfigError(`${name} ${JSON.stringify(value)} must be a seq (a whole number ≥ 1)`);
  return Number(value);
}
