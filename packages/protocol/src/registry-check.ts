/**
 * The static checks of a template registry, run by `defineTemplates()` (so at gateway start-up and
 * by `sync-server check`): a registry whose Cypher names a parameter it does not declare, or
 * declares one no statement uses, is accepted by Kuzu's `prepare()` and then fails on every
 * replica for every event; these checks refuse it when it is loaded instead.
 *
 * They read the statements with the Cypher lexer (never with regular expressions), so a `$name`
 * inside a string literal or a comment is not a parameter. Every check works on "the statements
 * of a template": one Cypher text, or a short list of them.
 * @module
 */
import { tokenizeCypher, type Token } from "./cypher-lexer.ts";
import { position } from "./token-cursor.ts";

/** The Cypher of a template or of its batch form: one statement, or a short list run in order. */
export type Statements = string | readonly string[];

/**
 * Most statements in one template form: lists are for forms Kuzu 0.11 cannot write as one fast
 * statement (see docs/BATCH-FORMS.md), not for programs.
 */
export const MAX_TEMPLATE_STATEMENTS = 4;

/** A template as the checks read it (only the names of its parameters matter here). */
export interface CheckableTemplate {
  readonly params: Readonly<Record<string, unknown>>;
  readonly cypher: Statements;
  readonly batch?: { readonly cypher: Statements; readonly keys: readonly string[] };
}

/** One thing wrong with a template: what, and how to fix it. */
export interface RegistryProblem {
  readonly template: string;
  readonly message: string;
  readonly fix: string;
}

/** The parameter a batch form is executed with: the list of rows. */
export const BATCH_ROWS_PARAM = "rows";

/**
 * Functions whose result differs between replicas (time, randomness). Internal ids are not here:
 * they are deterministic for one history, and templates rarely need them.
 */
const NONDETERMINISTIC: ReadonlyMap<string, string> = new Map([
  ["NOW", "the time differs between replicas"],
  ["CURRENT_DATE", "the time differs between replicas"],
  ["CURRENT_TIME", "the time differs between replicas"],
  ["CURRENT_TIMESTAMP", "the time differs between replicas"],
  ["RAND", "random values differ between replicas"],
  ["RANDOM", "random values differ between replicas"],
  ["GEN_RANDOM_UUID", "random values differ between replicas"],
]);

/**
 * The statements of a template or batch form as a list.
 * @example statementsOf("MERGE (u:User {id: $id})") // ["MERGE (u:User {id: $id})"]
 */
export function statementsOf(statements: Statements): readonly string[] {
  return typeof statements === "string" ? [statements] : statements;
}

/**
 * The `$name`s a statement uses, without the `$`, in order of first use; null when it cannot be
 * lexed (the checks report that).
 * @example parameterNames("MATCH (u:User {id: $id}) SET u.name = $name // $not") // ["id", "name"]
 */
export function parameterNames(statement: string): string[] | null {
  const lexed = tokenizeCypher(statement);
  if (!lexed.ok) return null;
  return unique(lexed.tokens.filter((t) => t.kind === "param").map((t) => t.value.slice(1)));
}

/**
 * Everything wrong with one template (an empty list when nothing is).
 * @example checkTemplate("ADD", { params: { id: z.string() }, cypher: "MERGE (:T {id: $idd})" })
 * // [{ template: "ADD", message: "$idd is not a declared parameter (declared: id)", fix: "…" }]
 */
