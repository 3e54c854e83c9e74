/**
 * A cursor over Cypher tokens for the raw DML checker's recursive-descent parsers: lookahead,
 * expectations, nesting depth, and refusals that name the offending token and its position.
 * @module
 */
import type { Token } from "./cypher-lexer.ts";

const INTEGER = /^[0-9]+$/;

/**
 * Why a statement was refused, and where; thrown by the parsers and turned into a result by
 * `checkRawDml`.
 * @example throw new Refusal("CALL is not allowed (at line 1, column 1)", 0);
 */
export class Refusal {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

/**
 * `line L, column C` (1-based, columns in UTF-16 units) of an offset.
 * @example position("a\nbc", 3) // "line 2, column 2"
 */
export function position(source: string, offset: number): string {
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

/**
 * A token as a message shows it: words as written, other tokens quoted, long ones cut.
 * @example describe({ kind: "punct", value: ";", offset: 0, text: ";" }) // "\";\""
 */
export function describe(t: Token): string {
  if (t.kind === "end") return "the end of the statement";
  const text = t.text.length > 40 ? `${t.text.slice(0, 40)}…` : t.text;
  return t.kind === "word" ? text : JSON.stringify(text);
}

/**
 * Lookahead and expectations over a token list that ends with an `end` token.
 * @example
 * class Numbers extends TokenCursor { all() { this.list(() => this.integer()); } }
 */
export class TokenCursor {
  #pos = 0;
  #depth = 0;

  constructor(
    protected readonly tokens: readonly Token[],
    protected readonly source: string,
    protected readonly maxDepth: number,
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

  /** `item (',' item)*` */
  list(item: () => void): void {
    item();
    while (this.isPunct(",")) {
      this.next();
      item();
    }
  }

  /** Runs `body` one level deeper, refusing past `maxDepth` (so recursion stays bounded). */
  nested<T>(at: Token, body: () => T): T {
    if (++this.#depth > this.maxDepth) this.fail(at, `nested more than ${this.maxDepth} levels deep`);
    const result = body();
    this.#depth--;
    return result;
  }

  /** A variable, label, relationship type, property key or alias: a bare word or a `name`. */
  name(): void {
    const t = this.next();
    if (t.kind !== "word" && t.kind !== "quoted") this.fail(t, `expected a name, found ${describe(t)}`);
  }

  integer(): void {
    this.integerValue();
  }

  integerValue(): bigint {
    const t = this.next();
    if (t.kind !== "number" || !INTEGER.test(t.value)) this.fail(t, `expected an integer, found ${describe(t)}`);
    return BigInt(t.value);
  }
}
