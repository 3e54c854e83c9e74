/**
 * A fail-closed tokenizer for Kuzu's Cypher dialect, used by the raw DML checker.
 *
 * It has to cut text into tokens exactly where Kuzu's own (ANTLR) lexer does, or a keyword could
 * hide inside what one side thinks is a string or a comment. Wherever the two could disagree it
 * refuses instead of guessing:
 * - only ASCII outside string literals and backtick names (Kuzu also reads U+00A0, U+2028, `〈`,
 *   `－`, … as whitespace, arrows and dashes; lookalike letters and zero-width characters go too);
 * - string escapes only from the set Kuzu 0.11 lexes (`\\ \' \" \b \f \n \r \t`, `\uXXXX`,
 *   `\UXXXXXXXX`); on any other escape Kuzu's lexer drops out of the string and reads its content
 *   as code;
 * - `/* … *\/` closed only by an odd run of `*` before `/`: Kuzu's comment rule pairs stars, so
 *   `/** x **\/` does not end there and swallows text up to a later `*\/`;
 * - a `//` comment ends at `\n`; a lone `\r` inside it makes Kuzu give up on the comment.
 * @module
 */

/** What a token is; `word` is a bare identifier or keyword, `quoted` a backtick name. */
export type TokenKind = "word" | "quoted" | "string" | "number" | "param" | "punct" | "end";

export interface Token {
  readonly kind: TokenKind;
  /**
   * `word`: upper-cased text (keywords compare case-insensitively); `quoted`: the name between
   * the backticks; `punct`: the operator; otherwise the source text.
   */
  readonly value: string;
  /** Offset of the first character in the source (UTF-16 units). */
  readonly offset: number;
  /** Source text of the token. */
  readonly text: string;
}

export type LexResult =
  | { readonly ok: true; readonly tokens: readonly Token[] }
  | { readonly ok: false; readonly message: string; readonly offset: number };

/** Multi-character operators of Kuzu's grammar, longest first (ANTLR takes the longest match). */
const OPERATORS = ["<>", "<=", ">=", "<<", ">>", "=~", "..", "!=", "(", ")", "[", "]", "{", "}", ",", ".", ":", ";", "=", "<", ">", "+", "-", "*", "/", "%", "^", "|", "&", "!"];

const isDigit = (c: string): boolean => c >= "0" && c <= "9";
const isHex = (c: string): boolean => isDigit(c) || (c >= "a" && c <= "f") || (c >= "A" && c <= "F");
const isIdentStart = (c: string): boolean => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
/** Kuzu's IdentifierPart is ID_Continue plus currency symbols, so `a$b` is one name. */
const isIdentPart = (c: string): boolean => isIdentStart(c) || isDigit(c) || c === "$";

/**
 * The code point at `at` as `U+XXXX`, for messages that must show invisible characters.
 * @example codePointLabel("a\u200bb", 1) // "U+200B"
 */
