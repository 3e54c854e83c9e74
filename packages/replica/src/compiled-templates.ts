/**
 * The templates of the installed registry as a replica runs them: each one's footprint and
 * relationship effects (derived once, from its Cypher and the schema) and its statements,
 * prepared on the current write connection on first use (and again after a reopen). The apply
 * strategy and the plan are keyed by the {@link Compiled} object, not by the template's name: one
 * name can stand for different Cypher in different registry versions.
 * @module
 */
import { ErrorCode, SyncError, statementsOf, type WireRegistry, type WireTemplate } from "@kuzu-sync/protocol";
import type { Logger } from "@kuzu-sync/telemetry";
import type { PlanTemplate } from "./apply-plan.ts";
import { deriveFootprint } from "./footprint.ts";
import type * as k from "./kuzu.ts";
import { relEffects, type RelEffects } from "./rel-hazards.ts";
import { readSchemaTables, type SchemaTables } from "./schema-tables.ts";
import { prepareStatements, type Statement } from "./template-statements.ts";

/** A template's prepared single and batch forms. */
export interface Forms {
  readonly single: readonly Statement[];
  readonly batch: readonly Statement[] | undefined;
}

/** One template of the installed registry (see the module comment). */
export interface Compiled extends PlanTemplate {
  readonly template: WireTemplate;
  /** Relationship tables it may MERGE on, insert into or delete from (see rel-hazards.ts). */
  readonly rels: RelEffects;
  /** Prepared on the current connection; null until first use, and after a reopen. */
  forms: Forms | null;
}

/**
 * @example
 * const templates = new CompiledTemplates(registry, logger);
 * const c = await templates.prepare("CREATE_USER", conn);
 */
export class CompiledTemplates {
  /** Hash of the registry these templates come from. */
  readonly hash: string;
  readonly #templates: ReadonlyMap<string, WireTemplate>;
  readonly #tables: SchemaTables;
  readonly #compiled = new Map<string, Compiled>();
  readonly #log: Logger;

  constructor(registry: Pick<WireRegistry, "hash" | "schema" | "templates">, log: Logger) {
    this.hash = registry.hash;
    this.#templates = new Map(registry.templates.map((t) => [t.name, t]));
    this.#tables = readSchemaTables(registry.schema);
    this.#log = log;
  }

  /** Names of the registry's templates, in its order. */
  names(): string[] {
    return [...this.#templates.keys()];
  }

  /** The template `name` if it was compiled (by {@link compile} or {@link prepare}; its statements may need preparing). */
  known(name: string): Compiled | null {
    return this.#compiled.get(name) ?? null;
  }

  /** The template `name` if it is prepared on the current connection. */
  ready(name: string): Compiled | null {
    const c = this.#compiled.get(name);
    return c?.forms ? c : null;
  }

  /**
   * The template with its statements prepared on `conn`. Throws UNKNOWN_TEMPLATE for a name the
   * registry does not have, or Kuzu's error when a statement cannot be prepared.
   */
  async prepare(name: string, conn: k.Connection): Promise<Compiled & { forms: Forms }> {
    const c = this.compile(name);
    if (c.forms === null) {
      const single = await prepareStatements(conn, c.template.cypher);
      c.forms = { single, batch: c.template.batch ? await prepareStatements(conn, c.template.batch.cypher) : undefined };
    }
    return c as Compiled & { forms: Forms };
  }

  /**
   * The template `name` with its footprint and relationship effects derived (statements not
   * prepared). Throws UNKNOWN_TEMPLATE for a name the registry does not have.
   * @example templates.compile("FOLLOW_USER").accesses // reads both users, writes the FOLLOWS edge
   */
  compile(name: string): Compiled {
    let c = this.#compiled.get(name);
    if (c) return c;
    const t = this.#templates.get(name);
    if (!t) throw new SyncError(ErrorCode.UNKNOWN_TEMPLATE, `template ${name} is not in the installed registry`);
    const footprint = deriveFootprint(statementsOf(t.cypher), this.#tables);
    if (!footprint.known) this.#log.debug("template is applied as a barrier", { template: name, reason: footprint.reason });
    const statements = [...statementsOf(t.cypher), ...(t.batch ? statementsOf(t.batch.cypher) : [])];
    c = {
      template: t,
      forms: null,
      rels: relEffects(statements, this.#tables),
      accesses: footprint.known ? footprint.accesses : null,
      batchKeys: t.batch ? t.batch.keys : null,
    };
    this.#compiled.set(name, c);
    return c;
  }

  /** The tables of the registry's schema, as the footprint analysis reads them. */
  get tables(): SchemaTables {
    return this.#tables;
  }

  /**
   * Prepare the templates `names` that are not prepared yet. One that cannot be prepared (or is
   * unknown) stays unprepared: its events run alone, and fail there, as on every replica.
   */
  async prepareSome(names: Iterable<string>, conn: k.Connection): Promise<void> {
    for (const name of names) {
      if (this.ready(name) || !this.#templates.has(name)) continue;
      try {
        await this.prepare(name, conn);
      } catch {
        // Reported when its event runs alone.
      }
    }
  }

  /** Forget the prepared statements (the connection they belong to is gone). */
  unprepare(): void {
    for (const c of this.#compiled.values()) c.forms = null;
  }
}
