/**
 * A cursor over Cypher tokens for the footprint analysis: lookahead, expectations, skipping an
 * expression while refusing what could read beyond a template's footprint (subqueries, pattern
 * expressions, CALL, order-dependent functions). Anything unexpected throws {@link Unknown}: the
 * template is then applied as a barrier, never misread.
 * @module
 */
import type { Token } from "@kuzu-sync/protocol";

/** Why a statement's footprint cannot be derived. */
export class Unknown {
  constructor(readonly reason: string) {}
}

/** Words that end an expression when met outside brackets. */
export const CLAUSE_WORDS = new Set([
  "MATCH", "OPTIONAL", "MERGE", "CREATE", "SET", "DELETE", "DETACH", "REMOVE", "WITH", "UNWIND", "RETURN", "WHERE",
  "ORDER", "SKIP", "LIMIT", "ON", "UNION", "CALL", "LOAD", "FOREACH", "USE", "COPY",
]);
/** Words that read or write beyond the footprint, or depend on order: the template is unknown. */
const UNKNOWN_WORDS = new Set(["EXISTS", "CALL", "NEXTVAL", "CURRVAL", "LOAD", "COPY", "FOREACH", "UNION", "IMPORT", "EXPORT", "ATTACH", "INSTALL"]);

/**
 * @example
 * class Reader extends CypherWalker { read() { while (!this.atEnd()) this.next(); } }
 */
export class CypherWalker {
  protected pos = 0;

  constructor(protected readonly tokens: readonly Token[]) {}

  /**
   * Skip one expression: up to a `,` (when `commaEnds`), a clause word, one of `extraEnds`, or a
   * `closer` outside brackets. Refuses what could read beyond the footprint.
   */
  protected skipExpression(commaEnds: boolean, extraEnds: ReadonlySet<string> = new Set(), closer?: string): void {
    let depth = 0;
    const start = this.pos;
    while (!this.atEnd()) {
      const t = this.peek();
      if (depth === 0) {
        if (t.kind === "punct" && ((commaEnds && t.value === ",") || t.value === closer || t.value === ";")) break;
        if (t.kind === "word" && (extraEnds.has(t.value) || (CLAUSE_WORDS.has(t.value) && !this.isOperatorWord(t)))) break;
      }
      if (t.kind === "punct" && (t.value === "(" || t.value === "[" || t.value === "{")) depth++;
      if (t.kind === "punct" && (t.value === ")" || t.value === "]" || t.value === "}")) {
        if (depth === 0) break;
        depth--;
      }
      this.next();
      this.checkWord(t, this.tokens[this.pos]);
      this.checkPatternLike(t, this.tokens[this.pos], this.tokens[this.pos + 1]);
    }
    if (this.pos === start) throw new Unknown(`expected an expression, found ${this.peek().text || "the end"}`);
  }

  /** `WITH` in `STARTS WITH` / `ENDS WITH` is an operator, not a clause. */
  protected isOperatorWord(t: Token): boolean {
    const prev = this.tokens[this.pos - 1];
    return t.value === "WITH" && prev !== undefined && prev.kind === "word" && (prev.value === "STARTS" || prev.value === "ENDS");
  }

  protected checkWord(t: Token, next: Token | undefined): void {
    if (t.kind !== "word") return;
    if (UNKNOWN_WORDS.has(t.value)) throw new Unknown(`${t.text} is not analysed`);
    if (t.value === "COUNT" && next?.value === "{") throw new Unknown("COUNT subqueries are not analysed");
  }

  /** Pattern expressions (`(a)-[:R]->(b)` inside WHERE or a list) read beyond the footprint. */
  protected checkPatternLike(t: Token, next: Token | undefined, after: Token | undefined): void {
    if (t.kind !== "punct" || next?.kind !== "punct") return;
    const pair = t.value + next.value;
    if (pair === "-[" || pair === "]-" || pair === "<-" || pair === "->" || pair === "--") throw new Unknown("pattern expressions are not analysed");
    if (pair === ")-" && (after?.value === "(" || after?.value === "[" || after?.value === "-")) throw new Unknown("pattern expressions are not analysed");
  }

  protected name(t: Token): string {
    if (t.kind === "word") return t.text;
    if (t.kind === "quoted") return t.value;
    throw new Unknown(`expected a name, found ${t.text || "the end"}`);
  }

  protected peek(): Token {
    return this.tokens[this.pos]!;
  }

  protected next(): Token {
    const t = this.tokens[this.pos]!;
    if (t.kind !== "end") this.pos++;
    return t;
  }

  protected atEnd(): boolean {
    const t = this.peek();
    return t.kind === "end" || (t.kind === "punct" && t.value === ";" && this.tokens[this.pos + 1]?.kind === "end");
  }

  protected isWord(value: string): boolean {
    const t = this.peek();
    return t.kind === "word" && t.value === value;
  }

  protected isPunct(value: string): boolean {
    const t = this.peek();
    return t.kind === "punct" && t.value === value;
  }

  protected isClauseWord(): boolean {
    const t = this.peek();
    return t.kind === "word" && CLAUSE_WORDS.has(t.value);
  }

  protected expectWord(value: string): void {
    const t = this.next();
    if (t.kind !== "word" || t.value !== value) throw new Unknown(`expected ${value}, found ${t.text || "the end"}`);
  }

  protected expectPunct(value: string): void {
    const t = this.next();
    if (t.kind !== "punct" || t.value !== value) throw new Unknown(`expected ${value}, found ${t.text || "the end"}`);
  }
}
