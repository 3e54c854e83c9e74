/**
 * Turning what a person types into template parameters: `key=value` pairs coerced by the
 * template's JSON Schema (`amount=5` is the integer 5 for an integer parameter, `name=5` stays the
 * string "5" for a string one), `key:=<json>` for a literal JSON value, or one JSON object.
 *
 * Coercion only converts text that is a valid literal of the parameter's type. Text that fits
 * none of a parameter's types (`amount=lots` for an integer) is a usage error saying what the
 * parameter takes (`amount: expected integer, got "lots"`): sent as text, the server could only
 * refuse it with a message about strings. Everything else (ranges, lengths, required parameters,
 * unknown ones) is the server's to check: it answers INVALID_PARAMS.
 * @module
 */
import type { WireTemplate } from "@kuzu-sync/protocol";
import { CliError, ExitCode } from "./exit-codes.ts";

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const usage = (message: string) => new CliError(message, ExitCode.USAGE);

/**
 * Split a line like a shell does: whitespace separates words, "double quotes" take \" \\ \n \t
 * escapes, 'single quotes' are literal, a backslash outside quotes escapes the next character.
 * @example tokenize(`CREATE_USER id=u1 name="Alice Smith"`) // ["CREATE_USER", "id=u1", "name=Alice Smith"]
 */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === " " || c === "\t") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw usage(`unterminated ' quote in: ${line}`);
      word += line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === "\\" && j + 1 < line.length) {
          const e = line[++j]!;
          word += e === "n" ? "\n" : e === "t" ? "\t" : e;
        } else {
          word += line[j];
        }
      }
      if (j >= line.length) throw usage(`unterminated " quote in: ${line}`);
      i = j;
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** JSON Schema types a schema admits (`type`, `anyOf`/`oneOf`/`allOf`, `enum`, `const`). */
export function schemaTypes(schema: unknown): Set<string> {
  const out = new Set<string>();
  if (!isRecord(schema)) return out;
  const type = schema["type"];
  if (typeof type === "string") out.add(type);
  else if (Array.isArray(type)) for (const t of type) if (typeof t === "string") out.add(t);
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const list = schema[key];
    if (Array.isArray(list)) for (const sub of list) for (const t of schemaTypes(sub)) out.add(t);
  }
  const values = Array.isArray(schema["enum"]) ? (schema["enum"] as unknown[]) : "const" in schema ? [schema["const"]] : [];
  for (const v of values) out.add(v === null ? "null" : Number.isInteger(v) ? "integer" : typeof v);
  return out;
}

/** The schema of one parameter of a template, if the template declares it. */
export function paramSchema(template: WireTemplate | undefined, name: string): unknown {
  const schema = template?.paramsJsonSchema;
  if (!isRecord(schema)) return undefined;
  const props = schema["properties"];
  return isRecord(props) && Object.hasOwn(props, name) ? props[name] : undefined;
}

/**
 * The value `raw` stands for, given the parameter's schema. A parameter that admits strings keeps
 * the text as it is; an unknown parameter too (the server will say it is unknown). Text that fits
 * none of the parameter's types is a usage error naming them.
 * @example coerceValue("5", { type: "integer" }) // 5
 * @example coerceValue("5", { type: "string" })  // "5"
 * @example coerceValue("lots", { type: "integer" }, "amount") // throws: amount: expected integer, got "lots"
 */
export function coerceValue(raw: string, schema: unknown, name = "value"): unknown {
  const types = schemaTypes(schema);
  if (types.size === 0 || types.has("string")) return raw;
  if (types.has("integer") && INTEGER.test(raw)) return Number(raw);
  if (types.has("number") && NUMBER.test(raw)) return Number(raw);
  if (types.has("boolean") && (raw === "true" || raw === "false")) return raw === "true";
  if (types.has("null") && raw === "null") return null;
  if (types.has("object") || types.has("array")) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if ((types.has("array") && Array.isArray(parsed)) || (types.has("object") && isRecord(parsed))) return parsed;
    } catch {
      // Not JSON: reported below.
    }
  }
  if (types.size === 0) return raw;
  throw usage(`${name}: expected ${[...types].map((t) => TYPE_WORDS[t] ?? t).join(" or ")}, got ${JSON.stringify(raw)}`);
}

const TYPE_WORDS: Readonly<Record<string, string>> = { boolean: "true or false", object: "a JSON object", array: "a JSON array" };

/**
 * Parameters from `key=value` / `key:=json` words, on top of an optional JSON object.
 * Throws a usage CliError for malformed input.
 * @example parseParams(["counterId=c1", "amount=5"], template) // { counterId: "c1", amount: 5 }
 */
export function parseParams(words: readonly string[], template: WireTemplate | undefined, json?: string): Record<string, unknown> {
  const params: Record<string, unknown> = json === undefined ? {} : parseJsonObject(json);
  const seen = new Set<string>();
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq <= 0) throw usage(`expected key=value (or key:=json), got ${JSON.stringify(word)}`);
    const literal = word[eq - 1] === ":";
    const key = word.slice(0, literal ? eq - 1 : eq);
    const raw = word.slice(eq + 1);
    if (!KEY.test(key)) throw usage(`${JSON.stringify(key)} is not a parameter name (letters, digits, _)`);
    if (seen.has(key)) throw usage(`parameter ${key} is given twice`);
    seen.add(key);
    if (literal) {
      try {
        params[key] = JSON.parse(raw);
      } catch (error) {
        throw usage(`${key}:= needs a JSON value: ${(error as Error).message}`);
      }
    } else {
      params[key] = coerceValue(raw, paramSchema(template, key), key);
    }
  }
  return params;
}

/** Parse text that must be one JSON object. */
export function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw usage(`parameters are not valid JSON: ${(error as Error).message}`);
  }
  if (!isRecord(value)) throw usage("parameters must be a JSON object, like {\"id\":\"u1\"}");
  return value;
}

/** One parameter of a template: name, JSON Schema types, whether it is required, its default. */
export interface ParamInfo {
  readonly name: string;
  readonly types: readonly string[];
  readonly required: boolean;
  readonly default?: unknown;
}

/**
 * A template's parameters, in declaration order.
 * @example paramInfo(incrementCounter) // [{ name: "counterId", types: ["string"], required: true }, { name: "amount", types: ["integer"], required: false, default: 1 }]
 */
export function paramInfo(template: WireTemplate): ParamInfo[] {
  const required = new Set(template.required);
  return template.paramNames.map((name) => {
    const schema = paramSchema(template, name);
    return { name, types: [...schemaTypes(schema)], required: required.has(name), ...(isRecord(schema) && "default" in schema ? { default: schema["default"] } : {}) };
  });
}

/**
 * A template's parameters as a short signature; required ones are marked with `*`.
 * @example describeParams(incrementCounter) // "counterId*: string, amount: integer = 1"
 */
export function describeParams(template: WireTemplate): string {
  return paramInfo(template)
    .map((p) => `${p.name}${p.required ? "*" : ""}: ${p.types.length ? p.types.join(" | ") : "any"}${"default" in p ? ` = ${JSON.stringify(p.default)}` : ""}`)
    .join(", ");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
