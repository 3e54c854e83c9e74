import { describe, expect, test } from "bun:test";
import { tokenizeCypher } from "./cypher-lexer.ts";

function tokens(source: string): string[] {
  const r = tokenizeCypher(source);
  if (!r.ok) throw new Error(r.message);
  return r.tokens.map((t) => `${t.kind}:${t.value}`);
}

function refusal(source: string): string {
  const r = tokenizeCypher(source);
  if (r.ok) throw new Error(`expected a refusal for ${JSON.stringify(source)}`);
  return r.message;
}

describe("tokenizeCypher", () => {
  test("cuts keywords, names, literals and operators, dropping whitespace and comments", () => {
    expect(tokens("MATCH (u:User {id: $id})-[:FOLLOWS*1..2]->(v) // tail\nWHERE v.n <> 'x' /* c */ RETURN v.`a``b`, 1.5e-3, .5")).toEqual([
      "word:MATCH", "punct:(", "word:U", "punct::", "word:USER", "punct:{", "word:ID", "punct::", "param:$id", "punct:}", "punct:)",
      "punct:-", "punct:[", "punct::", "word:FOLLOWS", "punct:*", "number:1", "punct:..", "number:2", "punct:]", "punct:-", "punct:>",
      "punct:(", "word:V", "punct:)", "word:WHERE", "word:V", "punct:.", "word:N", "punct:<>", "string:'x'", "word:RETURN", "word:V",
      "punct:.", "quoted:a`b", "punct:,", "number:1.5e-3", "punct:,", "number:.5", "end:",
    ]);
  });

  test("keeps keywords inside strings, backtick names and comments as data", () => {
    expect(tokens(`RETURN 'LOAD FROM x', "CALL \\" y", \`COPY\` /* ATTACH */ // INSTALL`)).toEqual([
      "word:RETURN", "string:'LOAD FROM x'", "punct:,", 'string:"CALL \\" y"', "punct:,", "quoted:COPY", "end:",
    ]);
  });

  test("reads `a$b` as one name, like Kuzu (currency symbols continue identifiers)", () => {
    expect(tokens("a$b $p $1")).toEqual(["word:A$B", "param:$p", "param:$1", "end:"]);
  });

  test("block comments close only on an odd run of stars, as in Kuzu's grammar", () => {
    expect(tokens("1 /**/ 2 /* a ***/ 3")).toEqual(["number:1", "number:2", "number:3", "end:"]);
    expect(refusal("1 /** a **/ 2")).toContain("even run of '*'");
    expect(refusal("1 /***/ 2")).toContain("even run of '*'");
    expect(refusal("1 /* open")).toContain("unterminated /* comment");
  });

  test("a // comment ends at a line feed; a lone carriage return is refused", () => {
    expect(tokens("1 // x\r\n2")).toEqual(["number:1", "number:2", "end:"]);
    expect(refusal("1 // x\r2")).toContain("carriage return");
  });

  test("string escapes: only those Kuzu 0.11 lexes", () => {
    expect(tokens(String.raw`'\\ \' \" \b \f \n \r \t \N \u0041 \U0001F600'`)).toHaveLength(2);
    for (const bad of [String.raw`'\x41'`, String.raw`'\q'`, String.raw`'\u12'`, String.raw`'\0'`, "'\\"]) {
      expect(refusal(bad)).toMatch(/escape|unterminated/);
    }
    expect(refusal(`"abc\\"`)).toContain("unterminated string");
  });

  test("refuses non-ASCII and control characters outside strings, keeps them inside", () => {
    expect(tokens("RETURN 'Zoë 🚀 \u200b', `名前`")).toEqual(["word:RETURN", "string:'Zoë 🚀 \u200b'", "punct:,", "quoted:名前", "end:"]);
    expect(refusal("MATCH\u00a0(n)")).toContain("U+00A0");
    expect(refusal("RETURN n\u200b")).toContain("U+200B");
    expect(refusal("ＬＯＡＤ")).toContain("U+FF2C");
    expect(refusal("RETURN 1\u001c")).toContain("control character U+001C");
    expect(refusal("RETURN 1\u0000")).toContain("control character U+0000");
  });

  test("refuses numbers Kuzu would split differently, empty and unterminated names", () => {
    expect(refusal("RETURN 007")).toContain("leading zero");
    expect(refusal("RETURN 0x1F")).toContain("malformed number");
    expect(refusal("RETURN 1abc")).toContain("malformed number");
    expect(refusal("RETURN ``")).toContain("empty");
    expect(refusal("RETURN `abc")).toContain("unterminated");
    expect(refusal("RETURN $")).toContain("parameter name");
    expect(refusal("RETURN 1 # 2")).toContain("unexpected character");
  });
});