export function checkTemplate(name: string, template: CheckableTemplate): RegistryProblem[] {
  const problems: RegistryProblem[] = [];
  const problem = (message: string, fix: string): void => void problems.push({ template: name, message, fix });
  const declared = Object.keys(template.params);
  const declaredList = declared.length === 0 ? "none" : declared.join(", ");

  const single = lexAll("cypher", template.cypher, problem);
  if (single !== null) {
    const used = new Set<string>();
    for (const s of single) {
      checkDeterministic(s, problem);
      for (const t of s.tokens) {
        if (t.kind !== "param") continue;
        const p = t.value.slice(1);
        if (used.has(p)) continue;
        used.add(p);
        if (!declared.includes(p)) {
          problem(
            `${s.where} uses ${t.value} (at ${position(s.text, t.offset)}), which is not a declared parameter (declared: ${declaredList})`,
            `${suggest(p, declared, "$")}declare ${p} in params, or correct the name in the Cypher (parameter names are case-sensitive)`,
          );
        }
      }
    }
    for (const p of declared) {
      if (!used.has(p)) {
        problem(
          `parameter ${p} is declared but no statement uses $${p}: every declared parameter is bound, and Kuzu refuses to run a statement bound with a parameter it does not use`,
          `use $${p} in the Cypher, or remove ${p} from params`,
        );
      }
    }
  }

  const batch = template.batch;
  if (batch === undefined) return problems;
  for (const key of batch.keys) {
    if (!declared.includes(key)) {
      problem(`batch key ${key} is not a declared parameter (declared: ${declaredList})`, `${suggest(key, declared, "")}name the parameters that identify the entity each event writes`);
    }
  }
  const forms = lexAll("batch.cypher", batch.cypher, problem);
  if (forms === null) return problems;
  const read = new Set<string>();
  let everyRowRead = true;
  for (const s of forms) {
    checkDeterministic(s, problem);
    const aliases = new Set<string>();
    for (const [i, t] of s.tokens.entries()) {
      if (t.kind === "param" && t.value !== `$${BATCH_ROWS_PARAM}`) {
        problem(
          `${s.where} uses ${t.value} (at ${position(s.text, t.offset)}); a batch form is run with $${BATCH_ROWS_PARAM} only`,
          `read the value from the row instead (UNWIND $${BATCH_ROWS_PARAM} AS r … r.${t.value.slice(1)})`,
        );
      }
      const alias = s.tokens[i + 3];
      if (isWord(t, "UNWIND") && isParam(s.tokens[i + 1], BATCH_ROWS_PARAM) && isWord(s.tokens[i + 2], "AS") && alias && (alias.kind === "word" || alias.kind === "quoted")) {
        aliases.add(nameOf(alias));
      }
    }
    if (aliases.size === 0) {
      problem(`${s.where} does not read its rows with UNWIND $${BATCH_ROWS_PARAM} AS <row>`, `start it with UNWIND $${BATCH_ROWS_PARAM} AS r and read each parameter as r.<name>`);
      everyRowRead = false;
      continue;
    }
    for (const [i, t] of s.tokens.entries()) {
      const dot = s.tokens[i + 1];
      const field = s.tokens[i + 2];
      if (!(t.kind === "word" || t.kind === "quoted") || !aliases.has(nameOf(t)) || dot?.kind !== "punct" || dot.value !== ".") continue;
      // `r.field`: the row's fields are the declared parameters (Kuzu matches struct fields
      // case-insensitively), and `r.*` or anything else is not a field name.
      if (field?.kind !== "word" && field?.kind !== "quoted") continue;
      if (s.tokens[i - 1]?.kind === "punct" && s.tokens[i - 1]?.value === ".") continue;
      const f = field.kind === "quoted" ? field.value : field.text;
      const match = declared.find((p) => p.toUpperCase() === f.toUpperCase());
      if (match === undefined) {
        problem(
          `${s.where} reads ${t.text}.${field.text} (at ${position(s.text, field.offset)}), which is not a declared parameter (declared: ${declaredList})`,
          `${suggest(f, declared, `${t.text}.`)}each row holds exactly the declared parameters`,
        );
      } else {
        read.add(match);
      }
    }
  }
  if (single !== null && everyRowRead) {
    const usedBySingle = unique(single.flatMap((s) => s.tokens.filter((t) => t.kind === "param").map((t) => t.value.slice(1))));
    for (const p of usedBySingle) {
      if (declared.includes(p) && !read.has(p)) {
        problem(
          `the batch form never reads the row's ${p}, which the single form uses ($${p}): the two forms cannot leave the same graph`,
          `read r.${p} in the batch form where the single form uses $${p}`,
        );
      }
    }
  }
  return problems;
}

/**
 * Everything wrong with a set of templates, in declaration order.
 * @example const problems = checkTemplates(definition.templates); // [] for a sound registry
 */
export function checkTemplates(templates: Readonly<Record<string, CheckableTemplate>>): RegistryProblem[] {
  return Object.entries(templates).flatMap(([name, t]) => checkTemplate(name, t));
}

/**
 * A registry that failed its checks; the message lists every problem with its fix. A TypeError,
 * as every malformed registry definition is.
 * @example
 * try { defineTemplates(definition) } catch (e) { if (e instanceof RegistryCheckError) report(e.problems) }
 */
export class RegistryCheckError extends TypeError {
  override readonly name = "RegistryCheckError";
  readonly problems: readonly RegistryProblem[];

  constructor(problems: readonly RegistryProblem[]) {
    super(formatProblems(problems));
    this.problems = problems;
  }
}

/**
 * Throws a {@link RegistryCheckError} listing every problem of `templates`; returns when there is none.
 * @example assertTemplates({ ADD: { params: { id: z.string() }, cypher: "MERGE (:T {id: $id})" } });
 */
export function assertTemplates(templates: Readonly<Record<string, CheckableTemplate>>): void {
  const problems = checkTemplates(templates);
  if (problems.length > 0) throw new RegistryCheckError(problems);
}

