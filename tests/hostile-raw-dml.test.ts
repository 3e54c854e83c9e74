/**
 * Issue 14, findings 1–4, against real gateway processes: raw DML that would crash Kuzu (in the
 * gateway and every client, again on every replay), write kuzu-sync's internal table, turn Kuzu's
 * internal ids into data (replicas built by replay and from a snapshot then differ), or stall every
 * replica. Each is answered RAW_DML_FORBIDDEN and nothing is stored; what the static check cannot
 * see is stopped by the replica's query timeout.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { SqliteEventLog } from "@kuzu-sync/log";
import { silentLogger } from "@kuzu-sync/telemetry";
import { ClientPool, graphState } from "./support/clients.ts";
import { startGatewayProcess, tempDir, type GatewayProcess } from "./support/gateway-process.ts";
import { health, waitForReplica } from "./support/health.ts";
import { RawSocket, makeEvent } from "./support/raw-socket.ts";

/** [statement, a fragment of the refusal] for each finding, with variants. */
const HOSTILE: readonly (readonly [string, string])[] = [
  // 1. crash and crash loop: each of these segfaults or hangs Kuzu 0.11
  ["RETURN size(repeat('x', 4294967296)) AS n", "REPEAT"],
  ["RETURN size(repeat('x', -1)) AS n", "at least 0"],
  ["RETURN size(lpad('x', 4294967296, 'y')) AS n", "LPAD"],
  ["RETURN rpad('x', 100000000, 'y') AS n", "RPAD"],
  ["MATCH (u:User) SET u.name = substring(u.name, 2, -5)", "negative length"],
  ["RETURN factorial(100000000000) AS n", "factorial"],
  ["RETURN start_node(null) AS n", "untyped NULL"],
  ["WITH null AS x RETURN map_keys(x) AS n", "untyped NULL"],
  ["MATCH p = (a:User)-[:FOLLOWS]->(b:User) RETURN label(nodes(p)[1]) AS n", "element of nodes()/rels()"],
  ["MATCH (u:User) RETURN string_split(u.name, ',') AS n", "UUID"],
  ["MATCH (u:User) WHERE u.name =~ 'a.*' RETURN u.id AS n", "'=~'"],
  // 2. internal state
  ["MATCH (m:KuzuSyncMeta) SET m.hash = 'evil'", "internal table"],
  ["MATCH (m:KuzuSyncMeta) DETACH DELETE m", "internal table"],
  ["MATCH (m:`kuzusyncmeta`) SET m.seq = 0", "internal table"],
  ["MATCH (n) DETACH DELETE n", "without a label"],
  ["MATCH (n) WHERE n.k = 'state' SET n.hash = 'evil'", "without a label"],
  ["MATCH (x)-[*0..1]-(y) DETACH DELETE x", "without a label"],
  // 3. internal ids as data
  ["MATCH (u:User) SET u.name = string(u)", "a node cannot be passed to STRING"],
  ["MATCH (a:User)-[r:FOLLOWS]->(b:User) SET a.name = CAST(r AS STRING)", "a relationship cannot be used in CAST"],
  ["MATCH p = (a:User)-[:FOLLOWS]->(b:User) SET a.name = string(nodes(p))", "a list of nodes or relationships"],
  ["MATCH (u:User) SET u.name = string(id(u))", "function id is not allowed"],
  ["MATCH (u:User) SET u.email = to_string(offset(id(u)))", "function offset is not allowed"],
  ["MATCH p = (a:User)-[:FOLLOWS]->(b:User) SET a.name = string(properties(nodes(p), '_ID'))", "internal fields"],
  ["MATCH (a:User), (b:User) WHERE a < b SET a.email = b.id", "operand of <"],
  // 4. work per event
  ["UNWIND range(1, 100000000) AS i CREATE (:User {id: CAST(i AS STRING), name: 'x'})", "RANGE"],
  ["RETURN size(repeat(repeat('x', 10000), 10000)) AS n", "REPEAT"],
  ["MATCH (u:User) WITH u.name + u.name AS a WITH a + a AS b WITH b + b AS c WITH c + c AS d WITH d + d AS e WITH e + e AS f WITH f + f AS g WITH g + g AS h RETURN size(h) AS n", "stored values at once"],
];

