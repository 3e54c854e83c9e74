/**
 * Template registry: the only writes a replica ever runs. Each template is a fixed Cypher text
 * with a parameter schema; parameters are bound through `prepare()`, never spliced into text.
 * @module
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { checkAggregates, type AggregateDefinition, type WireAggregate } from "./aggregates.ts";
import { ErrorCode } from "./errors.ts";
import { RAW_DML_TEMPLATE } from "./raw-dml-event.ts";

/** How one template is declared by a deployment. */
export interface TemplateDefinition<Shape extends z.ZodRawShape = z.ZodRawShape> {
  /** Parameter schema as a zod shape; unknown keys are rejected. */
  readonly params: Shape;
  /**
   * Cypher for one event, parameters as `$name`: one statement, or a short list of statements run
   * in order in the event's transaction (see {@link CypherText}). Must be deterministic (no now(),
   * rand(), uuid).
   */
  readonly cypher: CypherText;
  /**
   * Optional set-at-a-time form: `UNWIND $rows AS r …` reading `r.<param>`, one statement or a
   * short list. A replica runs it for a group of events of this template that touch no common
   * entity (see docs/BATCH-FORMS.md), so it must leave exactly what the single form, run once per
   * row in any order, leaves, and fail whenever one of those runs would. Rows never repeat the
   * `keys` values either (Kuzu gives wrong results for MERGE on one key twice inside one UNWIND).
   */
  readonly batch?: BatchForm;
  readonly description?: string;
}

/**
 * A template's Cypher: one statement, or a list of at most {@link MAX_TEMPLATE_STATEMENTS} run in
 * order in one transaction (for forms Kuzu 0.11 cannot write as one fast statement). Each
 * statement is prepared on its own and gets only the parameters it names. A single statement
 * stays a plain string on the wire, so registries without lists keep their hash.
 */
export type CypherText = string | readonly string[];

/** Longest statement list a template (single or batch form) may have. */
export const MAX_TEMPLATE_STATEMENTS = 4;

/**
 * The statements of a {@link CypherText}, in order.
 * @example cypherStatements(["MERGE (p:Post {id: $id})", "MATCH …"]).length // 2
 */
export function cypherStatements(text: CypherText): readonly string[] {
  return typeof text === "string" ? [text] : text;
}

/** The set-at-a-time form of a template (see {@link TemplateDefinition.batch}). */
export interface BatchForm {
  readonly cypher: CypherText;
  readonly keys: readonly string[];
}

export interface RegistryDefinition {
  /** DDL run once on a fresh replica, in order. */
  readonly schema: readonly string[];
  readonly templates: Readonly<Record<string, TemplateDefinition>>;
  /** Numbers the gateway maintains as events commit (see `aggregates.ts`), by name. */
  readonly aggregates?: Readonly<Record<string, AggregateDefinition>>;
}

/** Serializable template, as sent to clients in `welcome`. */
export interface WireTemplate {
  readonly name: string;
  readonly description?: string;
  readonly cypher: CypherText;
  readonly batch?: BatchForm;
  /** Every parameter name; absent optional ones are bound as null. */
  readonly paramNames: readonly string[];
  /** Names of required parameters. */
  readonly required: readonly string[];
  /** JSON Schema of the parameters, for tools and UIs. */
  readonly paramsJsonSchema: unknown;
}

/**
 * Serializable registry. `hash` identifies what a replica is built from (schema and templates);
 * replicas built from different hashes never mix. Aggregates are left out of the hash on purpose:
 * they live only on the gateway, and adding one must not force every replica to be rebuilt.
 */
export interface WireRegistry {
  readonly hash: string;
  readonly schema: readonly string[];
  readonly templates: readonly WireTemplate[];
  /** Aggregates the gateway maintains (empty when none are declared). */
  readonly aggregates: readonly WireAggregate[];
}

export type ValidationResult =
  | { readonly ok: true; readonly params: Record<string, unknown> }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

const NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
const NONDETERMINISTIC = /\b(now|rand|gen_random_uuid|current_timestamp|current_date)\s*\(/i;

/** A validated, immutable registry. Build it with {@link defineTemplates}. */
export class TemplateRegistry {
  readonly schema: readonly string[];
  readonly hash: string;
  readonly #validators: ReadonlyMap<string, z.ZodType<Record<string, unknown>>>;
  readonly #wire: WireRegistry;

  constructor(definition: RegistryDefinition) {
    const validators = new Map<string, z.ZodType<Record<string, unknown>>>();
    const paramInfo = new Map<string, { shape: z.ZodRawShape; required: string[]; jsonSchema: unknown }>();
    const wireTemplates: WireTemplate[] = [];
    for (const [name, t] of Object.entries(definition.templates)) {
      if (!NAME.test(name)) throw new TypeError(`template name ${JSON.stringify(name)} must match ${NAME}`);
      if (name === RAW_DML_TEMPLATE) throw new TypeError(`template name ${RAW_DML_TEMPLATE} is reserved for raw DML events`);
      for (const [form, text] of [["cypher", t.cypher], ["batch.cypher", t.batch?.cypher]] as const) {
        if (text === undefined) continue;
        const statements = checkStatementList(name, form, text);
        for (const statement of statements) {
          if (NONDETERMINISTIC.test(statement)) throw new TypeError(`template ${name} is not deterministic: ${statement}`);
        }
      }
      const schema = z.strictObject(t.params);
      validators.set(name, schema as unknown as z.ZodType<Record<string, unknown>>);
      const json = z.toJSONSchema(schema, { unrepresentable: "any", io: "input" }) as { required?: string[] };
      const paramNames = Object.keys(t.params);
      paramInfo.set(name, { shape: t.params, required: json.required ?? [], jsonSchema: json });
      for (const key of t.batch?.keys ?? []) {
        if (!paramNames.includes(key)) throw new TypeError(`template ${name}: batch key ${key} is not a parameter`);
      }
      wireTemplates.push({
        name,
        ...(t.description === undefined ? {} : { description: t.description }),
        cypher: copyText(t.cypher),
        ...(t.batch === undefined ? {} : { batch: { cypher: copyText(t.batch.cypher), keys: [...t.batch.keys] } }),
        paramNames,
        required: json.required ?? [],
        paramsJsonSchema: json,
      });
    }
    this.schema = Object.freeze([...definition.schema]);
    this.#validators = validators;
    const body = { schema: this.schema, templates: wireTemplates };
    this.hash = createHash("sha256").update(JSON.stringify(body)).digest("hex");
    const aggregates = checkAggregates(definition.aggregates ?? {}, paramInfo);
    this.#wire = deepFreeze({ hash: this.hash, ...body, aggregates });
  }

  /** Template names, in declaration order. */
  names(): string[] {
    return [...this.#validators.keys()];
  }

  has(name: string): boolean {
    return this.#validators.has(name);
  }

  /**
   * Check an event's parameters. On success `params` is the normalised value (defaults filled in)
   * that is stored and replayed, so every replica binds exactly the same values.
   */
  validate(template: string, params: unknown): ValidationResult {
    const schema = this.#validators.get(template);
    if (!schema) {
      return { ok: false, code: ErrorCode.UNKNOWN_TEMPLATE, message: `unknown template ${JSON.stringify(template)}; known: ${this.names().join(", ")}` };
    }
    const result = schema.safeParse(params);
    if (result.success) return { ok: true, params: result.data };
    const detail = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join(".") : "params"}: ${i.message}`)
      .join("; ");
    return { ok: false, code: ErrorCode.INVALID_PARAMS, message: `${template}: ${detail}` };
  }

  /** The serializable form sent to clients. */
  toWire(): WireRegistry {
    return this.#wire;
  }
}

/**
 * Declare a registry. Throws at start-up on a malformed definition.
 * @example
 * const registry = defineTemplates({
 *   schema: ["CREATE NODE TABLE User(id STRING, name STRING, PRIMARY KEY(id))"],
 *   templates: {
 *     CREATE_USER: { params: { id: z.string(), name: z.string() }, cypher: "MERGE (u:User {id: $id}) SET u.name = $name" },
 *   },
 * });
 */
export function defineTemplates(definition: RegistryDefinition): TemplateRegistry {
  return new TemplateRegistry(definition);
}

/** The statements of a template's form, or a TypeError naming the template and the form. */
function checkStatementList(name: string, form: string, text: unknown): readonly string[] {
  const list = typeof text === "string" ? [text] : text;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_TEMPLATE_STATEMENTS) {
    throw new TypeError(`template ${name}: ${form} must be a string or a list of 1 to ${MAX_TEMPLATE_STATEMENTS} strings`);
  }
  for (const statement of list) {
    if (typeof statement !== "string" || statement.trim() === "") throw new TypeError(`template ${name}: every statement of ${form} must be a non-empty string`);
  }
  return list as readonly string[];
}

/** A copy the caller cannot change later (lists are copied; strings stay strings). */
function copyText(text: CypherText): CypherText {
  return typeof text === "string" ? text : [...text];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
