/**
 * The expression part of the raw DML grammar: Kuzu's operators and precedence, literals, CASE,
 * CAST, COUNT(*), and calls to deterministic built-in functions only. Whatever it cannot parse it
 * refuses, so an expression can never smuggle in a subquery, a CALL or a lambda.
 * @module
 */
import { describe, TokenCursor } from "./token-cursor.ts";
import { DETERMINISTIC_FUNCTIONS, FORBIDDEN_KEYWORDS } from "./raw-dml-vocabulary.ts";

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
const ASCII_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses (and so checks) Cypher expressions; the clause parser builds on it.
 * @example new ExpressionParser(tokens, source, 64).expression(); // throws Refusal on anything else
 */
export class ExpressionParser extends TokenCursor {
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
      if (t.kind === "punct" && t.value === "!=") this.fail(t, "'!=' is not an operator in Kuzu, use '<>'");
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

  /** `{key: expr, …}` after a node or relationship pattern. */
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
}
