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
import { tokenizeCypher, type Token } from "./cypher-lexer.ts";
import { ErrorCode } from "./errors.ts";
import { DETERMINISTIC_FUNCTIONS, FORBIDDEN_KEYWORDS } from "./raw-dml-vocabulary.ts";

/** Bounds on a raw DML statement. */
export const RawDmlLimits = {
  /** Longest statement accepted, in UTF-16 code units. */
  maxLength: 65_536,
  /** Deepest nesting of expressions and patterns (each `(`, `[`, `{`, CASE, call). */
  maxDepth: 64,
} as const;

/** Outcome of {@link checkRawDml}. */
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
/** Symbol operators from loosest to tightest binding, as in Kuzu's grammar. */
const OPERATOR_LEVELS: readonly ReadonlySet<string>[] = [
  new Set(["=", "<>", "<", "<=", ">", ">="]),
  new Set(["|"]),
  new Set(["&"]),
  new Set(["<<", ">>"]),
  new Set(["+", "-"]),
  new Set(["*", "/", "%"]),
  new Set(["^"]),
];
const SORT_ORDER = new Set(["ASC", "ASCENDING", "DESC", "DESCENDING"]);
const ASCII_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INTEGER = /^[0-9]+$/;

/** Thrown inside the parser only; {@link checkRawDml} turns it into a result. */
class Refusal {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

function position(source: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

function describe(t: Token): string {
  if (t.kind === "end") return "the end of the statement";
  const text = t.text.length > 40 ? `${t.text.slice(0, 40)}…` : t.text;
  return t.kind === "word" ? text : JSON.stringify(text);
}

class Parser {
  readonly clauses: string[] = [];
  #pos = 0;
  #depth = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly source: string,
  ) {}

  fail(t: Token, message: string): never {
    throw new Refusal(`${message} (at ${position(this.source, t.offset)})`, t.offset);
  }

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.#pos + ahead, this.tokens.length - 1)] as Token;
  }

  next(): Token {
    const t = this.peek();
    if (t.kind !== "end") this.#pos++;
    return t;
  }

  isWord(value: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === "word" && t.value === value;
  }

  isPunct(value: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === "punct" && t.value === value;
  }

  expectWord(...values: string[]): string {
    const t = this.next();
    if (t.kind !== "word" || !values.includes(t.value)) this.fail(t, `expected ${values.join(" or ")}, found ${describe(t)}`);
    return t.value;
  }

  expectPunct(value: string): void {
    const t = this.next();
    if (t.kind !== "punct" || t.value !== value) this.fail(t, `expected '${value}', found ${describe(t)}`);
  }

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

  list(item: () => void): void {
    item();
    while (this.isPunct(",")) {
      this.next();
      item();
    }
  }

