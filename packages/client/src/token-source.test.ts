import { describe, expect, test } from "bun:test";
import { ErrorCode } from "@kuzu-sync/protocol";
import { fetchToken } from "./token-source.ts";

describe("fetchToken", () => {
  test("a token, or UNAUTHORIZED naming what went wrong", async () => {
    expect(await fetchToken(() => "t1")).toBe("t1");
    expect(await fetchToken(async () => "t2")).toBe("t2");
    await expect(fetchToken(() => "")).rejects.toMatchObject({ code: ErrorCode.UNAUTHORIZED, message: "getToken() returned no token" });
    await expect(fetchToken(() => Promise.reject(new Error("vault down")))).rejects.toMatchObject({ code: ErrorCode.UNAUTHORIZED, message: "getToken() failed: vault down" });
  });
});
