/**
 * Node and relationship patterns of the raw DML grammar (MATCH, CREATE, MERGE): they bind
 * variables, and they carry the label rule that keeps kuzu-sync's internal table out of reach.
 * @module
 */
import { ExpressionParser } from "./cypher-expression.ts";
import type { Token } from "./cypher-lexer.ts";
import { INTERNAL_TABLE } from "./internal-names.ts";
import { Kind } from "./raw-dml-values.ts";

/** Which clause a pattern belongs to: in CREATE and MERGE its property values are stored. */
export type PatternMode = "match" | "create" | "merge";

/** What one node pattern said, for the label rule (see {@link RawDmlParser.pattern}). */
interface NodeSeen {
  readonly at: Token;
  /** Upper-case variable name, if any. */
  readonly name: string | null;
  readonly labeled: boolean;
}

/** One comma-separated part of a pattern. */
interface ElementSeen {
  readonly nodes: NodeSeen[];
  /** Fewest hops of each relationship pattern (`-[*0..2]-` can match no relationship at all). */
  readonly minHops: number[];
}

/**
 * Patterns over the expression grammar; the clause parser builds on it.
 * @example new PatternParser(tokens, source, 64, RawDmlLimits).pattern("match");
 */
export class PatternParser extends ExpressionParser {
  /**
   * A clause's pattern. Binds its variables, then applies the label rule: a node pattern without a
   * label matches every node table, kuzu-sync's internal one included, so it is allowed only when
   * its variable is a node bound earlier (or labeled elsewhere in this pattern), or when a
   * relationship of at least one hop touches its part of the pattern (the internal table has no
   * relationships, so such a node is never the internal one).
   */
  pattern(mode: PatternMode): void {
    const before = new Map(this.env);
    const elements: ElementSeen[] = [];
    this.list(() => {
      const element: ElementSeen = { nodes: [], minHops: [] };
      const t = this.peek();
      if ((t.kind === "word" || t.kind === "quoted") && this.isPunct("=", 1)) {
        this.next();
        this.next();
        this.bind(t, { kinds: Kind.PATH, size: { c: 0, m: 0 } });
      }
      this.patternElement(element, mode);
      elements.push(element);
    });
    const labeled = new Set(elements.flatMap((e) => e.nodes.filter((n) => n.labeled && n.name !== null).map((n) => n.name)));
    for (const e of elements) {
      if (e.minHops.some((h) => h >= 1)) continue;
      for (const n of e.nodes) {
        if (n.labeled) continue;
        if (n.name !== null && (labeled.has(n.name) || before.get(n.name)?.kinds === Kind.NODE)) continue;
        this.fail(
          n.at,
          `a node pattern without a label and without a relationship matches every node table, kuzu-sync's internal ${INTERNAL_TABLE} included; give it a label, e.g. (n:User)`,
        );
      }
    }
  }

  patternElement(element: ElementSeen, mode: PatternMode): void {
    this.nested(this.peek(), () => {
      if (this.isPunct("(") && this.isPunct("(", 1)) {
        this.next();
        this.patternElement(element, mode);
        this.expectPunct(")");
        return;
      }
      this.nodePattern(element, mode);
      while (this.isPunct("-") || this.isPunct("<")) {
        this.relationshipPattern(element, mode);
        this.nodePattern(element, mode);
      }
    });
  }

  nodePattern(element: ElementSeen, mode: PatternMode): void {
    const open = this.peek();
    this.expectPunct("(");
    const t = this.peek();
    let name: string | null = null;
    if (t.kind === "word" || t.kind === "quoted") {
      this.name();
      name = t.value.toUpperCase();
      if (!this.env.has(name)) this.bind(t, { kinds: Kind.NODE, size: { c: 0, m: 0 } });
    }
    const labeled = this.isPunct(":");
    if (labeled) this.labels();
    if (this.isPunct("{")) this.properties(mode !== "match");
    this.expectPunct(")");
    element.nodes.push({ at: open, name, labeled });
  }

  labels(): void {
    this.expectPunct(":");
    this.name();
    while (this.isPunct(":") || this.isPunct("|")) {
      if (this.next().value === "|" && this.isPunct(":")) this.next();
      this.name();
    }
  }

  relationshipPattern(element: ElementSeen, mode: PatternMode): void {
    const left = this.isPunct("<");
    if (left) this.next();
    this.expectPunct("-");
    let minHops = 1;
    if (this.isPunct("[")) {
      this.next();
      const t = this.peek();
      const named = t.kind === "word" || t.kind === "quoted";
      if (named) this.name();
      if (this.isPunct(":")) this.labels();
      let variableLength = false;
      if (this.isPunct("*")) {
        variableLength = true;
        this.next();
        let low: number | null = null;
        if (this.peek().kind === "number") low = Number(this.integerValue());
        if (this.isPunct("..")) {
          this.next();
          if (this.peek().kind === "number") this.integer();
        }
        // `*` and `*..n` start at one hop in Kuzu; `*n` is exactly n; `*m..n` starts at m.
        minHops = low ?? 1;
      }
      if (named && !this.env.has(t.value.toUpperCase())) this.bind(t, { kinds: variableLength ? Kind.PATH : Kind.REL, size: { c: 0, m: 0 } });
      if (this.isPunct("{")) this.properties(mode !== "match");
      this.expectPunct("]");
    }
    element.minHops.push(minHops);
    this.expectPunct("-");
    if (this.isPunct(">")) {
      if (left) this.fail(this.peek(), "a relationship pattern has at most one arrow head");
      this.next();
    }
  }

  /** `{key: expr, …}` after a node or relationship pattern; `stored`: the values are written (CREATE/MERGE). */
  properties(stored: boolean): void {
    this.nested(this.peek(), () => {
      this.expectPunct("{");
      if (!this.isPunct("}")) {
        this.list(() => {
          const key = this.peek();
          this.name();
          const name = key.kind === "quoted" ? key.value : key.text;
          if (name.startsWith("_")) this.fail(key, `property ${JSON.stringify(name)} is not allowed: names starting with '_' are Kuzu's internal fields`);
          this.expectPunct(":");
          const at = this.peek();
          this.valueOnly(this.expression(), at, stored ? "as a property value" : "in a property filter");
        });
      }
      this.expectPunct("}");
    });
  }
}