/**
 * What is wrong with a list of plain statements (a registry's `migrate`): each must be one
 * readable, deterministic statement. One line per problem, with its fix.
 * @example checkStatements("migrate", ["MATCH (t:Task) SET t.at = now()"]) // ["migrate[0] is not deterministic: …"]
 */
export function checkStatements(field: string, statements: readonly string[]): string[] {
  const out: string[] = [];
  const problem: Report = (message, fix) => void out.push(`${message}. Fix: ${fix}.`);
  if (statements.length === 0) return out;
  const lexed = lexAll(field, statements, problem);
  for (const s of lexed ?? []) checkDeterministic(s, problem);
  return out;
}

/**
 * Problems as text, one per line: `template NAME: what is wrong. Fix: how`.
 * @example formatProblems([{ template: "ADD", message: "…", fix: "…" }])
 */
export function formatProblems(problems: readonly RegistryProblem[]): string {
  const head = problems.length === 1 ? "the template registry has a problem" : `the template registry has ${problems.length} problems`;
  return `${head}:\n${problems.map((p) => `  template ${p.template}: ${p.message}. Fix: ${p.fix}.`).join("\n")}`;
}

interface LexedStatement {
  /** How messages name the statement: `cypher`, `cypher[1]`, `batch.cypher`. */
  readonly where: string;
  readonly text: string;
  readonly tokens: readonly Token[];
}

type Report = (message: string, fix: string) => void;

/** Lexes each statement; null (with the problems reported) when the list or one statement is unusable. */
function lexAll(field: string, statements: Statements, problem: Report): LexedStatement[] | null {
  const list = statementsOf(statements);
  if (typeof statements !== "string" && !Array.isArray(statements)) {
    problem(`${field} must be a Cypher string or a list of them`, `write ${field}: "MATCH …" or ${field}: ["…", "…"]`);
    return null;
  }
  if (list.length === 0) {
    problem(`${field} is an empty list`, `give at least one statement`);
    return null;
  }
  const out: LexedStatement[] = [];
  for (const [i, text] of list.entries()) {
    const where = typeof statements === "string" ? field : `${field}[${i}]`;
    if (typeof text !== "string") {
      problem(`${where} is not a string`, `write each statement as a Cypher string`);
      continue;
    }
    const lexed = tokenizeCypher(text);
    if (!lexed.ok) {
      problem(`${where} cannot be read: ${lexed.message} (at ${position(text, lexed.offset)})`, `correct the Cypher text`);
      continue;
    }
    const tokens = lexed.tokens.filter((t) => t.kind !== "end");
    if (tokens.length === 0) {
      problem(`${where} is empty`, `write the statement, or remove it`);
      continue;
    }
    const semi = tokens.findIndex((t) => t.kind === "punct" && t.value === ";");
    if (semi >= 0 && semi < tokens.length - 1) {
      problem(
        `${where} holds more than one statement (a ';' at ${position(text, tokens[semi]!.offset)}); Kuzu prepares one statement at a time`,
        `give the statements as a list: ${field}: ["…", "…"]`,
      );
      continue;
    }
    out.push({ where, text, tokens });
  }
  return out.length === list.length ? out : null;
}

function checkDeterministic(s: LexedStatement, problem: Report): void {
  for (const [i, t] of s.tokens.entries()) {
    const fn = t.kind === "word" ? t.value : t.kind === "quoted" ? t.value.toUpperCase() : "";
    const reason = NONDETERMINISTIC.get(fn);
    const prev = s.tokens[i - 1];
    if (reason === undefined || !isPunctAt(s.tokens[i + 1], "(") || (prev?.kind === "punct" && prev.value === ".")) continue;
    problem(
      `${s.where} is not deterministic: it calls ${t.text}() (at ${position(s.text, t.offset)}), and ${reason}`,
      `pass the value as a parameter (e.g. a timestamp or id chosen by the client)`,
    );
  }
}

function isWord(t: Token | undefined, value: string): boolean {
  return t?.kind === "word" && t.value === value;
}

function isParam(t: Token | undefined, name: string): boolean {
  return t?.kind === "param" && t.value === `$${name}`;
}

function isPunctAt(t: Token | undefined, value: string): boolean {
  return t?.kind === "punct" && t.value === value;
}

/** Variables compare case-insensitively in Kuzu. */
function nameOf(t: Token): string {
  return t.kind === "quoted" ? t.value.toUpperCase() : t.value;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** "did you mean $id? " when a declared name is close to the one written. */
function suggest(written: string, declared: readonly string[], prefix: string): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const d of declared) {
    const distance = editDistance(written.toLowerCase(), d.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [d, distance];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(written.length / 3)) ? `did you mean ${prefix}${best}? Otherwise ` : "";
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