describe("raw DML that would crash, corrupt or split the replicas (gateway started with --allow-raw-dml)", () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGatewayProcess({ args: ["--allow-raw-dml"] });
  });
  afterAll(async () => {
    await gw.stop();
  });

  test("every variant is refused with RAW_DML_FORBIDDEN and its id, nothing is stored, and the gateway and a connected client live on", async () => {
    await using pool = new ClientPool();
    const watcher = await pool.connect(gw.url);
    const seen: { seq: number; ok: boolean }[] = [];
    watcher.on("event", (e) => seen.push({ seq: e.seq, ok: e.ok }));
    await watcher.executeTemplate("CREATE_USER", { id: "a", name: "Ann" });
    const { seq: before } = await watcher.executeTemplate("CREATE_USER", { id: "b", name: "Bob" });
    await using s = (await RawSocket.hello(gw.url, "attacker")).socket;
    for (const [i, [cypher, named]] of HOSTILE.entries()) {
      s.send({ type: "dml", id: `dml-${i}`, clientId: "attacker", cypher, timestamp: Date.now() });
      const viaDml = await s.nextOfType("reject");
      s.send({ type: "event", event: { ...makeEvent("RAW_DML", { cypher }, "attacker"), id: `evt-${i}` } });
      const viaEvent = await s.nextOfType("reject");
      for (const [r, id] of [[viaDml, `dml-${i}`], [viaEvent, `evt-${i}`]] as const) {
        expect(r).toMatchObject({ id, code: "RAW_DML_FORBIDDEN", retryable: false });
        expect(String(r["message"]).toLowerCase()).toContain(named.toLowerCase());
      }
    }
    expect((await health(gw.httpUrl)).headSeq).toBe(before);
    // Still alive and applying: an ordinary raw write goes through everywhere.
    const ok = await watcher.sendDML("MATCH (u:User {id: 'a'}) SET u.email = 'ann@example.com'");
    expect(ok.seq).toBe(before + 1);
    await watcher.waitForSeq(ok.seq);
    await waitForReplica(gw.httpUrl, ok.seq);
    expect(gw.proc.exitCode).toBeNull();
    expect(seen.every((e) => e.ok)).toBe(true);
    expect(await watcher.query("MATCH (u:User) RETURN u.id AS id, u.email AS email ORDER BY id")).toEqual([
      { id: "a", email: "ann@example.com" },
      { id: "b", email: null },
    ]);
  });
});

describe("events a gateway stored before this check (or a compromised one wrote)", () => {
  test("are refused by every replica on replay, identically: recorded as failed; no crash, no crash loop, the internal table intact", async () => {
    using dir = tempDir();
    await using pool = new ClientPool();
    let gw = await startGatewayProcess({ dataDir: dir.path });
    try {
      const c = await pool.connect(gw.url);
      await c.executeTemplate("CREATE_USER", { id: "u1", name: "Ann" });
      await c.close();
    } finally {
      await gw.stop();
    }
    // What an older gateway with --allow-raw-dml acked: each would crash, poison or split the replicas.
    const poison = [
      "RETURN size(repeat('x', 4294967296)) AS n",
      "MATCH (m:KuzuSyncMeta) SET m.hash = 'evil'",
      "MATCH (n) DETACH DELETE n",
      "MATCH (u:User) SET u.name = string(u)",
      "RETURN start_node(null) AS n",
    ];
    const log = SqliteEventLog.open({ path: join(dir.path, "events.sqlite") });
    let head: number;
    try {
      await log.append(poison.map((cypher, i) => ({ id: `poison-${i}`, template: "RAW_DML", params: { cypher }, clientId: "old", timestamp: 1 })));
      await log.append([{ id: "after", template: "CREATE_USER", params: { id: "u2", name: "Bob", email: null }, clientId: "old", timestamp: 1 }]);
      head = log.headSeq; // the genesis, u1, the poison, u2
    } finally {
      await log.close();
    }
    // Raw DML is off now: history is replayed whatever the switch says.
    for (let restart = 0; restart < 2; restart++) {
      gw = await startGatewayProcess({ dataDir: dir.path });
      try {
        await waitForReplica(gw.httpUrl, head);
        expect(await health(gw.httpUrl)).toMatchObject({ headSeq: head, replicaSeq: head });
        const outcomes: { id: string; ok: boolean; error?: string }[] = [];
        const replaying = pool.make(gw.url, { useSnapshots: false, logger: silentLogger });
        replaying.on("event", (e) => outcomes.push({ id: e.id, ok: e.ok, ...(e.error === undefined ? {} : { error: e.error }) }));
        await replaying.connect();
        await replaying.waitForSeq(head);
        expect(outcomes.map((o) => o.ok)).toEqual([true, false, false, false, false, false, true]);
        for (const o of outcomes.filter((x) => !x.ok)) expect(o.error).toMatch(/RAW_DML_FORBIDDEN|refused by the replica/);
        expect(await replaying.query("MATCH (u:User) RETURN u.id AS id, u.name AS name ORDER BY id")).toEqual([
          { id: "u1", name: "Ann" },
          { id: "u2", name: "Bob" },
        ]);
        await replaying.close();
      } finally {
        // A clean stop: the gateway (and its server replica) is alive at the end of each run.
        expect(gw.proc.exitCode).toBeNull();
        expect(await gw.stop()).toBe(0);
      }
    }
  });
});

