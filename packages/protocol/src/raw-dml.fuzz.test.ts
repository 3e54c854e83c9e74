/**
 * Property-based fuzzing of the raw DML gate: it never throws, and a forbidden keyword outside
 * strings and comments is refused however it is cased, spaced, commented or placed.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { fuzzRuns, fuzzTimeout } from "./fuzz-runs.ts";
import { checkRawDml, type RawDmlCheck } from "./raw-dml.ts";
import { FORBIDDEN_KEYWORDS } from "./raw-dml-vocabulary.ts";

const RUNS = fuzzRuns(300);

/** Shape every result must have, whatever the input. */
function wellFormed(r: RawDmlCheck, input: string): void {
  if (r.ok) {
    expect(r.clauses.length).toBeGreaterThan(0);
    return;
  }
  expect(r.code).toBe("RAW_DML_FORBIDDEN");
  expect(typeof r.message).toBe("string");
  expect(r.offset).toBeGreaterThanOrEqual(0);
  expect(r.offset).toBeLessThanOrEqual(Math.max(input.length, 0));
}

/**
 * Reference for texts with no quote, backtick or slash (so no strings, names or comments): the
 * words are the runs of [A-Za-z0-9_$]; is one of them forbidden (DETACH only without DELETE)?
 */
function plainTextHasForbiddenWord(text: string): boolean | undefined {
  if (/['"`/]/.test(text)) return undefined;
  const words = text.match(/[A-Za-z0-9_$]+/g) ?? [];
  return words.some((w, i) => {
    const upper = w.toUpperCase();
    if (/^[0-9]/.test(w) || !FORBIDDEN_KEYWORDS.has(upper)) return false;
    return upper !== "DETACH" || words[i + 1]?.toUpperCase() !== "DELETE";
  });
}

const FORBIDDEN = [...FORBIDDEN_KEYWORDS.keys()].filter((k) => k !== "DETACH");
const forbiddenWord = fc.oneof(fc.mixedCase(fc.constantFrom(...FORBIDDEN.map((k) => k.toLowerCase()))), fc.constant("DETACH mydb"));

const ALLOWED_WORDS = ["MATCH", "OPTIONAL", "WHERE", "WITH", "UNWIND", "AS", "CREATE", "MERGE", "ON", "SET", "DELETE", "DETACH DELETE", "REMOVE", "RETURN", "ORDER", "BY", "SKIP", "LIMIT", "DISTINCT", "AND", "OR", "NOT", "XOR", "CASE", "WHEN", "THEN", "ELSE", "END", "IS", "NULL", "IN", "STARTS", "ENDS", "CONTAINS", "TRUE", "FALSE", "COUNT", "CAST", "u", "User", "name", "id", "lower", "size"];
const gap = fc.constantFrom(" ", "\n", "\t", " /* c */ ", "/**/", " // x\n", "\r\n");
const fragment = fc.oneof(
  fc.mixedCase(fc.constantFrom(...ALLOWED_WORDS.map((w) => w.toLowerCase()))),
  // " / " keeps a following "/**/" gap from turning into a `//` comment.
  fc.constantFrom("(", ")", "[", "]", "{", "}", ",", ".", ":", "=", "<>", "<", ">", "-", "+", "*", " / ", "%", "..", ";", "|", "$p", "1", "2.5", "`n a`"),
  fc.string({ maxLength: 12 }).map((s) => `'${s.replace(/[\\']/g, "")}'`),
  fc.string({ maxLength: 12 }).map((s) => `/* ${s.replace(/\*/g, "")} */`),
);
/** Token soup: self-contained fragments, each followed by whitespace or a comment. */
const soup = fc.array(fc.tuple(fragment, gap).map(([f, g]) => f + g), { maxLength: 30 });

/** Allowed statements with `§` where a clause or token may start (never inside a string). */
const TEMPLATES = [
  "MATCH (u:User {id: 'LOAD FROM x'})§SET u.name = 'CALL'§RETURN u.name§",
  "§MERGE (u:User {id: 'a'})§ON CREATE SET§u.name = \"COPY\"§ON MATCH SET u.name = upper(u.name)§",
  "UNWIND [1, 2] AS i§CREATE (:User {id: 'x' + CAST(i AS STRING)})§",
  "MATCH (a:User), (b:User)§WHERE a.id = 'a' AND b.id <> 'DROP'§CREATE (a)-[:FOLLOWS]->(b)§",
  "MATCH (u:User)§WITH u ORDER BY u.id LIMIT 1§DETACH DELETE u§",
  "MATCH (u:User) SET u.name = CASE§WHEN u.name IS NULL THEN§'x'§ELSE lower(§u.name) END§",
];
const spliced = (insert: fc.Arbitrary<string>) =>
  fc.tuple(fc.constantFrom(...TEMPLATES), fc.nat(), insert, gap, gap).map(([t, at, word, g1, g2]) => {
    const parts = t.split("§");
    const cut = 1 + (at % (parts.length - 1));
    return [...parts.slice(0, cut), `${g1}${word}${g2}`, ...parts.slice(cut)].join(" ");
  });

describe("checkRawDml (fuzzed)", () => {
  test("the templates pass without an insertion", () => {
    for (const t of TEMPLATES) expect(checkRawDml(t.replaceAll("§", " "))).toMatchObject({ ok: true });
  });

  test("arbitrary strings: never throws, and plain text with a forbidden word is refused", () => {
    const text = fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.string({ maxLength: 200 }));
    fc.assert(
      fc.property(text, (s) => {
        const r = checkRawDml(s);
        wellFormed(r, s);
        if (plainTextHasForbiddenWord(s)) expect(r.ok).toBe(false);
      }),
      { numRuns: RUNS },
    );
  }, fuzzTimeout());

  test("token soup: never throws; a forbidden word among the tokens is always refused", () => {
    fc.assert(
      fc.property(soup, fc.option(fc.tuple(forbiddenWord, fc.nat())), (pieces, inject) => {
        const parts = [...pieces];
        // Between two pieces is always outside any string or comment.
        if (inject !== null) parts.splice(inject[1] % (parts.length + 1), 0, ` ${inject[0]} `);
        const text = parts.join("");
        const r = checkRawDml(text);
        wellFormed(r, text);
        if (inject !== null) expect(r.ok).toBe(false);
      }),
      { numRuns: RUNS },
    );
  }, fuzzTimeout());

  test("a forbidden word spliced into an allowed statement is refused, however it is cased or surrounded", () => {
    fc.assert(
      fc.property(spliced(forbiddenWord), (text) => {
        const r = checkRawDml(text);
        wellFormed(r, text);
        expect(r.ok).toBe(false);
      }),
      { numRuns: RUNS },
    );
  }, fuzzTimeout());

  test("invisible and lookalike characters spliced into an allowed statement are refused", () => {
    const tricky = fc.constantFrom("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00a0", "\u2028", "\u3000", "\u0410", "\u0415", "\uff2c", "\u2212", "\u27e8", "\u0000", "\u001c", "\u000b");
    fc.assert(
      fc.property(spliced(fc.tuple(tricky, fc.constantFrom("", "MATCH", "load", "x")).map(([c, w]) => c + w)), (text) => {
        const r = checkRawDml(text);
        wellFormed(r, text);
        expect(r.ok).toBe(false);
      }),
      { numRuns: RUNS },
    );
  }, fuzzTimeout());

  test("forbidden words inside string literals, backtick names and comments are data", () => {
    const hidden = forbiddenWord.chain((w) => fc.constantFrom(`'${w}'`, `"${w}"`, `/* ${w} */`, `// ${w}\n`));
    fc.assert(
      fc.property(fc.constantFrom(...TEMPLATES), hidden, (t, h) => {
        const text = t.replace("'a'", `'a' + ${h.startsWith("/") ? "''" : h}`).replaceAll("§", h.startsWith("/") ? ` ${h} ` : " ");
        const r = checkRawDml(text);
        wellFormed(r, text);
        expect(r).toMatchObject({ ok: true });
      }),
      { numRuns: RUNS },
    );
  }, fuzzTimeout());
});
