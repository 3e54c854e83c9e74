import { describe, expect, test } from "bun:test";
import { ConfigError, parseServerConfig } from "./config.ts";

const SECRET = "s".repeat(32);

describe("security and load settings", () => {
  test("defaults: auth off, generous limits", () => {
    const c = parseServerConfig([], {});
    if (c === "help") throw new Error("unexpected help");
    expect(c.auth).toMatchObject({ required: false, jwtSecret: null, jwksUrl: null, publicKeyFile: null, templatesClaim: "templates", allowedOrigins: null });
    expect(c.limits).toEqual({ rateLimit: 0, rateLimitBurst: 1, maxConnections: 10_000, backpressureLimit: 4 << 20, idleTimeoutSeconds: 120, helloTimeoutSeconds: 10 });
    expect(Object.isFrozen(c.auth) && Object.isFrozen(c.limits)).toBe(true);
  });

  test("flags and environment", () => {
    const c = parseServerConfig(
      ["--require-auth", "--rate-limit", "50", "--idle-timeout", "0", "--hello-timeout", "3", "--allowed-origins", "https://a.example, http://localhost:5173/"],
      { AUTH_JWT_SECRET: SECRET, MAX_CONNECTIONS: "7", BACKPRESSURE_LIMIT: "65536", AUTH_TEMPLATES_CLAIM: "kuzu_templates" },
    );
    if (c === "help") throw new Error("unexpected help");
    expect(c.auth).toMatchObject({ required: true, jwtSecret: SECRET, templatesClaim: "kuzu_templates", allowedOrigins: ["https://a.example", "http://localhost:5173"] });
    expect(c.limits).toEqual({ rateLimit: 50, rateLimitBurst: 500, maxConnections: 7, backpressureLimit: 65536, idleTimeoutSeconds: 0, helloTimeoutSeconds: 3 });
  });

  test.each([
    [["--require-auth"], {}, /^--require-auth is set but none of AUTH_JWT_SECRET/],
    [[], { REQUIRE_AUTH: "1" }, /^REQUIRE_AUTH is set but none of AUTH_JWT_SECRET/],
    [[], { REQUIRE_AUTH: "sure" }, /REQUIRE_AUTH="sure" is not a boolean/],
    [[], { AUTH_JWT_SECRET: "short" }, /AUTH_JWT_SECRET is shorter than 32/],
    [[], { AUTH_JWKS_URL: "file:///etc/keys" }, /AUTH_JWKS_URL=.* is not an http\(s\) URL/],
    [[], { AUTH_TEMPLATES_CLAIM: "sub" }, /AUTH_TEMPLATES_CLAIM="sub" names a registered JWT claim/],
    [["--auth-templates-claim", "exp"], {}, /^--auth-templates-claim exp names a registered JWT claim/],
    [[], { ALLOWED_ORIGINS: "*" }, /ALLOWED_ORIGINS: "\*" is not an origin/],
    [[], { ALLOWED_ORIGINS: "https://a.example/path" }, /ALLOWED_ORIGINS/],
    [["--rate-limit=-1"], {}, /^--rate-limit -1 is not a whole number/],
    [["--idle-timeout", "5"], {}, /^--idle-timeout 5 is below 8 seconds/],
    [["--allowed-origins", "*"], {}, /^--allowed-origins: "\*" is not an origin/],
    [[], { RATE_LIMIT_BURST: "0" }, /RATE_LIMIT_BURST=0 is out of range/],
    [[], { MAX_CONNECTIONS: "0" }, /MAX_CONNECTIONS=0 is out of range/],
    [[], { BACKPRESSURE_LIMIT: "100" }, /BACKPRESSURE_LIMIT=100 is out of range/],
    [[], { IDLE_TIMEOUT: "5" }, /IDLE_TIMEOUT=5 is below 8 seconds/],
    [[], { IDLE_TIMEOUT: "1000" }, /IDLE_TIMEOUT=1000 is out of range/],
    [["--hello-timeout=-1"], {}, /^--hello-timeout -1 is not a whole number/],
    [[], { HELLO_TIMEOUT: "601" }, /HELLO_TIMEOUT=601 is out of range/],
  ] as const)("%j %j is refused, naming the setting", (argv, env, message) => {
    expect(() => parseServerConfig(argv, env)).toThrow(ConfigError);
    expect(() => parseServerConfig(argv, env)).toThrow(message);
  });
});
