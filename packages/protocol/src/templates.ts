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
import { RESERVED_PREFIX } from "./registry-event.ts";
import { checkRegistryInternals } from "./internal-names.ts";
import { MAX_TEMPLATE_STATEMENTS, assertTemplates, checkStatements, type Statements } from "./registry-check.ts";

/** How one template is declared by a deployment. */
export interface TemplateDefinition<Shape extends z.ZodRawShape = z.ZodRawShape> {
  /** Parameter schema as a zod shape; unknown keys are rejected. */
  readonly params: Shape;
  /**
   * Cypher for one event, parameters as `$name`: one statement, or a short list of statements run
   * in order in the event's transaction (see {@link Statements}). Must be deterministic (no now(),
   * rand(), uuid).
   */
  readonly cypher: Statements;
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

/** The set-at-a-time form of a template (see {@link TemplateDefinition.batch}). */
export interface BatchForm {
  readonly cypher: Statements;
  readonly keys: readonly string[];
}

export interface RegistryDefinition {
  /**
   * Integer ≥ 1 (default 1). Raise it by one for every change to `schema` or `templates` once a
   * deployment has events: the gateway records each version in the log (a registry event) and
   * every replica moves to it at that seq. See docs/REGISTRY.md.
   */
  readonly version?: number;
  /** The full current schema: DDL run, in order, on a replica that starts from nothing. */
  readonly schema: readonly string[];
  /**
   * From version 2 on (required there, `[]` when only templates change): the statements that
   * take a replica from the previous version to this one, run once at the registry event's seq in
   * one transaction — DDL (`ALTER TABLE Task ADD priority INT64 DEFAULT 0`, new tables) and/or
   * deterministic Cypher. The previous version's schema plus these must give exactly `schema`.
   */
  readonly migrate?: readonly string[];
  readonly templates: Readonly<Record<string, TemplateDefinition>>;
  /** Numbers the gateway maintains as events commit (see `aggregates.ts`), by name. */
  readonly aggregates?: Readonly<Record<string, AggregateDefinition>>;
}

/** Serializable template, as sent to clients in `welcome`. */
export interface WireTemplate {
  readonly name: string;
  readonly description?: string;
  readonly cypher: Statements;
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
  /** The registry's version (1 when not declared). */
  readonly version: number;
  readonly schema: readonly string[];
  /** Steps from the previous version (empty for version 1). */
  readonly migrate: readonly string[];
  readonly templates: readonly WireTemplate[];
  /** Aggregates the gateway maintains (empty when none are declared). */
  readonly aggregates: readonly WireAggregate[];
}

export type ValidationResult =
  | { readonly ok: true; readonly params: Record<string, unknown> }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

const NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

/** A validated, immutable registry. Build it with {@link defineTemplates}. */
export class TemplateRegistry {
  readonly schema: readonly string[];
  readonly hash: string;
  readonly #validators: ReadonlyMap<string, z.ZodType<Record<string, unknown>>>;
  readonly #wire: WireRegistry;

  /** The version this registry declares (1 when it declares none). */
  readonly version: number;
  /** Steps from the previous version (empty for version 1). */
  readonly migrate: readonly string[];