  nested<T>(at: Token, body: () => T): T {
    if (++this.#depth > RawDmlLimits.maxDepth) this.fail(at, `nested more than ${RawDmlLimits.maxDepth} levels deep`);
    const result = body();
    this.#depth--;
    return result;
  }

  /** A variable, label, relationship type, property key or alias: a bare word or a `name`. */
  name(): void {
    const t = this.next();
    if (t.kind !== "word" && t.kind !== "quoted") this.fail(t, `expected a name, found ${describe(t)}`);
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

  integer(): void {
    const t = this.next();
    if (t.kind !== "number" || !INTEGER.test(t.value)) this.fail(t, `expected an integer, found ${describe(t)}`);
  }

  properties(): void {
    this.nested(this.peek(), () => {
      this.expectPunct("{");
      if (!this.isPunct("}")) {
        this.list(() => {
          this.name();
          this.expectPunct(":");
          this.expression();
        });
      }
      this.expectPunct("}");
    });
  }

  // ---- expressions ------------------------------------------------------------------------

  expression(): void {
    this.nested(this.peek(), () => {
      this.binary(["OR"], () => this.binary(["XOR"], () => this.binary(["AND"], () => this.negation())));
    });
  }

  /** `operand (OP operand)*` for keyword operators. */
  binary(words: readonly string[], operand: () => void): void {
    operand();
    for (;;) {
      const t = this.peek();
      if (t.kind !== "word" || !words.includes(t.value)) return;
      this.next();
      operand();
    }
  }

  negation(): void {
    while (this.isWord("NOT")) this.next();
    this.operators(0);
  }

  /** `operand (op operand)*` for the symbol operators of one precedence level and tighter. */
  operators(level: number): void {
    const ops = OPERATOR_LEVELS[level];
    if (ops === undefined) return this.predicate();
    this.operators(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.kind !== "punct" || !ops.has(t.value)) return;
      this.next();
      this.operators(level + 1);
    }
  }

  /** A unary expression with STARTS WITH / ENDS WITH / CONTAINS / =~ / IN / IS [NOT] NULL after it. */
  predicate(): void {
    this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind === "word" && (t.value === "STARTS" || t.value === "ENDS")) {
        this.next();
        this.expectWord("WITH");
        this.unary();
      } else if ((t.kind === "word" && (t.value === "CONTAINS" || t.value === "IN")) || (t.kind === "punct" && t.value === "=~")) {
        this.next();
        this.unary();
      } else if (t.kind === "word" && t.value === "IS") {
        this.next();
        if (this.isWord("NOT")) this.next();
        this.expectWord("NULL");
      } else {
        return;
      }
    }
  }

  unary(): void {
    while (this.isPunct("-")) this.next();
    this.atom();
    for (;;) {
      if (this.isPunct(".")) {
        this.next();
        if (this.isPunct("*")) this.next();
        else this.name();
      } else if (this.isPunct("[")) {
        this.nested(this.next(), () => {
          if (!this.isPunct(":") && !this.isPunct("..")) this.expression();
          if (this.isPunct(":") || this.isPunct("..")) {
            this.next();
            if (!this.isPunct("]")) this.expression();
          }
          this.expectPunct("]");
        });
      } else {
        break;
      }
    }
    if (this.isPunct("!")) this.next();
  }

  atom(): void {
    const t = this.peek();
    switch (t.kind) {
      case "number":
      case "string":
      case "param":
        this.next();
        return;
      case "punct":
        if (t.value === "(") {
          this.next();
          this.expression();
          this.expectPunct(")");
        } else if (t.value === "[") {
          this.nested(this.next(), () => {
            if (!this.isPunct("]")) this.list(() => this.expression());
            this.expectPunct("]");
          });
        } else if (t.value === "{") {
          this.nested(this.next(), () => {
            if (!this.isPunct("}")) {
              this.list(() => {
                if (this.peek().kind === "string") this.next();
                else this.name();
                this.expectPunct(":");
                this.expression();
              });
            }
            this.expectPunct("}");
          });
        } else {
          this.fail(t, `expected an expression, found ${describe(t)}`);
        }
        return;
      case "word":
        if (t.value === "TRUE" || t.value === "FALSE" || t.value === "NULL") this.next();
        else if (t.value === "CASE") this.caseExpression();
        else if (t.value === "COUNT" && this.isPunct("{", 1)) this.fail(t, "COUNT { … } subqueries are not allowed in raw DML");
        else if (t.value === "COUNT" && this.isPunct("(", 1) && this.isPunct("*", 2)) {
          this.next();
          this.next();
          this.next();
          this.expectPunct(")");
        } else if (t.value === "CAST" && this.isPunct("(", 1)) this.cast();
        else if (this.isPunct("(", 1)) this.call();
        else this.next();
        return;
      case "quoted":
        if (this.isPunct("(", 1)) this.call();
        else this.next();
        return;
      default:
        this.fail(t, `expected an expression, found ${describe(t)}`);
    }
  }

  call(): void {
    const t = this.next();
    const fn = t.kind === "quoted" && ASCII_NAME.test(t.value) ? t.value.toUpperCase() : t.kind === "word" ? t.value : "";
    if (!DETERMINISTIC_FUNCTIONS.has(fn)) {
      const reason = FORBIDDEN_KEYWORDS.get(fn);
      this.fail(t, `function ${describe(t)} is not allowed in raw DML: ${reason ?? "it is not on the list of deterministic built-ins raw DML may call"}`);
    }
    this.nested(t, () => {
      this.expectPunct("(");
      if (this.isWord("DISTINCT")) this.next();
      if (!this.isPunct(")")) this.list(() => this.expression());
      this.expectPunct(")");
    });
  }

  cast(): void {
    this.nested(this.next(), () => {
      this.expectPunct("(");
      this.expression();
      if (this.isWord("AS")) {
        this.next();
        const type = this.peek();
        this.name();
        if (type.kind === "word" && type.value === "DECIMAL" && this.isPunct("(")) {
          this.next();
          this.integer();
          this.expectPunct(",");
          this.integer();
          this.expectPunct(")");
        }
        while (this.isPunct("[")) {
          this.next();
          if (!this.isPunct("]")) this.integer();
          this.expectPunct("]");
        }
      } else {
        this.expectPunct(",");
        this.expression();
      }
      this.expectPunct(")");
    });
  }

  caseExpression(): void {
    this.nested(this.next(), () => {
      if (!this.isWord("WHEN")) this.expression();
      if (!this.isWord("WHEN")) this.fail(this.peek(), `expected WHEN, found ${describe(this.peek())}`);
      while (this.isWord("WHEN")) {
        this.next();
        this.expression();
        this.expectWord("THEN");
        this.expression();
      }
      if (this.isWord("ELSE")) {
        this.next();
        this.expression();
      }
      this.expectWord("END");
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
    return { ok: true, clauses: new Parser(lexed.tokens, cypher).statement() };
  } catch (error) {
    if (error instanceof Refusal) return refuse(error.message, error.offset);
    // Only a stack overflow can land here; refusing is the safe answer.
    return refuse("raw DML is too complex to check", 0);
  }
}

