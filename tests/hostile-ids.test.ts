/**
 * Issue 14, findings 5, 7 and 8, against real gateway processes: strings that are not
 * well-formed UTF-16 (storage turns them into U+FFFD, so two ids collide and keys change), ids
 * the gateway refuses (the client must hear about it, never wait or resend for ever), and
 * `sync-client status` on a replica it cannot open.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { sqliteOutbox } from "../packages/client/src/sqlite-outbox.ts";
import { ClientPool } from "./support/clients.ts";
import { runCli } from "./support/cli-process.ts";
import { startGatewayProcess, tempDir, type GatewayProcess } from "./support/gateway-process.ts";
import { health, waitForReplica } from "./support/health.ts";
import { RawSocket, makeEvent } from "./support/raw-socket.ts";

let gw: GatewayProcess;
beforeAll(async () => {
  gw = await startGatewayProcess();
});
afterAll(async () => {
  await gw.stop();
});

const counters = async (httpUrl: string): Promise<Record<string, number>> =>
  ((await (await fetch(`${httpUrl}/aggregates/counters`)).json()) as { values: Record<string, number> }).values;

describe("finding 5: strings that are not well-formed UTF-16", () => {
  test("two event ids that storage would merge into one are each refused, naming the event; nothing is stored, nothing acked as a duplicate", async () => {
    await using s = (await RawSocket.hello(gw.url, "surrogates")).socket;
    const before = (await health(gw.httpUrl)).headSeq;
    for (const [i, id] of ["evt-\ud800", "evt-\udbff", "\udfffevt", "evt-\ud83d"].entries()) {
      s.send({ type: "event", event: { ...makeEvent("CREATE_USER", { id: `s${i}`, name: "x" }, "surrogates"), id } });
      const r = await s.nextOfType("reject");
      expect(r).toMatchObject({ id, code: "BAD_MESSAGE", retryable: false });
      expect(String(r["message"])).toMatch(/^event\.id: .*not well-formed UTF-16/);
    }
    expect((await health(gw.httpUrl)).headSeq).toBe(before);
    // Well-formed ids that look alike stay distinct: an emoji (a surrogate pair) and U+FFFD itself.
    const acks: Record<string, unknown>[] = [];
    for (const id of ["evt-\ud83d\ude00", "evt-\ufffd"]) {
      s.send({ type: "event", event: { ...makeEvent("CREATE_USER", { id: "pair", name: id }, "surrogates"), id } });
      acks.push(await s.nextOfType("ack"));
    }
    expect(acks.map((a) => a["duplicate"])).toEqual([false, false]);
    expect(acks[1]!["seq"]).toBe(Number(acks[0]!["seq"]) + 1);
  });

  test("in params (values, nested values, keys), template names, client ids and aggregate keys: refused with a code naming the field", async () => {
    await using s = (await RawSocket.hello(gw.url, "params")).socket;
    const before = (await health(gw.httpUrl)).headSeq;
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [makeEvent("INCREMENT_COUNTER", { counterId: "c\ud800", amount: 1 }, "params"), "INVALID_PARAMS", /^event\.params\.counterId: /],
      [makeEvent("INCREMENT_COUNTER", { counterId: "c\udbff", amount: 1 }, "params"), "INVALID_PARAMS", /^event\.params\.counterId: /],
      [makeEvent("CREATE_USER", { id: "u", name: "Ann\udc00" }, "params"), "INVALID_PARAMS", /^event\.params\.name: /],
      [makeEvent("CREATE_USER", { id: "u", name: "A", extra: { deep: ["ok", "\ud800"] } }, "params"), "INVALID_PARAMS", /^event\.params\.extra\.deep\[1\]: /],
      [makeEvent("CREATE_USER", { id: "u", ["na\ud800me"]: "A" }, "params"), "INVALID_PARAMS", /^event\.params\["na\\ud800me"\]: the key/],
      [makeEvent("CREATE_\ud800USER", { id: "u", name: "A" }, "params"), "BAD_MESSAGE", /^event\.template: /],
    ];
    for (const [event, code, message] of cases) {
      s.send({ type: "event", event });
      const r = await s.nextOfType("reject");
      expect(r).toMatchObject({ id: event["id"], code });
      expect(String(r["message"])).toMatch(message);
    }
    s.send({ type: "aggregate", id: "q1", name: "counters", key: "c\ud800" });
    expect(await s.nextOfType("reject")).toMatchObject({ id: "q1", code: "BAD_MESSAGE" });
    expect((await health(gw.httpUrl)).headSeq).toBe(before);
    await using hello = await RawSocket.open(gw.url);
    hello.send({ type: "hello", clientId: "c\ud800", lastSeq: 0 });
    expect(await hello.next()).toMatchObject({ type: "error", code: "BAD_MESSAGE", message: expect.stringMatching(/^clientId: /) });
  });

  test("a client refuses such params before they reach its outbox; the gateway's aggregate and every replica agree, also after a restart", async () => {
    using dir = tempDir();
    await using pool = new ClientPool();
    let own = await startGatewayProcess({ dataDir: dir.path });
    try {
      const c = await pool.connect(own.url);
      await expect(c.executeTemplate("INCREMENT_COUNTER", { counterId: "k\ud800", amount: 5 })).rejects.toMatchObject({ name: "SyncError", code: "INVALID_PARAMS" });
      await expect(c.executeTemplate("INCREMENT_COUNTER", { counterId: "k\udbff", amount: 7 })).rejects.toMatchObject({ code: "INVALID_PARAMS" });
      expect(c.pendingCount).toBe(0);
      const { seq } = await c.executeTemplate("INCREMENT_COUNTER", { counterId: "k\ufffd", amount: 2 });
      await c.waitForSeq(seq);
      const expected = { "k\ufffd": 2 };
      expect(await counters(own.httpUrl)).toEqual(expected);
      expect(await c.query("MATCH (n:Counter) RETURN n.id AS id, n.value AS value")).toEqual([{ id: "k\ufffd", value: 2 }]);
      await own.stop();
      own = await startGatewayProcess({ dataDir: dir.path });
      await waitForReplica(own.httpUrl, seq);
      expect(await counters(own.httpUrl)).toEqual(expected);
    } finally {
      await own.stop();
    }
  });
});

describe("finding 7: ids the gateway refuses", () => {
  test("the gateway's refusal names the event id even when it is empty, too long or not well-formed", async () => {
    await using s = (await RawSocket.hello(gw.url, "ids")).socket;
    for (const id of ["", "x".repeat(300), "y".repeat(129), "evt-\udbff"]) {
      s.send({ type: "event", event: { ...makeEvent("CREATE_USER", { id: "u", name: "A" }, "ids"), id } });
      expect(await s.nextOfType("reject")).toMatchObject({ id, code: "BAD_MESSAGE" });
      s.send({ type: "dml", id, clientId: "ids", cypher: "RETURN 1", timestamp: 0 });
      expect(await s.nextOfType("reject")).toMatchObject({ id, code: "BAD_MESSAGE" });
      s.send({ type: "aggregate", id, name: "counters" });
      expect(await s.nextOfType("reject")).toMatchObject({ id, code: "BAD_MESSAGE" });
    }
    // Over the event size limit as well: still named, so the sender's promise settles.
    s.send({ type: "event", event: { ...makeEvent("CREATE_USER", { id: "u", name: "x".repeat(70_000) }, "ids"), id: "" } });
    expect(await s.nextOfType("reject")).toMatchObject({ id: "", code: "EVENT_TOO_LARGE" });
  });

  test("executeTemplate with such an id rejects at once and nothing enters the (persistent) outbox", async () => {
    using dir = tempDir();
    await using pool = new ClientPool();
    const dbPath = join(dir.path, "replica.kuzu");
    const c = await pool.connect(gw.url, { dbPath });
    const before = (await health(gw.httpUrl)).headSeq;
    for (const id of ["", "x".repeat(300), "evt-\ud800"]) {
      await expect(c.executeTemplate("CREATE_USER", { id: "u", name: "A" }, { id })).rejects.toMatchObject({ name: "SyncError", code: "BAD_MESSAGE", eventId: id });
      await expect(c.sendDML("RETURN 1", { id })).rejects.toMatchObject({ code: "BAD_MESSAGE" });
    }
    expect(c.pendingCount).toBe(0);
    await c.close();
    const outbox = sqliteOutbox(`${dbPath}.outbox.sqlite`);
    try {
      expect(outbox.size).toBe(0);
    } finally {
      outbox.close();
    }
    expect((await health(gw.httpUrl)).headSeq).toBe(before);
  });

  test("such events already in an older client's outbox are refused by id and leave it, instead of being resent for ever", async () => {
    using dir = tempDir();
    await using pool = new ClientPool();
    const dbPath = join(dir.path, "replica.kuzu");
    const first = await pool.connect(gw.url, { dbPath });
    const clientId = first.clientId;
    await first.close();
    const outbox = sqliteOutbox(`${dbPath}.outbox.sqlite`);
    try {
      for (const id of ["", "z".repeat(300)]) outbox.add({ id, template: "CREATE_USER", params: { id: "old", name: "A" }, clientId, timestamp: 1 });
      expect(outbox.size).toBe(2);
    } finally {
      outbox.close();
    }
    const errors: string[] = [];
    const again = pool.make(gw.url, { dbPath });
    again.on("error", (e) => errors.push(e.code));
    await again.connect();
    await again.flush();
    expect(again.pendingCount).toBe(0);
    expect(errors).toEqual(["BAD_MESSAGE", "BAD_MESSAGE"]);
  });

  test("a clientId the gateway refuses makes connect() fail at once with BAD_MESSAGE (not a TIMEOUT)", async () => {
    await using pool = new ClientPool();
    for (const clientId of ["x".repeat(129), "", "c\ud800"]) {
      const c = pool.make(gw.url, { clientId, connectTimeoutMs: 60_000 });
      await expect(c.connect()).rejects.toMatchObject({ name: "SyncError", code: "BAD_MESSAGE", message: expect.stringContaining("clientId") });
    }
  });

  test("sync-client send --id with such an id exits 2 (usage) before sending anything", async () => {
    const before = (await health(gw.httpUrl)).headSeq;
    for (const id of ["", "k".repeat(300)]) {
      const r = await runCli(["send", "CREATE_USER", "id=u9", "name=A", "--id", id, "--url", gw.url]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("is not a valid event id");
    }
    expect((await health(gw.httpUrl)).headSeq).toBe(before);
    const ok = await runCli(["send", "CREATE_USER", "id=u9", "name=A", "--id", "retry-1", "--url", gw.url]);
    expect(ok.code).toBe(0);
  });
});

describe("finding 8: sync-client status --db with a replica it cannot open", () => {
  test("prints the error and exits 1 (text and --json); a healthy one exits 0", async () => {
    using dir = tempDir();
    const garbage = join(dir.path, "garbage.kuzu");
    writeFileSync(garbage, "this is not a kuzu database\n".repeat(100));
    const text = await runCli(["status", "--db", garbage, "--url", gw.url]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("not a valid Kuzu database");
    const json = await runCli(["status", "--db", garbage, "--json", "--url", gw.url]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ health: { status: "ok" }, local: { path: garbage, exists: true, error: expect.stringContaining("Kuzu") } });
    const dirAsDb = await runCli(["status", "--db", dir.path, "--url", gw.url]);
    expect(dirAsDb.code).toBe(1);
    const fine = await runCli(["status", "--db", join(dir.path, "not-yet.kuzu"), "--url", gw.url]);
    expect(fine.code).toBe(0);
  });
});
