import { describe, expect, test } from "bun:test";
import { ErrorCode } from "@kuzu-sync/protocol";
import { dirname, existsSync, join, mkdirSync, readdirSync } from "./host-fs-browser.ts";

describe("#host-fs in a browser", () => {
  test("paths work as POSIX ones; nothing exists; persistent replicas and snapshot directories are refused clearly", () => {
    expect([dirname("/a/b/c.kuzu"), dirname("c.kuzu"), dirname("/c.kuzu"), dirname("/a/b/")]).toEqual(["/a/b", ".", "/", "/a"]);
    expect(join("/snap", "", "schema.cypher")).toBe("/snap/schema.cypher");
    expect(existsSync("/anything")).toBe(false);
    expect(() => mkdirSync("/data", { recursive: true })).toThrow(expect.objectContaining({ code: ErrorCode.INTERNAL, message: expect.stringContaining("needs the native engine") }));
    expect(() => readdirSync("/snap")).toThrow(/needs the native engine/);
  });
});
