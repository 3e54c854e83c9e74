import { describe, expect, test } from "bun:test";
import { ClientTable } from "./client-table.ts";

const ids = (t: ClientTable<unknown>) => [...t.entries()].map(([id]) => id);

describe("ClientTable", () => {
  test("keeps connected clients and the most recently used others, up to the capacity", () => {
    const table = new ClientTable(2, (id) => ({ id, n: 0 }));
    table.connect("live");
    for (const id of ["a", "b", "c"]) table.get(id).n++;
    expect(ids(table)).toEqual(["live", "b", "c"]); // a was the least recently used
    table.get("b").n++; // b is now the most recent
    table.get("d");
    expect(ids(table)).toEqual(["live", "b", "d"]);
    expect(table.get("b").n).toBe(2);
    expect(table.size).toBe(3);
  });

  test("an entry stays while any socket of its client is open, and keeps its value when it leaves", () => {
    const table = new ClientTable(1, () => ({ n: 0 }));
    table.get("x").n = 5;
    table.connect("x");
    table.connect("x"); // a second socket
    for (const id of ["a", "b", "c"]) table.get(id);
    table.disconnect("x");
    expect(table.get("x").n).toBe(5);
    table.disconnect("x");
    expect(ids(table)).toEqual(["x"]); // the last one left: now the only recent one
    table.get("y");
    expect(ids(table)).toEqual(["y"]);
    table.disconnect("never-connected"); // ignored
    expect(table.size).toBe(1);
  });
});
