import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ClientPool } from "./support/clients.ts";
import { startGatewayProcess, type GatewayProcess } from "./support/gateway-process.ts";
import { RawSocket, makeEvent } from "./support/raw-socket.ts";

let gw: GatewayProcess;
beforeAll(async () => {
  gw = await startGatewayProcess({ args: ["--max-event-bytes", "4096", "--max-message-bytes", "65536"] });
});
afterAll(async () => {
  await gw.stop();
});

async function head(): Promise<number> {
  return ((await (await fetch(`${gw.httpUrl}/health`)).json()) as { headSeq: number }).headSeq;
}

/** After every bad frame the same socket must still get a good event acknowledged. */
async function stillUsable(socket: RawSocket, clientId = "raw-client"): Promise<void> {
  const ev = makeEvent("INCREMENT_COUNTER", { counterId: "alive" }, clientId);
  socket.send({ type: "event", event: ev });
  const ack = await socket.nextOfType("ack");
  expect(ack["id"]).toBe(ev["id"]);
}

describe("bad input gets a clear error, loses nothing, and the socket survives", () => {
  const frameCases: [string, string | Uint8Array, string][] = [
    ["not JSON", "{not json", "BAD_FRAME"],
    ["a JSON array", "[1,2,3]", "BAD_FRAME"],
    ["a JSON string", '"hello"', "BAD_FRAME"],
    ["invalid UTF-8 bytes", new Uint8Array([0xff, 0xfe, 0x7b]), "BAD_FRAME"],
    ["unknown message type", JSON.stringify({ type: "drop_tables" }), "BAD_MESSAGE"],
    ["missing type", JSON.stringify({ event: {} }), "BAD_MESSAGE"],
    ["__proto__ key", '{"type":"event","__proto__":{"admin":true}}', "BAD_MESSAGE"],
  ];
  for (const [name, frame, code] of frameCases) {
    test(`${name} → error ${code}`, async () => {
      await using s = (await RawSocket.hello(gw.url)).socket;
      const before = await head();
      s.send(frame);
      const err = await s.nextOfType("error");
      expect(err["code"]).toBe(code);
      expect(String(err["message"]).length).toBeGreaterThan(5);
      expect(await head()).toBe(before);
      await stillUsable(s);
    });
  }

  const eventCases: [string, Record<string, unknown>, string, RegExp][] = [
    ["unknown template", makeEvent("DROP_EVERYTHING", { id: "x" }), "UNKNOWN_TEMPLATE", /DROP_EVERYTHING.*known: CREATE_USER/],
    ["wrong parameter type", makeEvent("CREATE_USER", { id: 42, name: "A" }), "INVALID_PARAMS", /id: .*string/],
    ["missing parameter", makeEvent("CREATE_USER", { id: "u" }), "INVALID_PARAMS", /name/],
    ["unknown parameter", makeEvent("CREATE_USER", { id: "u", name: "A", admin: true }), "INVALID_PARAMS", /admin/],
    ["float for an integer", makeEvent("INCREMENT_COUNTER", { counterId: "c", amount: 1.5 }), "INVALID_PARAMS", /amount/],
    ["huge integer", makeEvent("INCREMENT_COUNTER", { counterId: "c", amount: 1e300 }), "INVALID_PARAMS", /amount/],
    ["params not an object", { ...makeEvent("CREATE_USER", {}), params: ["u", "A"] }, "BAD_MESSAGE", /params/],
    ["another client's id", makeEvent("CREATE_USER", { id: "u", name: "A" }, "someone-else"), "FORBIDDEN", /clientId/],
    ["oversized event", makeEvent("CREATE_POST", { id: "p", authorId: "u", content: "x".repeat(6000) }), "EVENT_TOO_LARGE", /4096/],
  ];
  for (const [name, event, code, message] of eventCases) {
    test(`${name} → reject ${code}`, async () => {
      await using s = (await RawSocket.hello(gw.url)).socket;
      const before = await head();
      s.send({ type: "event", event });
      const rej = await s.nextOfType("reject");
      expect(rej).toMatchObject({ id: event["id"], code, retryable: false });
      expect(String(rej["message"])).toMatch(message);
      expect(await head()).toBe(before);
      await stillUsable(s);
    });
  }

  test("an event before hello → reject NOT_READY", async () => {
    await using s = await RawSocket.open(gw.url);
    const ev = makeEvent("CREATE_USER", { id: "u", name: "A" });
    s.send({ type: "event", event: ev });
    expect(await s.next()).toMatchObject({ type: "reject", id: ev["id"], code: "NOT_READY" });
  });

  test("raw DML is rejected with RAW_DML_DISABLED by default", async () => {
    await using pool = new ClientPool();
    const c = await pool.connect(gw.url);
    const before = await head();
    await expect(c.sendDML("CREATE (:User {id: 'u2', name: 'Bob'})")).rejects.toMatchObject({ name: "SyncError", code: "RAW_DML_DISABLED" });
    expect(await head()).toBe(before);
    expect(c.getDMLStats().failed).toBe(1);
  });

  test("the client surfaces the server's code on a rejected template", async () => {
    await using pool = new ClientPool();
    const c = await pool.connect(gw.url);
    await expect(c.executeTemplate("NOPE", {})).rejects.toMatchObject({ code: "UNKNOWN_TEMPLATE" });
    await expect(c.executeTemplate("CREATE_USER", { id: 1 })).rejects.toMatchObject({ code: "INVALID_PARAMS" });
    expect(c.pendingCount).toBe(0);
    expect(c.getDetailedStatsByTemplate()["CREATE_USER"]).toMatchObject({ sent: 1, failed: 1, successRate: 0 });
  });

  test("a frame over MAX_MESSAGE_BYTES closes that socket with 1009; others are unaffected", async () => {
    await using other = (await RawSocket.hello(gw.url, "bystander")).socket;
    await using s = (await RawSocket.hello(gw.url)).socket;
    s.send(JSON.stringify({ type: "event", event: makeEvent("CREATE_USER", { id: "u", name: "x".repeat(100_000) }) }));
    expect((await s.closeEvent).code).toBe(1009);
    await stillUsable(other, "bystander");
  });

  test("a resent event id returns the original seq and is stored once", async () => {
    await using s = (await RawSocket.hello(gw.url)).socket;
    const ev = makeEvent("INCREMENT_COUNTER", { counterId: "once" });
    s.send({ type: "event", event: ev });
    const first = await s.nextOfType("ack");
    const after = await head();
    s.send({ type: "event", event: ev });
    const second = await s.nextOfType("ack");
    expect(second).toEqual({ type: "ack", id: ev["id"], seq: first["seq"], duplicate: true });
    expect(first["duplicate"]).toBe(false);
    expect(await head()).toBe(after);
  });

  test("parameters with quotes and Cypher fragments are stored verbatim as data", async () => {
    await using pool = new ClientPool();
    const a = await pool.connect(gw.url);
    const b = await pool.connect(gw.url);
    const hostile = [
      `Robert'); MATCH (n) DETACH DELETE n; //`,
      `" OR 1=1 --`,
      "`User` } ) RETURN 1 UNION MATCH (x) SET x.name = 'pwned",
      "LOAD FROM 'file:///etc/passwd' RETURN *",
      "$name \\' \\\" \n\t\u0000 \u202e emoji 🦆",
    ];
    let last = 0;
    for (const [i, name] of hostile.entries()) last = (await a.executeTemplate("CREATE_USER", { id: `h${i}`, name, email: name })).seq;
    await b.waitForSeq(last);
    const rows = await b.query("MATCH (u:User) WHERE u.id STARTS WITH 'h' RETURN u.name AS name, u.email AS email ORDER BY u.id");
    expect(rows).toEqual(hostile.map((name) => ({ name, email: name })));
    expect((await b.query("MATCH (u:User) RETURN count(*) AS n"))[0]!["n"]).toBeGreaterThanOrEqual(hostile.length);
  });
});
