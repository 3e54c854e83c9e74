import { describe, expect, test } from "bun:test";
import { REDACTED, isParamsAttribute, isSecretAttribute, redactAttributes } from "./redact.ts";
import { SeverityNumber } from "./logger.ts";

describe("isSecretAttribute", () => {
  test.each([
    "token",
    "authorization",
    "Authorization",
    "http.request.header.authorization",
    "accessToken",
    "refresh_token",
    "x-api-key",
    "apiKey",
    "password",
    "db.password",
    "clientSecret",
    "cookie",
  ])("%p is a secret", (key) => expect(isSecretAttribute(key)).toBe(true));

  test.each(["tokenCount", "template", "seq", "idempotency_key", "s3.key", "params", "author"])(
    "%p is not a secret",
    (key) => expect(isSecretAttribute(key)).toBe(false),
  );
});

describe("isParamsAttribute", () => {
  test.each(["params", "parameters", "event.params", "queryParams", "cypher_parameters"])("%p holds params", (key) =>
    expect(isParamsAttribute(key)).toBe(true),
  );
  test.each(["paramCount", "template", "param_schema"])("%p does not", (key) =>
    expect(isParamsAttribute(key)).toBe(false),
  );
});

describe("redactAttributes", () => {
  const attrs = { template: "CREATE_USER", params: '{"name":"Ada"}', token: "t0k", seq: 7 };

  test("at INFO and above, params and secrets are replaced", () => {
    for (const level of ["info", "warn", "error", "fatal"] as const) {
      expect(redactAttributes(attrs, SeverityNumber[level])).toEqual({
        template: "CREATE_USER",
        params: REDACTED,
        token: REDACTED,
        seq: 7,
      });
    }
  });

  test("at DEBUG, params are kept but secrets are still replaced", () => {
    expect(redactAttributes(attrs, SeverityNumber.debug)).toEqual({
      template: "CREATE_USER",
      params: '{"name":"Ada"}',
      token: REDACTED,
      seq: 7,
    });
  });

  test("returns the same object when nothing is sensitive, and never mutates the input", () => {
    const clean = { template: "X", seq: 1 };
    expect(redactAttributes(clean, SeverityNumber.info)).toBe(clean);
    const copy = { ...attrs };
    redactAttributes(attrs, SeverityNumber.info);
    expect(attrs).toEqual(copy);
  });

  test("null and undefined values are left alone", () => {
    expect(redactAttributes({ token: null, params: undefined }, SeverityNumber.info)).toEqual({
      token: null,
      params: undefined,
    });
  });
});
