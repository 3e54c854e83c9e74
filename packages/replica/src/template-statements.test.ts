import { describe, expect, test } from "bun:test";
import { exampleRegistry } from "@kuzu-sync/protocol";
import { bindParams, describeStatement } from "./template-statements.ts";

describe("template statements", () => {
  test("each statement names its own parameters, and says whether it updates rows in place", () => {
    expect(describeStatement("MERGE (p:Post {id: $id}) SET p.authorId = $authorId, p.content = $content")).toEqual({ params: ["id", "authorId", "content"], updates: true });
    expect(describeStatement("MATCH (a:User), (p:Post) WHERE a.id = $authorId AND p.id = $id MERGE (a)-[:AUTHORED]->(p)")).toEqual({ params: ["authorId", "id"], updates: false });
    expect(describeStatement("MATCH (u:User {id: $id}) REMOVE u.email")).toEqual({ params: ["id"], updates: true });
    expect(describeStatement("MATCH (u:User {id: '$notAParam'}) RETURN u")).toEqual({ params: [], updates: false });
    // Text it cannot tokenize gets every parameter and counts as updating.
    expect(describeStatement("MATCH (u:User) RETURN 'é'é")).toEqual({ params: null, updates: true });
  });

  test("bindParams binds every declared parameter, absent optional ones as null", () => {
    const t = exampleRegistry.toWire().templates.find((x) => x.name === "CREATE_USER")!;
    expect(bindParams(t, { id: "u1", name: "A" })).toEqual({ id: "u1", name: "A", email: null });
  });
});
