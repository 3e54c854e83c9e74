/**
 * The gate for raw DML: decides whether a client's Cypher text may run on every replica.
 *
 * Kuzu has no sandbox: `LOAD FROM`, `COPY`, `ATTACH`, `INSTALL`, `LOAD EXTENSION`,
 * `IMPORT`/`EXPORT DATABASE` and `CALL` reach files, the network and native code on each replica,
 * and `now()` or `gen_random_uuid()` make replicas disagree. So the checker is a whitelist: it
 * tokenizes like Kuzu (see cypher-lexer.ts) and parses one statement of the clauses
 * MATCH, OPTIONAL MATCH, WHERE, WITH, UNWIND, CREATE, MERGE (ON CREATE/MATCH SET), SET, DELETE,
 * DETACH DELETE, REMOVE and RETURN with their expression syntax; anything it cannot parse is
 * refused, and only allowlisted built-ins may be called (raw-dml-functions.ts).
 *
 * Beyond reach, it guards the replicas themselves (issue 14):
 * - nothing may name kuzu-sync's internal table (any spelling), and a node pattern without a label
 *   (which matches every table, that one included) needs a relationship next to it;
 * - a node, relationship or path never becomes data: its internal id differs between a replica
 *   built by replay and one built from a snapshot;
 * - argument shapes that crash Kuzu 0.11 or never return (negative `repeat` counts, negative
 *   `substring` lengths, bare `NULL`s handed to functions, UUIDs in string functions…) are refused;
 * - what the statement computes has a size known before it runs, within `RawDmlLimits`; work that
 *   depends on the data (a MATCH over the whole graph) is bounded by the replica's query timeout.
 *
 * What it does not judge: whether labels and properties exist (Kuzu does that), and row-order
 * dependence (`SKIP`/`LIMIT` without a total `ORDER BY`, floating-point `sum`). `REMOVE` passes
 * the gate but Kuzu 0.11 has no REMOVE clause and rejects it; use `SET n.p = NULL`.
 * @module
 */
import { PatternParser } from "./cypher-pattern.ts";
import { tokenizeCypher, type Token } from "./cypher-lexer.ts";
import { ErrorCode } from "./errors.ts";
import { INTERNAL_TABLE } from "./internal-names.ts";
import { Kind, type Val } from "./raw-dml-values.ts";
import { FORBIDDEN_KEYWORDS } from "./raw-dml-vocabulary.ts";
import { describe, position, Refusal } from "./token-cursor.ts";

const INTERNAL_TABLE_UPPER = INTERNAL_TABLE.toUpperCase();

/**
 * Bounds on a raw DML statement.
 * @example if (cypher.length > RawDmlLimits.maxLength) reject("too long");
 */
export const RawDmlLimits = {
  /** Longest statement accepted, in UTF-16 code units. */
  maxLength: 65_536,
  /** Deepest nesting of expressions and patterns (each `(`, `[`, `{`, CASE, call). */
  maxDepth: 64,
  /**
   * Largest value one expression may compute, in bytes, as far as the statement itself decides it
   * (`repeat('x', n)`, `lpad(s, n, p)`, `range(a, b)`, literals): Kuzu computes such a value in one
   * call no timeout can interrupt.
   */
  maxValueBytes: 1_048_576,
  /** Sum of those sizes over every value the statement computes. */
  maxStatementBytes: 4_194_304,
  /** Most values read from the graph that one computed value may hold at once (`u.a + u.b` holds 2). */
  maxStoredCopies: 128,
  /** Sum of those counts over every value the statement computes. */
  maxStatementStoredCopies: 512,
  /**
   * Kuzu query timeout for one raw DML statement on a replica, in ms: the backstop for work no
   * static bound sees (a MATCH over the whole graph, a cross product, a deep variable-length
   * path). A statement that hits it stops the replica with APPLY_TIMEOUT (it is not recorded as
   * failed: a timeout does not happen identically on every machine).
   */
  timeoutMs: 5_000,
} as const;

/**
 * Outcome of {@link checkRawDml}.
 * @example
 * const r: RawDmlCheck = checkRawDml(cypher);
 * if (!r.ok) ws.send(JSON.stringify({ type: "reject", id, code: r.code, message: r.message, retryable: false }));
 */
export type RawDmlCheck =
  | {
      readonly ok: true;
      /** Clause keywords in order, e.g. `["MATCH", "WHERE", "SET", "RETURN"]`; `"ON CREATE SET"` and `"ON MATCH SET"` for MERGE actions. */
      readonly clauses: readonly string[];
    }
  | {
      readonly ok: false;
      readonly code: typeof ErrorCode.RAW_DML_FORBIDDEN;
      /** Names the offending keyword or character and its line and column. */
      readonly message: string;
      /** Offset of the offending token in the statement (UTF-16 code units). */
      readonly offset: number;
    };