  /**
   * Prefer {@link defineTemplates}. `recorded`: the wire form this registry was rebuilt from (see
   * {@link TemplateRegistry.fromWire}); its hash is kept as the identity.
   */
  constructor(definition: RegistryDefinition, recorded?: WireRegistry) {
    const validators = new Map<string, z.ZodType<Record<string, unknown>>>();
    const paramInfo = new Map<string, { shape: z.ZodRawShape; required: string[]; jsonSchema: unknown }>();
    const wireTemplates: WireTemplate[] = [];
    const version = definition.version ?? 1;
    if (!Number.isSafeInteger(version) || version < 1) throw new TypeError(`registry version must be an integer ≥ 1, not ${JSON.stringify(definition.version)}`);
    if (version === 1 && definition.migrate !== undefined && definition.migrate.length > 0) {
      throw new TypeError("registry version 1 has no previous version: remove `migrate`, or raise `version` to 2");
    }
    if (version > 1 && definition.migrate === undefined) {
      throw new TypeError(
        `registry version ${version} needs \`migrate\`: the statements that take a replica from version ${version - 1} to ${version} (\`[]\` when only templates change)`,
      );
    }
    const stepProblems = checkStatements("migrate", definition.migrate ?? []);
    if (stepProblems.length > 0) throw new TypeError(`the registry's migrate has ${stepProblems.length === 1 ? "a problem" : `${stepProblems.length} problems`}:\n  ${stepProblems.join("\n  ")}`);
    for (const [name, t] of Object.entries(definition.templates)) {
      if (!NAME.test(name)) throw new TypeError(`template name ${JSON.stringify(name)} must match ${NAME}`);
      if (name === RAW_DML_TEMPLATE) throw new TypeError(`template name ${RAW_DML_TEMPLATE} is reserved for raw DML events`);
      if (name.startsWith(RESERVED_PREFIX)) throw new TypeError(`template name ${name}: names starting with ${RESERVED_PREFIX} are reserved for kuzu-sync's own events`);
      // The shape of a statement list (1 to MAX_TEMPLATE_STATEMENTS strings); what is in them is
      // checked by assertTemplates below.
      if (t.batch !== undefined) checkStatementList(name, "batch.cypher", t.batch.cypher);
      checkStatementList(name, "cypher", t.cypher);
      const schema = z.strictObject(t.params);
      validators.set(name, schema as unknown as z.ZodType<Record<string, unknown>>);
      const json = z.toJSONSchema(schema, { unrepresentable: "any", io: "input" }) as { required?: string[] };
      const paramNames = Object.keys(t.params);
      paramInfo.set(name, { shape: t.params, required: json.required ?? [], jsonSchema: json });
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
    // Parameters, batch forms and determinism (registry-check.ts): a registry whose Cypher cannot
    // run is refused here, at start-up, instead of failing on every replica for every event.
    assertTemplates(definition.templates);
    // No template or schema statement may touch the replicas' own bookkeeping table.
    const internal = checkRegistryInternals(definition);
    internal.push(...checkRegistryInternals({ schema: definition.migrate ?? [], templates: [] }).map((p) => p.replace(/^schema statement/, "migrate step")));
    if (internal.length > 0) throw new TypeError(`the template registry has a problem:\n  ${internal.join("\n  ")}`);
    this.version = version;
    this.schema = Object.freeze([...definition.schema]);
    this.migrate = Object.freeze([...(definition.migrate ?? [])]);
    this.#validators = validators;
    const body = { schema: this.schema, templates: wireTemplates };
    // Version 1 hashes exactly as before versions existed, so replicas built then stay valid.
    const hashed = version === 1 ? body : { version, schema: this.schema, migrate: this.migrate, templates: wireTemplates };
    this.hash = recorded?.hash ?? createHash("sha256").update(JSON.stringify(hashed)).digest("hex");
    const aggregates = checkAggregates(definition.aggregates ?? {}, paramInfo);
    this.#wire = deepFreeze(
      recorded === undefined
        ? { hash: this.hash, version, schema: this.schema, migrate: this.migrate, templates: wireTemplates, aggregates }
        : { ...recorded, aggregates },
    );
  }

  /**
   * Rebuild a registry from its wire form (e.g. a newer version a gateway adopts from the log).
   * Parameter schemas are rebuilt from their JSON Schema, so validation is what JSON Schema can
   * say: refinements and transforms of the original zod schemas are not there. The hash and the
   * statements are the recorded ones.
   * @example const adopted = TemplateRegistry.fromWire(change.registry);
   */
  static fromWire(wire: WireRegistry): TemplateRegistry {
    const templates: Record<string, TemplateDefinition> = {};
    for (const t of wire.templates) {
      const rebuilt = z.fromJSONSchema(t.paramsJsonSchema as Parameters<typeof z.fromJSONSchema>[0]);
      if (!(rebuilt instanceof z.ZodObject)) throw new TypeError(`template ${t.name}: its parameter schema is not an object schema`);
      templates[t.name] = {
        params: rebuilt.shape as z.ZodRawShape,
        cypher: t.cypher,
        ...(t.batch === undefined ? {} : { batch: t.batch }),
        ...(t.description === undefined ? {} : { description: t.description }),
      };
    }
    const aggregates = Object.fromEntries(wire.aggregates.map(({ name, ...a }) => [name, a as AggregateDefinition]));
    const definition: RegistryDefinition = { version: wire.version, schema: wire.schema, migrate: wire.migrate, templates, aggregates };
    return new TemplateRegistry(definition, wire);
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
      // From version 2 on, say which: an event queued before an upgrade may name a removed template.
      const where = this.version > 1 ? ` in registry version ${this.version}` : "";
      return { ok: false, code: ErrorCode.UNKNOWN_TEMPLATE, message: `unknown template ${JSON.stringify(template)}${where}; known: ${this.names().join(", ")}` };
    }
    const result = schema.safeParse(params);
    if (result.success) return { ok: true, params: result.data };
    const detail = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join(".") : "params"}: ${i.message}`)
      .join("; ");
    return { ok: false, code: ErrorCode.INVALID_PARAMS, message: `${template}${this.version > 1 ? ` (registry version ${this.version})` : ""}: ${detail}` };
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
function copyText(text: Statements): Statements {
  return typeof text === "string" ? text : [...text];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
