import { describe, expect, test } from "bun:test";
import { checkReadOnlyCypher } from "./read-only-cypher.ts";

describe("checkReadOnlyCypher", () => {
  test.each([
    "MATCH (u:User) RETURN u.id AS id ORDER BY id",
    "MATCH (u:User) WHERE u.name = 'CREATE (x)' RETURN count(*)",
    "MATCH (a)-[:FOLLOWS]->(b) RETURN a.id, b.id LIMIT 5;",
    "CALL show_tables() RETURN *",
    "RETURN 1 // DELETE everything",
  ])("accepts %s", (q) => expect(checkReadOnlyCypher(q)).toEqual({ ok: true }));

  test.each([
    ["MATCH (u:User) DETACH DELETE u", /DETACH/],
    ["create (:User {id: 'x'})", /CREATE/],
    ["MATCH (u) SET u.name = 'x' RETURN u", /SET/],
    ["RETURN 1; MATCH (n) DELETE n", /DELETE|one statement/],
    ["RETURN 1; RETURN 2", /one statement/],
    ["COPY User FROM 'x.csv'", /COPY/],
    ["LOAD FROM 'file.csv' RETURN *", /LOAD/],
    ["", /empty/],
    ["RETURN 'unterminated", /./],
  ])("rejects %s", (q, message) => {
    const r = checkReadOnlyCypher(q);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});