export function codePointLabel(text: string, at: number): string {
  const cp = text.codePointAt(at) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Split `source` into tokens, dropping whitespace and comments; fails on anything Kuzu could lex
 * differently. The last token is always `end`.
 * @example
 * const r = tokenizeCypher("MATCH (u:User) RETURN u // done");
 * if (r.ok) r.tokens.map((t) => t.value); // ["MATCH", "(", "U", ":", "USER", ")", "RETURN", "U", ""]
 */
export function tokenizeCypher(source: string): LexResult {
  const tokens: Token[] = [];
  const fail = (message: string, offset: number): LexResult => ({ ok: false, message, offset });
  const n = source.length;
  let i = 0;
  while (i < n) {
    const c = source[i] as string;
    const start = i;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "/" && source[i + 1] === "/") {
      i += 2;
      while (i < n && source[i] !== "\n") {
        if (source[i] === "\r" && source[i + 1] !== "\n") return fail("a carriage return inside a // comment must be followed by a line feed", i);
        i++;
      }
    } else if (c === "/" && source[i + 1] === "*") {
      i += 2;
      let closed = false;
      while (i < n) {
        if (source[i] !== "*") {
          i++;
          continue;
        }
        let j = i;
        while (source[j] === "*") j++;
        if (source[j] === "/") {
          if ((j - i) % 2 === 0) return fail("an even run of '*' before '/' does not close a comment in Kuzu", i);
          i = j + 1;
          closed = true;
          break;
        }
        i = j;
      }
      if (!closed) return fail("unterminated /* comment", start);
    } else if (c === "'" || c === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const d = source[i] as string;
        if (d === c) {
          i++;
          closed = true;
          break;
        }
        if (d !== "\\") {
          i++;
          continue;
        }
        const e = source[i + 1] ?? "";
        if ("\\'\"bBfFnNrRtT".includes(e) && e !== "") {
          i += 2;
        } else if (e === "u" || e === "U") {
          let k = 0;
          while (k < 8 && isHex(source[i + 2 + k] ?? "")) k++;
          if (k < 4) return fail(`string escape \\${e} needs 4 or 8 hex digits`, i);
          i += 2 + (k === 8 ? 8 : 4);
        } else {
          return fail(`string escape \\${e === "" ? "" : JSON.stringify(e).slice(1, -1)} is not one Kuzu accepts`, i);
        }
      }
      if (!closed) return fail("unterminated string literal", start);
      tokens.push({ kind: "string", value: source.slice(start, i), offset: start, text: source.slice(start, i) });
    } else if (c === "`") {
      let name = "";
      i++;
      for (;;) {
        const close = source.indexOf("`", i);
        if (close < 0) return fail("unterminated `name`", start);
        name += source.slice(i, close);
        i = close + 1;
        if (source[i] !== "`") break;
        name += "`";
        i++;
      }
      if (name === "") return fail("empty `` name", start);
      tokens.push({ kind: "quoted", value: name, offset: start, text: source.slice(start, i) });
    } else if (isIdentStart(c)) {
      while (i < n && isIdentPart(source[i] as string)) i++;
      const text = source.slice(start, i);
      tokens.push({ kind: "word", value: text.toUpperCase(), offset: start, text });
    } else if (c === "$") {
      i++;
      if (isIdentStart(source[i] ?? "")) while (i < n && isIdentPart(source[i] as string)) i++;
      else while (i < n && isDigit(source[i] as string)) i++;
      if (i === start + 1) return fail("'$' must be followed by a parameter name", start);
      tokens.push({ kind: "param", value: source.slice(start, i), offset: start, text: source.slice(start, i) });
    } else if (isDigit(c) || (c === "." && isDigit(source[i + 1] ?? ""))) {
      while (isDigit(source[i] ?? "")) i++;
      const intEnd = i;
      if (source[i] === "." && isDigit(source[i + 1] ?? "")) {
        i++;
        while (isDigit(source[i] ?? "")) i++;
      }
      if ((source[i] === "e" || source[i] === "E") && (isDigit(source[i + 1] ?? "") || (source[i + 1] === "-" && isDigit(source[i + 2] ?? "")))) {
        i += 2;
        while (isDigit(source[i] ?? "")) i++;
      }
      const text = source.slice(start, i);
      // Kuzu lexes `007` as three tokens and `1abc`/`0x1F` as a number then a name: refuse both.
      if (c === "0" && intEnd - start > 1 && intEnd === i) return fail(`integer ${text} has a leading zero`, start);
      if (isIdentPart(source[i] ?? "") || source[i] === "`") return fail(`malformed number ${JSON.stringify(source.slice(start, i + 1))}`, start);
      tokens.push({ kind: "number", value: text, offset: start, text });
    } else {
      const code = c.charCodeAt(0);
      if (code < 0x20 || code === 0x7f) return fail(`control character ${codePointLabel(source, i)} outside a string literal`, i);
      if (code > 0x7e) return fail(`character ${codePointLabel(source, i)} is only allowed inside string literals and \`names\``, i);
      const op = OPERATORS.find((o) => source.startsWith(o, i));
      if (op === undefined) return fail(`unexpected character ${JSON.stringify(c)}`, i);
      i += op.length;
      tokens.push({ kind: "punct", value: op, offset: start, text: op });
    }
  }
  tokens.push({ kind: "end", value: "", offset: n, text: "" });
  return { ok: true, tokens };
}

/**
 * The value of a string literal token: quotes removed, Kuzu's escapes decoded.
 * @example stringLiteralValue("'a\\nb'") // "a\nb"
 */
export function stringLiteralValue(text: string): string {
  const body = text.slice(1, -1);
  if (!body.includes("\\")) return body;
  const simple: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
  return body.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (_m, e: string) => {
    if (e.length > 1) return String.fromCodePoint(Math.min(Number.parseInt(e.slice(1), 16), 0x10ffff));
    return simple[e.toLowerCase()] ?? e;
  });
}

/**
 * UTF-8 length, without allocating.
 * @example utf8Length("é") // 2
 */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 2 : 3;
  }
  return n;
}
