/**
 * The gate for raw DML: decides whether a client's Cypher text may run on every replica.
 *
 * Kuzu has no sandbox: `LOAD FROM`, `COPY`, `ATTACH`, `INSTALL`, `LOAD EXTENSION`,
 * `IMPORT`/`EXPORT DATABASE` and `CALL` reach files, the network and native code on each replica,
 * and `now()` or `gen_random_uuid()` make replicas disagree. So the checker is a whitelist: it
 * tokenizes like Kuzu (see cypher-lexer.ts) and parses one statement of the clauses
 * MATCH, OPTIONAL MATCH, WHERE, WITH, UNWIND, CREATE, MERGE (ON CREATE/MATCH SET), SET, DELETE,
 * DETACH DELETE, REMOVE and RETURN with their expression syntax; anything it cannot parse is
 * refused, and only deterministic built-in functions may be called.
 *
 * What it does not judge: whether labels and properties exist (Kuzu does that), and row-order
 * dependence (`SKIP`/`LIMIT` without a total `ORDER BY`, floating-point `sum`). `REMOVE` passes
 * the gate but Kuzu 0.11 has no REMOVE clause and rejects it; use `SET n.p = NULL`.
 * @module
 */
import { ExpressionParser } from "./cypher-expression.ts";
import { tokenizeCypher } from "./cypher-lexer.ts";
import { ErrorCode } from "./errors.ts";
import { FORBIDDEN_KEYWORDS } from "./raw-dml-vocabulary.ts";
import { describe, position, Refusal } from "./token-cursor.ts";

/**
 * Bounds on a raw DML statement.
 * @example if (cypher.length > RawDmlLimits.maxLength) reject("too long");
 */
export const RawDmlLimits = {
  /** Longest statement accepted, in UTF-16 code units. */
  maxLength: 65_536,
  /** Deepest nesting of expressions and patterns (each `(`, `[`, `{`, CASE, call). */
  maxDepth: 64,
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

/** One statement of whitelisted clauses and patterns, over the expression grammar. */
class RawDmlParser extends ExpressionParser {
  readonly clauses: string[] = [];

  /** Refuse forbidden words wherever they are, so no parse path can let one through. */
  screenWords(): void {
    this.tokens.forEach((t, i) => {
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
        this.pattern();
        this.where();
        return "MATCH";
      case "UNWIND":
        add("UNWIND");
        this.expression();
        this.expectWord("AS");
        this.name();
        return "UNWIND";
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
        this.pattern();
        return "CREATE";
      }
      case "MERGE":
        add("MERGE");
        this.pattern();
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
        this.list(() => this.expression());
        return "DELETE";
      case "REMOVE":
        add("REMOVE");
        this.setItems(false);
        return "REMOVE";
      default:
        return this.fail(t, `${describe(t)} is not an allowed clause; raw DML allows ${ALLOWED_CLAUSES}`);
    }
  }

  where(): void {
    if (!this.isWord("WHERE")) return;
    this.next();
    this.clauses.push("WHERE");
    this.expression();
  }

  projection(): void {
    if (this.isWord("DISTINCT")) this.next();
    const item = (): void => {
      this.expression();
      if (this.isWord("AS")) {
        this.next();
        this.name();
      }
    };
    if (this.isPunct("*")) {
      this.next();
      while (this.isPunct(",")) {
        this.next();
        item();
      }
    } else {
      this.list(item);
    }
    if (this.isWord("ORDER")) {
      this.next();
      this.expectWord("BY");
      this.list(() => {
        this.expression();
        const t = this.peek();
        if (t.kind === "word" && SORT_ORDER.has(t.value)) this.next();
      });
    }
    if (this.isWord("SKIP")) {
      this.next();
      this.expression();
    }
    if (this.isWord("LIMIT")) {
      this.next();
      this.expression();
    }
  }

  /** `n.prop = expr, …` (SET) or `n.prop, …` (REMOVE). */
  setItems(withValue: boolean): void {
    this.list(() => {
      this.name();
      this.expectPunct(".");
      this.name();
      if (withValue) {
        this.expectPunct("=");
        this.expression();
      }
    });
  }

  // ---- patterns ---------------------------------------------------------------------------

  pattern(): void {
    this.list(() => {
      const t = this.peek();
      if ((t.kind === "word" || t.kind === "quoted") && this.isPunct("=", 1)) {
        this.next();
        this.next();
      }
      this.patternElement();
    });
  }

  patternElement(): void {
    this.nested(this.peek(), () => {
      if (this.isPunct("(") && this.isPunct("(", 1)) {
        this.next();
        this.patternElement();
        this.expectPunct(")");
        return;
      }
      this.nodePattern();
      while (this.isPunct("-") || this.isPunct("<")) {
        this.relationshipPattern();
        this.nodePattern();
      }
    });
  }

  nodePattern(): void {
    this.expectPunct("(");
    const t = this.peek();
    if (t.kind === "word" || t.kind === "quoted") this.name();
    if (this.isPunct(":")) this.labels();
    if (this.isPunct("{")) this.properties();
    this.expectPunct(")");
  }

  labels(): void {
    this.expectPunct(":");
    this.name();
    while (this.isPunct(":") || this.isPunct("|")) {
      if (this.next().value === "|" && this.isPunct(":")) this.next();
      this.name();
    }
  }

  relationshipPattern(): void {
    const left = this.isPunct("<");
    if (left) this.next();
    this.expectPunct("-");
    if (this.isPunct("[")) {
      this.next();
      const t = this.peek();
      if (t.kind === "word" || t.kind === "quoted") this.name();
      if (this.isPunct(":")) this.labels();
      if (this.isPunct("*")) {
        this.next();
        if (this.peek().kind === "number") this.integer();
        if (this.isPunct("..")) {
          this.next();
          if (this.peek().kind === "number") this.integer();
        }
      }
      if (this.isPunct("{")) this.properties();
      this.expectPunct("]");
    }
    this.expectPunct("-");
    if (this.isPunct(">")) {
      if (left) this.fail(this.peek(), "a relationship pattern has at most one arrow head");
      this.next();
    }
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
    return { ok: true, clauses: new RawDmlParser(lexed.tokens, cypher, RawDmlLimits.maxDepth).statement() };
  } catch (error) {
    if (error instanceof Refusal) return refuse(error.message, error.offset);
    // Only a stack overflow can land here; refusing is the safe answer.
    return refuse("raw DML is too complex to check", 0);
  }
}

