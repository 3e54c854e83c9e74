/**
 * The expression part of the raw DML grammar: Kuzu's operators and precedence, literals, CASE,
 * CAST, COUNT(*), and calls to allowlisted built-ins only. Whatever it cannot parse it refuses, so
 * an expression can never smuggle in a subquery, a CALL or a lambda.
 *
 * Parsing also evaluates what can be known before the statement runs (see raw-dml-values.ts):
 * - a node, relationship or path never becomes a value (`string(u)`, `CAST(r AS STRING)`,
 *   `properties(nodes(p), '_id')`, `u < v`, `ORDER BY u` all read Kuzu's internal ids, which
 *   differ between a replica built by replay and one built from a snapshot);
 * - an untyped `NULL` is never handed to a function (several crash Kuzu 0.11 with one);
 * - every computed value has a size bound, and the statement's total is bounded.
 * @module
 */
import { stringLiteralValue, utf8Length, type Token } from "./cypher-lexer.ts";
import { EXCLUDED_FUNCTIONS, type CallArg } from "./raw-dml-functions.ts";
import { ELEMENT_BYTES, GRAPH, Kind, SCALAR, STORED, add, describeKinds, largest, onlyKinds, times, value, type Size, type Val } from "./raw-dml-values.ts";
import { describe } from "./token-cursor.ts";
import { ASCII_NAME, COMPARABLE_GRAPH, CONVERSION_HINT, NULL_HINT, SCALAR_TYPES, ValueRules } from "./value-rules.ts";

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

/**
 * Parses (and so checks) Cypher expressions; the pattern and clause parsers build on it.
 * @example new ExpressionParser(tokens, source, 64, RawDmlLimits).expression(); // throws Refusal on anything else
 */
export class ExpressionParser extends ValueRules {
  // ---- precedence levels ----------------------------------------------------------------------

  expression(): Val {
    return this.nested(this.peek(), () => this.binary(["OR"], () => this.binary(["XOR"], () => this.binary(["AND"], () => this.negation()))));
  }

  /** `operand (OP operand)*` for keyword operators. */
  binary(words: readonly string[], operand: () => Val): Val {
    const first = this.peek();
    let v = operand();
    for (;;) {
      const t = this.peek();
      if (t.kind !== "word" || !words.includes(t.value)) return v;
      this.valueOnly(v, first, `as an operand of ${t.value}`);
      this.next();
      const at = this.peek();
      this.valueOnly(operand(), at, `as an operand of ${t.value}`);
      v = value(SCALAR);
    }
  }

  negation(): Val {
    let negated = false;
    while (this.isWord("NOT")) {
      this.next();
      negated = true;
    }
    const at = this.peek();
    const v = this.operators(0);
    if (!negated) return v;
    this.valueOnly(v, at, "after NOT");
    return value(SCALAR);
  }