const ALLOWED_CLAUSES = "MATCH, OPTIONAL MATCH, UNWIND, WITH, CREATE, MERGE, SET, DELETE, DETACH DELETE, REMOVE, RETURN";
const SORT_ORDER = new Set(["ASC", "ASCENDING", "DESC", "DESCENDING"]);

/** One statement of allowlisted clauses and patterns, over the expression grammar. */
class RawDmlParser extends PatternParser {
  readonly clauses: string[] = [];

  /** Refuse forbidden words, and the internal table in any spelling, wherever they are. */
  screenWords(): void {
    this.tokens.forEach((t, i) => {
      if ((t.kind === "word" || t.kind === "quoted") && t.value.toUpperCase() === INTERNAL_TABLE_UPPER) {
        this.fail(t, `${describe(t)} names kuzu-sync's internal table ${INTERNAL_TABLE}, which holds each replica's applied seq and registry hash; raw DML may not read or write it`);
      }
      if (t.kind !== "word") return;
      const reason = FORBIDDEN_KEYWORDS.get(t.value);
      if (reason === undefined) return;
      const next = this.tokens[i + 1];
      if (t.value === "DETACH" && next?.kind === "word" && next.value === "DELETE") return;
      const spelled = t.text === t.value ? "" : ` (written ${JSON.stringify(t.text)})`;
      this.fail(t, `${t.value}${spelled} is not allowed in raw DML: ${reason}`);
    });
  }

  statement(): readonly string[] {
    if (this.peek().kind === "end") this.fail(this.peek(), "empty statement");
    this.screenWords();
    let returned = false;
    while (this.peek().kind !== "end") {
      const t = this.peek();
      if (t.kind === "punct" && t.value === ";") {
        this.next();
        const after = this.peek();
        if (after.kind !== "end") this.fail(after, `only one statement is allowed, found ${describe(after)} after ';'`);
        break;
      }
      if (returned) this.fail(t, `RETURN must be the last clause, found ${describe(t)} after it`);
      returned = this.clause() === "RETURN";
    }
    if (this.clauses.length === 0) this.fail(this.peek(), "empty statement");
    return this.clauses;
  }

  clause(): string {
    const t = this.next();
    if (t.kind !== "word") this.fail(t, `expected a clause (${ALLOWED_CLAUSES}), found ${describe(t)}`);
    const add = (name: string): string => {
      this.clauses.push(name);
      return name;
    };
    switch (t.value) {
      case "MATCH":
      case "OPTIONAL":
        if (t.value === "OPTIONAL") this.expectWord("MATCH");
        add(t.value === "MATCH" ? "MATCH" : "OPTIONAL MATCH");
        this.pattern("match");
        this.where();
        return "MATCH";
      case "UNWIND": {
        add("UNWIND");
        const at = this.peek();
        const list = this.expression();
        this.expectWord("AS");
        const alias = this.peek();
        this.name();
        this.bind(alias, this.unwound(list, at));
        return "UNWIND";
      }
      case "WITH":
        add("WITH");
        this.projection();
        this.where();
        return "WITH";
      case "RETURN":
        add("RETURN");
        this.projection();
        return "RETURN";
      case "CREATE": {
        const what = this.peek();
        if ((what.kind === "word" || what.kind === "quoted") && !this.isPunct("=", 1)) {
          this.fail(what, `CREATE ${describe(what)} is DDL or administration; raw DML only creates nodes and relationships`);
        }
        add("CREATE");
        this.pattern("create");
        return "CREATE";
      }
      case "MERGE":
        add("MERGE");
        this.pattern("merge");
        while (this.isWord("ON")) {
          this.next();
          const action = this.expectWord("CREATE", "MATCH");
          this.expectWord("SET");
          add(`ON ${action} SET`);
          this.setItems(true);
        }
        return "MERGE";
      case "SET":
        add("SET");
        this.setItems(true);
        return "SET";
      case "DELETE":
      case "DETACH":
        if (t.value === "DETACH") this.expectWord("DELETE");
        add(t.value === "DELETE" ? "DELETE" : "DETACH DELETE");
        this.list(() => void this.expression());
        return "DELETE";
      case "REMOVE":
        add("REMOVE");
        this.setItems(false);
        return "REMOVE";
      default:
        return this.fail(t, `${describe(t)} is not an allowed clause; raw DML allows ${ALLOWED_CLAUSES}`);
    }
  }