describe("no internal id reaches the data", () => {
  test("after raw DML that reads the graph's structure, a replica built from a snapshot equals one built by replay", async () => {
    await using gw = await startGatewayProcess({ args: ["--allow-raw-dml", "--snapshot-bootstrap-min", "1", "--snapshot-every", "0"] });
    await using pool = new ClientPool();
    const writer = await pool.connect(gw.url, { useSnapshots: false });
    // Deletes and re-creates leave holes, so a snapshot import numbers nodes differently.
    for (let i = 0; i < 12; i++) await writer.executeTemplate("CREATE_USER", { id: `u${i}`, name: `n${i}` });
    for (const i of [1, 4, 7]) await writer.executeTemplate("DELETE_USER", { id: `u${i}` });
    for (const [a, b] of [["u0", "u2"], ["u2", "u3"], ["u3", "u0"], ["u8", "u9"]]) await writer.executeTemplate("FOLLOW_USER", { followerId: a, targetId: b });
    const raw = async (cypher: string) => (await writer.sendDML(cypher)).seq;
    await raw("MATCH (a:User)-[r:FOLLOWS]->(b:User) SET b.email = start_node(r).id + ' -' + label(r) + '-> ' + b.id");
    await raw("MATCH p = (a:User)-[:FOLLOWS*1..2]->(b:User {id: 'u0'}) WITH a, count(p) AS n SET a.name = a.name + ' reaches u0 by ' + CAST(n AS STRING)");
    await raw("MATCH (a:User), (b:User) WHERE a = b AND a.id = 'u5' SET a.email = 'self'");
    // What used to store internal ids is refused, so it cannot split anything.
    await expect(writer.sendDML("MATCH (u:User) SET u.email = string(u)")).rejects.toMatchObject({ code: "RAW_DML_FORBIDDEN" });
    await expect(writer.sendDML("MATCH (u:User) SET u.email = CAST(id(u) AS STRING)")).rejects.toMatchObject({ code: "RAW_DML_FORBIDDEN" });
    const head = await raw("MATCH p = (a:User)-[:FOLLOWS]->(b:User) SET b.name = list_to_string(',', properties(nodes(p), 'id'))");
    await waitForReplica(gw.httpUrl, head);

    const fromSnapshot = pool.make(gw.url);
    const phases: string[] = [];
    fromSnapshot.on("snapshot", (p) => phases.push(p.phase));
    await fromSnapshot.connect();
    expect(phases.at(-1)).toBe("done");
    const byReplay = await pool.connect(gw.url, { useSnapshots: false });
    await byReplay.waitForSeq(head);
    const state = await graphState(writer);
    expect(await graphState(fromSnapshot)).toEqual(state);
    expect(await graphState(byReplay)).toEqual(state);
    // And they stay equal as structure-reading raw DML keeps coming.
    const next = await raw("MATCH (a:User)-[:FOLLOWS]->(b:User) SET a.email = coalesce(a.email, '') + '/' + b.id");
    for (const c of [fromSnapshot, byReplay, writer]) await c.waitForSeq(next);
    const after = await graphState(writer);
    expect(await graphState(fromSnapshot)).toEqual(after);
    expect(await graphState(byReplay)).toEqual(after);
    expect(JSON.stringify(after)).not.toMatch(/_ID|\b\d+:\d+\b/);
  });
});

describe("work no static bound sees", () => {
  test("is stopped by the replica's query timeout: the server replica stops before the event (APPLY_TIMEOUT) and the gateway keeps serving", async () => {
    await using gw = await startGatewayProcess({ args: ["--allow-raw-dml"] });
    await using s = (await RawSocket.hello(gw.url, "heavy")).socket;
    const send = async (event: Record<string, unknown>): Promise<Record<string, unknown>> => {
      s.send({ type: "event", event });
      return s.nextOfType("ack");
    };
    const first = await send(makeEvent("CREATE_USER", { id: "u1", name: "Ann" }, "heavy"));
    await waitForReplica(gw.httpUrl, Number(first["seq"]));
    // Each list is within bounds; the rows they multiply into (6.4e13) are not, and depend on nothing static.
    const cypher = "UNWIND range(1, 40000) AS i UNWIND range(1, 40000) AS j UNWIND range(1, 40000) AS k WITH i, j, k WHERE i + j + k = -1 CREATE (:User {id: 'never', name: 'x'})";
    const heavy = await send(makeEvent("RAW_DML", { cypher }, "heavy"));
    expect(Number(heavy["seq"])).toBe(Number(first["seq"]) + 1);
    // It stops before the event and retries later (server-replica.ts), saying so.
    const line = await gw.waitForLine(/"server replica stopped applying"/, 30_000);
    expect(line).toContain("ran past the 5000 ms query timeout");
    // It did not move past the event (a slower machine might have given up where a faster one
    // finished, so "failed" would not be the same everywhere), and the gateway still answers.
    expect(await health(gw.httpUrl)).toMatchObject({ headSeq: Number(heavy["seq"]), replicaSeq: Number(first["seq"]) });
    expect(line).toContain(`"appliedSeq":${Number(first["seq"])}`);
    expect(gw.proc.exitCode).toBeNull();
  }, 60_000);
});

