import { expect, test } from "bun:test";
import { formatEvent, formatParams, formatRegistryChange, shortClientId } from "./format.ts";
import { colorsFor, stripAnsi } from "./colors.ts";
import { formatTable, toJson } from "./table.ts";

test("a table has a header, a rule, right-aligned numbers, visible nulls and a count", () => {
  const text = formatTable([
    { id: "u1", name: "Alice", n: 5 },
    { id: "u22", name: null, n: 12345678901234n },
  ]);
  expect(text).toBe([" id  | name  |              n", "-----+-------+----------------", " u1  | Alice |              5", " u22 | null  | 12345678901234", "(2 rows)"].join("\n"));
  expect(formatTable([])).toBe("(0 rows)");
  expect(formatTable([{ s: "a\nb", o: { k: [1] }, w: "日本" }])).toBe([" s    | o         | w", "------+-----------+------", " a\\nb | {\"k\":[1]} | 日本", "(1 row)"].join("\n"));
});

test("JSON output survives BigInt", () => {
  expect(toJson([{ a: 1n, b: 2n ** 70n }])).toBe('[{"a":1,"b":"1180591620717411303424"}]');
});

test("parameters print in the syntax the REPL reads back", () => {
  expect(formatParams({ id: "u1", name: "Alice Smith", amount: 5, tags: ["a"], e: "" })).toBe('id=u1 name="Alice Smith" amount:=5 tags:=["a"] e=""');
  const line = formatEvent({ id: "e", seq: 7, template: "CREATE_USER", params: { id: "u1" }, clientId: "c1", timestamp: 0, serverTimestamp: 0 });
  expect(line).toBe("#7 CREATE_USER id=u1  · c1 00:00:00.000");
  expect(shortClientId("client-6f1c4c7e-7d1a-4b1e-9e8a-0c8c5c8f0b3a")).toBe("client-6f1c4c7e");
  expect(shortClientId("my-app")).toBe("my-app");
});

test("a registry change is one line that does not read like an event", () => {
  const hash = "3f2a9c1b7d4e".padEnd(64, "0");
  expect(formatRegistryChange({ version: 2, hash, seq: 41 })).toBe("registry version 2 (3f2a9c1b7d4e…) at seq 41");
  const coloured = formatRegistryChange({ version: 2, hash, seq: 41 }, colorsFor({ isTTY: true }, {}));
  expect(stripAnsi(coloured)).toBe("registry version 2 (3f2a9c1b7d4e…) at seq 41");
});

test("colours only on a TTY, never with NO_COLOR", () => {
  expect(colorsFor({ isTTY: true }, {}).enabled).toBe(true);
  expect(colorsFor({ isTTY: true }, { NO_COLOR: "1" }).enabled).toBe(false);
  expect(colorsFor({ isTTY: false }, {}).enabled).toBe(false);
  expect(colorsFor({}, {}).enabled).toBe(false);
  const c = colorsFor({ isTTY: true }, {});
  expect(c.red("x")).not.toBe("x");
  expect(stripAnsi(c.red("x"))).toBe("x");
});