  /** What `UNWIND list AS x` binds x to. */
  unwound(list: Val, at: Token): Val {
    if (list.kinds === Kind.GRAPH_LIST) return { kinds: Kind.ELEMENT, size: { c: 0, m: 0 } };
    this.valueOnly(list, at, "in UNWIND (only a list of values or nodes(p)/rels(p) can be unwound)");
    return list.kinds === Kind.NULL ? list : { kinds: list.kinds, size: list.element ?? list.size };
  }

  where(): void {
    if (!this.isWord("WHERE")) return;
    this.next();
    this.clauses.push("WHERE");
    const at = this.peek();
    this.valueOnly(this.expression(), at, "as a WHERE condition");
  }

  /** WITH or RETURN items; afterwards only what they name is in scope (unless `*`). */
  projection(): void {
    if (this.isWord("DISTINCT")) this.next();
    const before = this.env;
    const after = new Map<string, Val>();
    const item = (): void => {
      const start = this.peek();
      const v = this.expression();
      // `WITH u` keeps u under its own name: the item was that one token.
      const bare = (start.kind === "word" || start.kind === "quoted") && this.peek(-1) === start;
      // What is known about the value travels with its name (`WITH 5 AS n` is still 5).
      const known: Val = v;
      if (this.isWord("AS")) {
        this.next();
        const alias = this.peek();
        this.name();
        after.set(alias.value.toUpperCase(), known);
      } else if (bare) {
        after.set(start.value.toUpperCase(), known);
      }
    };
    if (this.isPunct("*")) {
      this.next();
      for (const [k, v] of before) after.set(k, v);
      while (this.isPunct(",")) {
        this.next();
        item();
      }
    } else {
      this.list(item);
    }
    // ORDER BY sees the projected names and the ones before them.
    this.env = new Map([...before, ...after]);
    if (this.isWord("ORDER")) {
      this.next();
      this.expectWord("BY");
      this.list(() => {
        const at = this.peek();
        this.valueOnly(this.expression(), at, "in ORDER BY (nodes, relationships and paths sort by internal id)");
        const t = this.peek();
        if (t.kind === "word" && SORT_ORDER.has(t.value)) this.next();
      });
    }
    for (const word of ["SKIP", "LIMIT"]) {
      if (!this.isWord(word)) continue;
      this.next();
      const at = this.peek();
      this.valueOnly(this.expression(), at, `in ${word}`);
    }
    this.env = after;
  }

  /** `n.prop = expr, …` (SET) or `n.prop, …` (REMOVE). */
  setItems(withValue: boolean): void {
    this.list(() => {
      this.name();
      this.expectPunct(".");
      const key = this.peek();
      this.name();
      const name = key.kind === "quoted" ? key.value : key.text;
      if (name.startsWith("_")) this.fail(key, `property ${JSON.stringify(name)} is not allowed: names starting with '_' are Kuzu's internal fields`);
      if (withValue) {
        this.expectPunct("=");
        const at = this.peek();
        this.valueOnly(this.expression(), at, "as a stored value");
      }
    });
  }
}

/**
 * Decide whether a raw DML statement may be sequenced and run on every replica. Pure; never
 * throws. Accepts exactly one statement of whitelisted clauses (see the module comment) calling
 * only deterministic built-in functions; the refusal names the offending keyword and where it is.
 * @example
 * checkRawDml("MATCH (u:User {id: 'a'}) SET u.name = 'Ann' RETURN u.name");
 * // { ok: true, clauses: ["MATCH", "SET", "RETURN"] }
 * checkRawDml("LOAD FROM '/etc/passwd' RETURN *");
 * // { ok: false, code: "RAW_DML_FORBIDDEN", offset: 0,
 * //   message: "LOAD is not allowed in raw DML: LOAD FROM / LOAD EXTENSION read files, URLs and native code (at line 1, column 1)" }
 */
export function checkRawDml(cypher: string): RawDmlCheck {
  const refuse = (message: string, offset: number): RawDmlCheck => ({ ok: false, code: ErrorCode.RAW_DML_FORBIDDEN, message, offset });
  if (typeof cypher !== "string") return refuse("raw DML must be a string", 0);
  if (cypher.length > RawDmlLimits.maxLength) return refuse(`raw DML is longer than ${RawDmlLimits.maxLength} characters`, RawDmlLimits.maxLength);
  const lexed = tokenizeCypher(cypher);
  if (!lexed.ok) return refuse(`${lexed.message} (at ${position(cypher, lexed.offset)})`, lexed.offset);
  try {
    return { ok: true, clauses: new RawDmlParser(lexed.tokens, cypher, RawDmlLimits.maxDepth, RawDmlLimits).statement() };
  } catch (error) {
    if (error instanceof Refusal) return refuse(error.message, error.offset);
    // Only a stack overflow can land here; refusing is the safe answer.
    return refuse("raw DML is too complex to check", 0);
  }
}