  /** `operand (op operand)*` for the symbol operators of one precedence level and tighter. */
  operators(level: number): Val {
    const ops = OPERATOR_LEVELS[level];
    if (ops === undefined) return this.predicate();
    const first = this.peek();
    let v = this.operators(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.kind === "punct" && t.value === "!=") this.fail(t, "'!=' is not an operator in Kuzu, use '<>'");
      if (t.kind !== "punct" || !ops.has(t.value)) return v;
      this.next();
      const at = this.peek();
      const right = this.operators(level + 1);
      v = this.#binaryResult(t, v, first, right, at);
    }
  }

  #binaryResult(op: Token, left: Val, leftAt: Token, right: Val, rightAt: Token): Val {
    if (op.value === "=" || op.value === "<>") {
      // Same entity ⇔ same internal id on every replica; nothing else about ids is portable.
      if (((left.kinds | right.kinds) & GRAPH) === 0) return value(SCALAR);
      for (const [v, at] of [[left, leftAt], [right, rightAt]] as const) {
        if (!onlyKinds(v.kinds, COMPARABLE_GRAPH)) {
          this.fail(at, `${describeKinds(v.kinds)} cannot be compared with ${op.value} here: a node, relationship or path may only be compared with another one; ${CONVERSION_HINT}`);
        }
      }
      return value(SCALAR);
    }
    this.valueOnly(left, leftAt, `as an operand of ${op.value}`);
    this.valueOnly(right, rightAt, `as an operand of ${op.value}`);
    // `+` concatenates strings and lists; every other operator makes a number or a boolean.
    if (op.value === "+") return this.computed(op, "this '+'", value(add(left.size, right.size)));
    return value(SCALAR);
  }

  /** A unary expression with STARTS WITH / ENDS WITH / CONTAINS / IN / IS [NOT] NULL after it. */
  predicate(): Val {
    const first = this.peek();
    let v = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind === "word" && (t.value === "STARTS" || t.value === "ENDS")) {
        this.next();
        this.expectWord("WITH");
        v = this.#stringPredicate(`${t.value} WITH`, v, first);
      } else if (t.kind === "word" && (t.value === "CONTAINS" || t.value === "IN")) {
        this.next();
        v = t.value === "IN" ? this.#inPredicate(v, first) : this.#stringPredicate("CONTAINS", v, first);
      } else if (t.kind === "punct" && t.value === "=~") {
        this.fail(t, "'=~' is not allowed in raw DML: Kuzu 0.11 crashes when either side is a UUID (a UUID property, for instance); use regexp_matches(s, '^(?:…)$')");
      } else if (t.kind === "word" && t.value === "IS") {
        this.next();
        if (this.isWord("NOT")) this.next();
        this.expectWord("NULL");
        v = value(SCALAR);
      } else {
        return v;
      }
    }
  }

  #stringPredicate(op: string, left: Val, leftAt: Token): Val {
    this.valueOnly(left, leftAt, `with ${op}`);
    const at = this.peek();
    this.valueOnly(this.unary(), at, `with ${op}`);
    return value(SCALAR);
  }

  #inPredicate(left: Val, leftAt: Token): Val {
    this.valueOnly(left, leftAt, "with IN");
    const at = this.peek();
    const list = this.unary();
    this.valueOnly(list, at, "after IN");
    if (list.kinds & Kind.NULL) this.fail(at, `IN needs a list, not an untyped NULL: ${NULL_HINT}`);
    return value(SCALAR);
  }

  unary(): Val {
    const start = this.peek();
    let minus = 0;
    while (this.isPunct("-")) {
      this.next();
      minus++;
    }
    let v = this.atom();
    for (;;) {
      if (this.isPunct(".")) {
        v = this.#property(v);
      } else if (this.isPunct("[")) {
        v = this.#subscript(v, start);
      } else {
        break;
      }
    }
    if (this.isPunct("!")) this.fail(this.peek(), "'!' (factorial) is not allowed in raw DML: it loops as many times as its operand says, in one call no timeout can stop");
    if (minus === 0) return v;
    this.valueOnly(v, start, "after '-'");
    const int = v.int === undefined ? undefined : minus % 2 === 0 ? v.int : -v.int;
    return int === undefined ? { kinds: v.kinds, size: SCALAR } : value(SCALAR, { int });
  }

  #property(base: Val): Val {
    const dot = this.next();
    if (this.isPunct("*")) this.fail(this.peek(), "'.*' is not allowed in raw DML; name the properties");
    const name = this.peek();
    this.name();
    const key = name.kind === "quoted" ? name.value : name.text;
    if (key.startsWith("_")) this.fail(name, `property ${JSON.stringify(key)} is not allowed: names starting with '_' are Kuzu's internal fields (internal ids, which differ between replicas)`);
    if (onlyKinds(base.kinds, Kind.PATH | Kind.GRAPH_LIST)) {
      this.fail(dot, `${describeKinds(base.kinds)} has no properties; use nodes(p) / rels(p) and properties(list, 'name')`);
    }
    // A property of a node or relationship is one stored value; a field of a value is part of it.
    // A field of a bare NULL is still of no type (Kuzu's ANY): it stays one for the NULL rules.
    return { kinds: Kind.VALUE | (base.kinds & Kind.NULL), size: base.kinds & GRAPH ? largest(STORED, base.size) : base.size };
  }

  #subscript(base: Val, baseAt: Token): Val {
    return this.nested(this.next(), () => {
      if (this.isPunct(":") || this.isPunct("..")) this.#refuseSlice();
      const at = this.peek();
      const index = this.expression();
      if (this.isPunct(":") || this.isPunct("..")) this.#refuseSlice();
      this.expectPunct("]");
      this.valueOnly(index, at, "as a list index");
      if (base.kinds & Kind.GRAPH_LIST) {
        if (base.kinds !== Kind.GRAPH_LIST) this.valueOnly(base, baseAt, "in a list index");
        return { kinds: Kind.ELEMENT, size: { c: 0, m: 0 } };
      }
      this.valueOnly(base, baseAt, "with a list index");
      return { kinds: Kind.VALUE | (base.kinds & Kind.NULL), size: base.element ?? base.size };
    });
  }

  #refuseSlice(): never {
    return this.fail(this.peek(), "slicing (x[a:b]) is not allowed in raw DML: Kuzu 0.11 crashes when the sliced value is a UUID (a UUID property, for instance); use substring(s, start, <literal length>), left() or right()");
  }

  atom(): Val {
    const t = this.peek();
    switch (t.kind) {
      case "number":
        this.next();
        return value(SCALAR, /^[0-9]+$/.test(t.value) ? { int: BigInt(t.value) } : {});
      case "string": {
        this.next();
        // The source's own bytes (quotes aside) bound the value whatever escapes Kuzu decodes.
        return value({ c: utf8Length(t.text) - 2, m: 0 }, { text: stringLiteralValue(t.text) });
      }
      case "param":
        this.next();
        return value(STORED);
      case "punct":
        if (t.value === "(") {
          this.next();
          const v = this.expression();
          this.expectPunct(")");
          return v;
        }
        if (t.value === "[") return this.#listLiteral();
        if (t.value === "{") return this.#mapLiteral();
        return this.fail(t, `expected an expression, found ${describe(t)}`);
      case "word":
        if (t.value === "TRUE" || t.value === "FALSE") {
          this.next();
          return value(SCALAR);
        }
        if (t.value === "NULL") {
          this.next();
          return { kinds: Kind.NULL, size: SCALAR };
        }
        if (t.value === "CASE") return this.caseExpression();
        if (t.value === "COUNT" && this.isPunct("{", 1)) this.fail(t, "COUNT { … } subqueries are not allowed in raw DML");
        if (t.value === "COUNT" && this.isPunct("(", 1) && this.isPunct("*", 2)) {
          this.next();
          this.next();
          this.next();
          this.expectPunct(")");
          return value(SCALAR);
        }
        if (t.value === "CAST" && this.isPunct("(", 1)) return this.cast();
        if (this.isPunct("(", 1)) return this.call();
        this.next();
        return this.variable(t);
      case "quoted":
        if (this.isPunct("(", 1)) return this.call();
        this.next();
        return this.variable(t);
      default:
        return this.fail(t, `expected an expression, found ${describe(t)}`);
    }
  }

  #listLiteral(): Val {
    const open = this.next();
    return this.nested(open, () => {
      const sizes: Size[] = [];
      if (!this.isPunct("]")) {
        this.list(() => {
          const at = this.peek();
          const v = this.expression();
          this.valueOnly(v, at, "in a list literal");
          sizes.push(v.size);
        });
      }
      this.expectPunct("]");
      return this.computed(open, "this list", value(add(...sizes, { c: ELEMENT_BYTES * sizes.length, m: 0 }), { element: largest(...sizes) }));
    });
  }

  #mapLiteral(): Val {
    const open = this.next();
    return this.nested(open, () => {
      const sizes: Size[] = [];
      if (!this.isPunct("}")) {
        this.list(() => {
          if (this.peek().kind === "string") this.next();
          else this.name();
          this.expectPunct(":");
          const at = this.peek();
          const v = this.expression();
          this.valueOnly(v, at, "in a map literal");
          sizes.push(v.size);
        });
      }
      this.expectPunct("}");
      return this.computed(open, "this map", value(add(...sizes, { c: ELEMENT_BYTES * sizes.length, m: 0 })));
    });
  }

  call(): Val {
    const t = this.next();
    const fn = t.kind === "quoted" && ASCII_NAME.test(t.value) ? t.value.toUpperCase() : t.kind === "word" ? t.value : "";
    const spec = this.functionSpec(t, fn);
    const args: CallArg[] = [];
    this.nested(t, () => {
      this.expectPunct("(");
      if (this.isWord("DISTINCT")) this.next();
      if (!this.isPunct(")")) {
        this.list(() => {
          const at = this.peek();
          args.push({ val: this.expression(), at });
        });
      }
      this.expectPunct(")");
    });
    return this.checkedCall(t, fn, spec, args);
  }

  cast(): Val {
    const castToken = this.next();
    return this.nested(castToken, () => {
      this.expectPunct("(");
      const at = this.peek();
      const v = this.expression();
      this.valueOnly(v, at, "in CAST");
      if (!this.isWord("AS")) this.fail(this.peek(), "write CAST(x AS TYPE); the CAST(x, 'TYPE') form is not allowed in raw DML");
      this.next();
      const type = this.peek();
      this.name();
      const typeName = type.kind === "word" ? type.value : type.value.toUpperCase();
      if (typeName === "UUID") this.fail(type, `CAST to UUID is not allowed in raw DML: ${EXCLUDED_FUNCTIONS.get("UUID")}`);
      let scalar = SCALAR_TYPES.has(typeName);
      if (typeName === "DECIMAL" && this.isPunct("(")) {
        this.next();
        this.integer();
        this.expectPunct(",");
        this.integer();
        this.expectPunct(")");
      }
      while (this.isPunct("[")) {
        scalar = false;
        this.next();
        if (!this.isPunct("]")) this.integer();
        this.expectPunct("]");
      }
      if (!scalar && !this.isPunct(")")) this.fail(this.peek(), "only simple types (STRING, INT64, DATE, …, and lists of them) are allowed in a raw DML CAST");
      this.expectPunct(")");
      // A value printed as text, or text parsed into a list, is a small multiple of its size.
      return this.computed(castToken, "CAST(…)", value(scalar ? SCALAR : add(times(v.size, 16), { c: 64, m: 0 })));
    });
  }

  caseExpression(): Val {
    const open = this.next();
    return this.nested(open, () => {
      if (!this.isWord("WHEN")) {
        const at = this.peek();
        this.valueOnly(this.expression(), at, "as the subject of CASE");
      }
      if (!this.isWord("WHEN")) this.fail(this.peek(), `expected WHEN, found ${describe(this.peek())}`);
      const results: Val[] = [];
      const branch = (): void => {
        const at = this.peek();
        const v = this.expression();
        this.valueOnly(v, at, "as a result of CASE");
        results.push(v);
      };
      while (this.isWord("WHEN")) {
        this.next();
        const at = this.peek();
        this.valueOnly(this.expression(), at, "in a WHEN of CASE");
        this.expectWord("THEN");
        branch();
      }
      if (this.isWord("ELSE")) {
        this.next();
        branch();
      }
      this.expectWord("END");
      // All branches NULL (or no ELSE and NULL branches): Kuzu types it ANY, like a bare NULL.
      const allNull = results.every((r) => r.kinds === Kind.NULL);
      const size = largest(...results.map((r) => r.size));
      return allNull ? { kinds: Kind.NULL, size } : this.computed(open, "CASE", value(size));
    });
  }
}
