import { describe, expect, test } from "bun:test";
import { exampleRegistry, type WireTemplate } from "@kuzu-sync/protocol";
import { CliError } from "./exit-codes.ts";
import { coerceValue, describeParams, parseParams, tokenize } from "./params.ts";

const template = (name: string): WireTemplate => exampleRegistry.toWire().templates.find((t) => t.name === name)!;

describe("tokenize", () => {
  test("splits like a shell, with both quote styles and escapes", () => {
    expect(tokenize(`CREATE_USER id=u1 name="Alice Smith"`)).toEqual(["CREATE_USER", "id=u1", "name=Alice Smith"]);
    expect(tokenize(`  a='x "y" z'   b="say \\"hi\\"\\n" c=\\ d e=""`)).toEqual(["a=x \"y\" z", 'b=say "hi"\n', "c= d", "e="]);
    expect(tokenize("")).toEqual([]);
  });

  test("an unterminated quote is a usage error", () => {
    expect(() => tokenize(`name="Alice`)).toThrow(CliError);
    expect(() => tokenize(`name='Alice`)).toThrow(/unterminated/);
  });
});

describe("parseParams", () => {
  test("the template's schema decides the type: integer params become numbers, string params stay strings", () => {
    expect(parseParams(["counterId=5", "amount=5"], template("INCREMENT_COUNTER"))).toEqual({ counterId: "5", amount: 5 });
    expect(parseParams(["id=u1", "name=5"], template("CREATE_USER"))).toEqual({ id: "u1", name: "5" });
    expect(parseParams(["counterId=c", "amount=-12"], template("INCREMENT_COUNTER"))).toEqual({ counterId: "c", amount: -12 });
  });

  test("text that is not a literal of the parameter's type is a usage error saying what it takes", () => {
    expect(() => parseParams(["counterId=c", "amount=lots"], template("INCREMENT_COUNTER"))).toThrow(new CliError('amount: expected integer, got "lots"', 2));
    expect(() => parseParams(["counterId=c", "amount=1.5"], template("INCREMENT_COUNTER"))).toThrow('amount: expected integer, got "1.5"');
    expect(() => parseParams(["counterId=c", "amount=1.5"], template("INCREMENT_COUNTER"))).toThrow(CliError);
  });

  test("unknown templates and parameters keep strings; := takes JSON; --json is the base", () => {
    expect(parseParams(["x=5"], undefined)).toEqual({ x: "5" });
    expect(parseParams(["tags:=[\"a\",1]", "n:=null"], undefined)).toEqual({ tags: ["a", 1], n: null });
    expect(parseParams(["name=B"], template("CREATE_USER"), '{"id":"u1","name":"A"}')).toEqual({ id: "u1", name: "B" });
  });

  test("malformed input is a usage error naming the problem", () => {
    expect(() => parseParams(["idu1"], undefined)).toThrow(/expected key=value/);
    expect(() => parseParams(["=x"], undefined)).toThrow(/expected key=value/);
    expect(() => parseParams(["a-b=1"], undefined)).toThrow(/not a parameter name/);
    expect(() => parseParams(["a=1", "a=2"], undefined)).toThrow(/twice/);
    expect(() => parseParams(["a:={"], undefined)).toThrow(/JSON value/);
    expect(() => parseParams([], undefined, "[1]")).toThrow(/JSON object/);
    expect(() => parseParams([], undefined, "{nope")).toThrow(/not valid JSON/);
  });
});

describe("coerceValue", () => {
  test("covers number, boolean, null, object and unions", () => {
    expect(coerceValue("2.5e3", { type: "number" })).toBe(2500);
    expect(coerceValue("true", { type: "boolean" })).toBe(true);
    expect(coerceValue("null", { anyOf: [{ type: "integer" }, { type: "null" }] })).toBeNull();
    expect(coerceValue("7", { anyOf: [{ type: "integer" }, { type: "null" }] })).toBe(7);
    expect(coerceValue('{"a":1}', { type: "object" })).toEqual({ a: 1 });
    expect(() => coerceValue("[1]", { type: "object" }, "o")).toThrow('o: expected a JSON object, got "[1]"');
    expect(() => coerceValue("yes", { type: ["boolean", "null"] }, "b")).toThrow('b: expected true or false or null, got "yes"');
    expect(coerceValue("anything", {})).toBe("anything"); // no type declared: the server judges
    expect(coerceValue("7", { type: ["string", "integer"] })).toBe("7");
    expect(coerceValue("2", { enum: [1, 2, 3] })).toBe(2);
  });
});

test("describeParams marks required parameters and shows defaults", () => {
  expect(describeParams(template("INCREMENT_COUNTER"))).toBe("counterId*: string, amount: integer = 1");
  expect(describeParams(template("CREATE_USER"))).toBe("id*: string, name*: string, email: string");
});
