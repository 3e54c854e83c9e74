/**
 * The rules the raw DML checker applies to values while it parses (see raw-dml-values.ts): which
 * variables hold what, the statement's size budget, where a node/relationship/path or a bare NULL
 * may not go, and how a call to an allowlisted function is judged.
 * @module
 */
import type { Token } from "./cypher-lexer.ts";
import { EXCLUDED_FUNCTIONS, RAW_DML_FUNCTIONS, graphKindsFor, type CallArg, type CallSite, type FunctionSpec } from "./raw-dml-functions.ts";
import { FORBIDDEN_KEYWORDS } from "./raw-dml-vocabulary.ts";
import { Budget, GRAPH, Kind, STORED, UNKNOWN, describeKinds, onlyKinds, type SizeLimits, type Val } from "./raw-dml-values.ts";
import { describe, TokenCursor } from "./token-cursor.ts";

/** A backticked function name Kuzu would read as that function (`` `Uuid`(…) `` is `UUID`). */
export const ASCII_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Types whose values are small and fixed: a CAST to one is a scalar. */
export const SCALAR_TYPES = new Set([
  "BOOL", "BOOLEAN", "INT", "INT8", "INT16", "INT32", "INT64", "INT128", "INTEGER", "UINT8", "UINT16", "UINT32", "UINT64", "SERIAL", "FLOAT", "DOUBLE",
  "DECIMAL", "NUMERIC", "DATE", "TIMESTAMP", "TIMESTAMP_TZ", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_SEC", "INTERVAL",
]);
/** Graph kinds that may be compared with `=`/`<>` (equal internal ids mean the same entity on every replica). */
export const COMPARABLE_GRAPH = Kind.NODE | Kind.REL | Kind.PATH;

/** Why a node, relationship or path may not become a value. */
export const CONVERSION_HINT = "its internal id would become data, and internal ids differ between a replica built by replay and one built from a snapshot; use its properties (u.id)";
/** Why a bare NULL may not be an argument. */
export const NULL_HINT = "Kuzu 0.11 crashes on some functions given a bare NULL; write CAST(NULL AS <type>)";

/**
 * Variables, budget and value rules, shared by the expression, pattern and clause parsers.
 * Variables are kept by upper-case name, so `u` and `U` count as one: safe whether or not Kuzu
 * tells them apart.
 * @example class One extends ValueRules { one() { return this.variable(this.next()); } }
 */
export class ValueRules extends TokenCursor {
  protected env = new Map<string, Val>();
  readonly #budget: Budget;

  constructor(tokens: readonly Token[], source: string, maxDepth: number, limits: SizeLimits) {
    super(tokens, source, maxDepth);
    this.#budget = new Budget(limits);
  }

  /** Count a computed value against the statement's budget, refusing it past a limit. */
  protected computed(at: Token, what: string, result: Val): Val {
    if (result.kinds & GRAPH) return result;
    const over = this.#budget.spend(result.size);
    if (over !== null) this.fail(at, `${what} is too big to run on every replica: ${over}`);
    return result;
  }

  /** Refuse a node, relationship or path where a value is needed. */
  protected valueOnly(v: Val, at: Token, where: string): void {
    if ((v.kinds & GRAPH) === 0) return;
    this.fail(at, `${describeKinds(v.kinds & GRAPH)} cannot be used ${where}: ${CONVERSION_HINT}`);
  }

  /** What a variable holds; one not bound (yet) may be anything, a node included. */
  protected variable(t: Token): Val {
    return this.env.get(t.value.toUpperCase()) ?? { kinds: UNKNOWN, size: STORED };
  }

  /** `name` holds `v` from here on. */
  bind(name: Token, v: Val): void {
    this.env.set(name.value.toUpperCase(), v);
  }

  /** The allowlist entry for a function name, or a refusal saying why it is not there. */
  protected functionSpec(t: Token, fn: string): FunctionSpec {
    const spec = RAW_DML_FUNCTIONS.get(fn);
    if (spec !== undefined) return spec;
    const reason = FORBIDDEN_KEYWORDS.get(fn) ?? EXCLUDED_FUNCTIONS.get(fn) ?? "it is not on the list of built-ins raw DML may call (deterministic, safe in Kuzu 0.11, with a cost that can be bounded)";
    return this.fail(t, `function ${describe(t)} is not allowed in raw DML: ${reason}`);
  }

  /** Arity, bare NULLs and graph values in the arguments, then the function's own rules and size. */
  protected checkedCall(t: Token, fn: string, spec: FunctionSpec, args: readonly CallArg[]): Val {
    const [min, max] = spec.arity;
    if (args.length < min || args.length > max) {
      const wanted = min === max ? `${min}` : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} to ${max}`;
      this.fail(t, `${fn} takes ${wanted} argument${wanted === "1" ? "" : "s"}, not ${args.length}`);
    }
    args.forEach((a, i) => {
      if (a.val.kinds & Kind.NULL) this.fail(a.at, `an untyped NULL cannot be passed to ${fn}: ${NULL_HINT}`);
      const allowed = graphKindsFor(spec, i);
      const graph = a.val.kinds & GRAPH;
      if (graph & ~allowed) this.fail(a.at, `${describeKinds(graph & ~allowed)} cannot be passed to ${fn}: ${allowed === 0 ? CONVERSION_HINT : `it takes ${describeKinds(allowed)}`}`);
      if (spec.needsGraph === i && !onlyKinds(a.val.kinds, allowed)) {
        this.fail(a.at, `${fn} takes ${describeKinds(allowed)}, and this may be ${describeKinds(a.val.kinds & ~allowed || a.val.kinds)} (Kuzu 0.11 crashes on anything else)`);
      }
    });
    const site: CallSite = {
      name: fn,
      args,
      fail: (index, message) => this.fail(index === null ? t : (args[index]?.at ?? t), message),
    };
    return this.computed(t, `${fn}(…)`, spec.result(site));
  }
}
