import { describe, expect, test } from "bun:test";
import { readSchemaTables } from "./schema-tables.ts";

describe("readSchemaTables", () => {
  test("node tables with their primary keys, relationship tables with pairs and multiplicity", () => {
    const t = readSchemaTables([
      "CREATE NODE TABLE User(id STRING, name STRING, PRIMARY KEY(id))",
      "CREATE NODE TABLE IF NOT EXISTS `Chat Room`(roomId INT64 PRIMARY KEY, tags STRING[], meta STRUCT(a INT64, b STRING))",
      "CREATE NODE TABLE Ticket(id SERIAL, title STRING, PRIMARY KEY(id));",
      "CREATE REL TABLE MEMBER(FROM User TO `Chat Room`, FROM User TO User, joined INT64 DEFAULT 0)",
      "create rel table Owns(from User to Ticket, ONE_MANY)",
      "CREATE REL TABLE Numbered(FROM User TO User, n INT64 DEFAULT nextval('s'))",
    ]);
    expect(t.unknown).toBeNull();
    expect(Object.fromEntries(t.nodes)).toEqual({
      USER: { primaryKey: "ID", orderDependent: false },
      "CHAT ROOM": { primaryKey: "ROOMID", orderDependent: false },
      TICKET: { primaryKey: "ID", orderDependent: true },
    });
    expect(Object.fromEntries(t.rels)).toEqual({
      MEMBER: { pairs: [["USER", "CHAT ROOM"], ["USER", "USER"]], multiplicity: "MANY_MANY", orderDependent: false },
      OWNS: { pairs: [["USER", "TICKET"]], multiplicity: "ONE_MANY", orderDependent: false },
      NUMBERED: { pairs: [["USER", "USER"]], multiplicity: "MANY_MANY", orderDependent: true },
    });
  });

  test("a statement it cannot read makes the whole schema unknown", () => {
    for (const ddl of ["CREATE SEQUENCE s", "ALTER TABLE User ADD age INT64", "CREATE NODE TABLE X(id STRING)", "CREATE REL TABLE R(since INT64)"]) {
      expect(readSchemaTables(["CREATE NODE TABLE User(id STRING, PRIMARY KEY(id))", ddl]).unknown).toContain(ddl.slice(0, 20));
    }
  });
});
