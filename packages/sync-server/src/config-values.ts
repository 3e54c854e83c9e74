/**
 * Reading one setting from a flag or the environment: whole numbers and booleans, with errors
 * that name the setting. Shared by every part of the server's configuration.
 * @module
 */

/** A setting was missing or invalid; the message names it. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * A whole number in `min..max`, or `fallback` when unset.
 * @example int("PORT", env["PORT"], 8080, 0, 65535)
 */
export function int(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === "") return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name}=${JSON.stringify(value)} is not a whole number`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`${name}=${n} is out of range ${min}..${max}`);
  return n;
}

/**
 * A boolean from a flag (already boolean) or text (1/true/yes/on, 0/false/no/off), or `fallback`.
 * @example bool("ALLOW_RAW_DML", env["ALLOW_RAW_DML"])
 */
export function bool(name: string, value: string | boolean | undefined, fallback = false): boolean {
  if (value === undefined || value === "") return fallback;
  if (typeof value === "boolean") return value;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${name}=${JSON.stringify(value)} is not a boolean (true/false)`);
}
