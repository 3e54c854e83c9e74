/**
 * Reading one setting of a bin from its flag or its environment variable, with errors that name
 * it the way the user gave it: `--port abc is not a whole number` for a flag, `PORT="abc" is not a
 * whole number` for the variable. Shared by sync-server and sync-archiver (which may both import
 * telemetry), together with the one {@link ConfigError} and the one NATS URL check.
 * @module
 */

/**
 * A setting was missing or invalid; the message names it (as a flag or a variable, as given).
 * Bins report it as one line and exit 2.
 * @example throw new ConfigError("--port abc is not a whole number");
 */
export class ConfigError extends Error {
  override readonly name: string = "ConfigError";
}

/** One setting's raw value and how the user gave it. */
export interface Setting<V extends string | boolean = string> {
  /** `--port` when the flag was given, else the variable name `PORT`. */
  readonly name: string;
  readonly value: V | undefined;
  readonly fromFlag: boolean;
}

export type SettingsEnv = Readonly<Record<string, string | undefined>>;

/**
 * The flag's value when the flag was given, else the environment variable's.
 * @example setting("--port", flags.port, "PORT", process.env) // { name: "--port", value: "abc", fromFlag: true }
 */
export function setting<V extends string | boolean>(flag: string, flagValue: V | undefined, variable: string, env: SettingsEnv): Setting<V | string> {
  if (flagValue !== undefined) return { name: flag, value: flagValue, fromFlag: true };
  return { name: variable, value: env[variable], fromFlag: false };
}

/**
 * The setting as the user typed it, for a message: `--port abc` (quoted only when needed) or
 * `PORT="abc"`; a number shows bare (`PORT=70000`).
 * @example shown({ name: "--log", value: "kafka", fromFlag: true }) // "--log kafka"
 */
export function shown(s: Setting<string | boolean>, value: unknown = s.value): string {
  const text = typeof value === "number" ? String(value) : JSON.stringify(value);
  if (!s.fromFlag) return `${s.name}=${text}`;
  const raw = String(value);
  return `${s.name} ${/^[\w@%+=:,./-]+$/.test(raw) ? raw : text}`;
}

/**
 * A whole number in `min..max`, or `fallback` when unset (or empty).
 * @example int(setting("--port", flags.port, "PORT", env), 8080, 0, 65535)
 */
export function int(s: Setting<string | boolean>, fallback: number, min: number, max: number): number {
  const value = s.value;
  if (value === undefined || value === "") return fallback;
  if (typeof value !== "string" || !/^\d+$/.test(value)) throw new ConfigError(`${shown(s)} is not a whole number`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`${shown(s, n)} is out of range ${min}..${max}`);
  return n;
}

/**
 * A boolean from a flag (already boolean) or text (1/true/yes/on, 0/false/no/off), or `fallback`.
 * @example bool(setting("--allow-raw-dml", flags["allow-raw-dml"], "ALLOW_RAW_DML", env), false)
 */
export function bool(s: Setting<string | boolean>, fallback: boolean): boolean {
  const value = s.value;
  if (value === undefined || value === "") return fallback;
  if (typeof value === "boolean") return value;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${shown(s)} is not a boolean (true/false)`);
}

/**
 * One of `allowed` (case-insensitive), or `fallback` when unset.
 * @example oneOf(setting("--log", flags.log, "LOG_BACKEND", env), ["embedded", "jetstream"], "embedded")
 */
export function oneOf<T extends string>(s: Setting<string | boolean>, allowed: readonly T[], fallback: T): T {
  const value = s.value;
  if (value === undefined || value === "") return fallback;
  const hit = allowed.find((a) => typeof value === "string" && a === value.toLowerCase());
  if (hit === undefined) throw new ConfigError(`${shown(s)} is not one of ${allowed.join(", ")}`);
  return hit;
}

/**
 * `NATS_URL` / `--nats-url`: comma-separated servers (`nats://host:4222`, scheme optional, `tls`,
 * `ws`, `wss` too, credentials allowed); normalised without spaces, or null when unset.
 * @example natsUrl(setting("--nats-url", "a:4222, nats://b:4222", "NATS_URL", {})) // "a:4222,nats://b:4222"
 */
export function natsUrl(s: Setting<string | boolean>): string | null {
  const value = s.value;
  if (value === undefined || value === true || value === false || value.trim() === "") return null;
  const servers = value.split(",").map((server) => server.trim());
  for (const server of servers) {
    let url: URL | null;
    try {
      url = new URL(server.includes("://") ? server : `nats://${server}`);
    } catch {
      url = null;
    }
    if (url === null || !/^(nats|tls|ws|wss):$/.test(url.protocol) || url.hostname === "") {
      throw new ConfigError(`${shown(s)}: ${JSON.stringify(server)} is not a NATS server URL (nats://host:4222)`);
    }
  }
  return servers.join(",");
}
