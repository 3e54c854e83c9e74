/**
 * Local-first client (issue #16): optimistic writes and live queries against a real gateway
 * process. A TCP proxy in front of the gateway holds what a client sends, which makes the time
 * between writing an event and the server sequencing it as long as a test needs.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ErrorCode } from "@kuzu-sync/protocol";
import type { SyncClient, SyncClientEvents } from "@kuzu-sync/client";
import { ClientPool } from "./support/clients.ts";
import { startGatewayProcess, tempDir } from "./support/gateway-process.ts";
import { Resources } from "./support/resources.ts";
import { TASK_TEMPLATES_PATH } from "./support/task-registry.ts";
import { startTcpProxy } from "./support/tcp-proxy.ts";

type Rows = Record<string, unknown>[];

/** Rows as comparable text (sums come back as bigints). */
const text = (rows: Rows): string => JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));

/** Every result a live query delivered, and a way to await one. */
class Recorder {
  readonly results: Rows[] = [];
  #waiters: { readonly match: (rows: Rows) => boolean; readonly resolve: (rows: Rows) => void }[] = [];

  readonly onRows = (rows: Rows): void => {
    this.results.push(rows);
    for (const w of [...this.#waiters]) {
      if (!w.match(rows)) continue;
      this.#waiters.splice(this.#waiters.indexOf(w), 1);
      w.resolve(rows);
    }
  };

  get latest(): Rows | undefined {
    return this.results.at(-1);
  }

  /** Resolves with the latest result once it matches (now or later). */
  until(match: (rows: Rows) => boolean, timeoutMs = 20_000): Promise<Rows> {
    const latest = this.latest;
    if (latest !== undefined && match(latest)) return Promise.resolve(latest);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching live result within ${timeoutMs} ms; got ${JSON.stringify(this.results)}`)), timeoutMs);
      this.#waiters.push({ match, resolve: (rows) => (clearTimeout(timer), resolve(rows)) });
    });
  }
}

/** The next `name` event of `client` for which `match` holds. */
function next<K extends keyof SyncClientEvents>(client: SyncClient, name: K, match: (v: SyncClientEvents[K]) => boolean = () => true, timeoutMs = 20_000): Promise<SyncClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`no ${String(name)} event within ${timeoutMs} ms`))), timeoutMs);
    const off = client.on(name, (v) => {
      if (!match(v)) return;
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}

const USERS = "MATCH (u:User) RETURN u.id AS id, u.name AS name ORDER BY id";
const COUNTER = "MATCH (c:Counter {id: $id}) RETURN c.value AS value";
const names = (rows: Rows): unknown[] => rows.map((r) => r["name"]);

describe("local-first client", () => {
  test("an own optimistic write shows in query() and live queries before the ack; the confirmed state equals it, with no flicker", async () => {
    await using started = new Resources();
    await using pool = new ClientPool();
    const gw = started.use(await startGatewayProcess());
    const proxy = started.use(await startTcpProxy(gw.port));
    const me = await pool.connect(proxy.url, { optimistic: true });
    const other = await pool.connect(gw.url);

    const live = new Recorder();
    const sub = me.live(USERS, live.onRows);
    const iterator = me.liveQuery(USERS);
    expect((await iterator.next()).value).toEqual([]);
    await live.until((r) => r.length === 0);

    proxy.hold();
    const pendingEvents: string[] = [];
    me.on("pending", (w) => pendingEvents.push(w.id));
    let acked = false;
    const write = me.executeTemplate("CREATE_USER", { id: "u1", name: "Ann" }, { id: "w1" }).then((a) => ((acked = true), a));
    const speculative = await live.until((r) => r.length === 1);
    expect(speculative).toEqual([{ id: "u1", name: "Ann" }]);
    expect((await iterator.next()).value).toEqual([{ id: "u1", name: "Ann" }]);
    expect(await me.query(USERS)).toEqual([{ id: "u1", name: "Ann" }]);
    expect(await other.query(USERS)).toEqual([]); // nothing reached the server
    expect(acked).toBe(false);
    expect(pendingEvents).toEqual(["w1"]);
    expect(me.pending.map((w) => [w.id, w.template, w.optimistic, w.seq])).toEqual([["w1", "CREATE_USER", true, null]]);

    const confirmed = next(me, "confirmed", (w) => w.id === "w1");
    proxy.release();
    const { seq } = await write;
    expect((await confirmed).seq).toBe(seq);
    expect(me.pending).toEqual([]);
    expect(await me.query(USERS)).toEqual(speculative);
    await other.waitForSeq(seq);
    expect(await other.query(USERS)).toEqual(speculative);

    // A later change by someone else: the live query went straight from the speculative rows to
    // these (the confirmation delivered nothing: its rows were the same).
    const { seq: seq2 } = await other.executeTemplate("CREATE_USER", { id: "u2", name: "Bob" });
    await me.waitForSeq(seq2);
    await live.until((r) => r.length === 2);
    expect(live.results.map(names)).toEqual([[], ["Ann"], ["Ann", "Bob"]]);
    expect((await iterator.next()).value).toEqual([{ id: "u1", name: "Ann" }, { id: "u2", name: "Bob" }]);
    await iterator.return!();
    sub.unsubscribe();
    expect(() => me.live("CREATE (u:User {id: 'x'})", () => {})).toThrow(expect.objectContaining({ code: ErrorCode.FORBIDDEN }));
  });

  test("a write the server refuses leaves query() and live queries, with `rejected` and the server's code", async () => {
    await using started = new Resources();
    await using pool = new ClientPool();
    const gw = started.use(await startGatewayProcess());
    const proxy = started.use(await startTcpProxy(gw.port));
    const me = await pool.connect(proxy.url);
    await me.executeTemplate("CREATE_USER", { id: "u0", name: "Zed" }).then(({ seq }) => me.waitForSeq(seq));
    const live = new Recorder();
    me.live(USERS, live.onRows);
    await live.until((r) => r.length === 1);

    proxy.hold();
    const tooLong = "x".repeat(1_001); // the registry allows 1000 characters
    const write = me.executeTemplate("CREATE_USER", { id: "u1", name: tooLong }, { id: "bad", optimistic: true });
    const settled = write.then(() => null, (error: unknown) => error);
    // The very next read shows it.
    expect((await me.query(USERS)).map((r) => r["id"])).toEqual(["u0", "u1"]);
    await live.until((r) => r.length === 2);

    const rejected = next(me, "rejected", (w) => w.id === "bad");
    proxy.release();
    expect(await rejected).toMatchObject({ id: "bad", template: "CREATE_USER", code: ErrorCode.INVALID_PARAMS });
    expect(await settled).toMatchObject({ code: ErrorCode.INVALID_PARAMS });
    await live.until((r) => r.length === 1);
    expect(await me.query(USERS)).toEqual([{ id: "u0", name: "Zed" }]);
    expect(me.pending).toEqual([]);
    expect(live.results.map((r) => r.length)).toEqual([1, 2, 1]);
  });

  test("a pending event is re-applied on top of other clients' newer events (rebase)", async () => {
    await using started = new Resources();
    await using pool = new ClientPool();
    const gw = started.use(await startGatewayProcess());
    const proxy = started.use(await startTcpProxy(gw.port));
    const me = await pool.connect(proxy.url, { optimistic: true });
    const other = await pool.connect(gw.url);
    const { seq: s1 } = await other.executeTemplate("INCREMENT_COUNTER", { counterId: "c", amount: 1 });
    await me.waitForSeq(s1);
    const live = new Recorder();
    me.live(COUNTER, { id: "c" }, live.onRows);
    await live.until((r) => r[0]?.["value"] === 1);

    proxy.hold();
    const mine = me.executeTemplate("INCREMENT_COUNTER", { counterId: "c", amount: 5 });
    await live.until((r) => r[0]?.["value"] === 6);
    // Someone else's increment lands first: mine is applied again on top of it.
    const { seq: s2 } = await other.executeTemplate("INCREMENT_COUNTER", { counterId: "c", amount: 100 });
    await me.waitForSeq(s2);
    await live.until((r) => r[0]?.["value"] === 106);
    expect(await me.query(COUNTER, { id: "c" })).toEqual([{ value: 106 }]);

    const confirmed = next(me, "confirmed");
    proxy.release();
    const { seq } = await mine;
    expect(seq).toBeGreaterThan(s2);
    await confirmed;
    expect(await me.query(COUNTER, { id: "c" })).toEqual([{ value: 106 }]);
    await other.waitForSeq(seq);
    expect(await other.query(COUNTER, { id: "c" })).toEqual([{ value: 106 }]);
    expect(live.results.map((r) => r[0]?.["value"])).toEqual([1, 6, 106]);
  });

  test("an event that fails when applied (another client took the id first) is rejected with APPLY_FAILED; the other client's state shows", async () => {
    await using started = new Resources();
    await using pool = new ClientPool();
    const gw = started.use(await startGatewayProcess({ args: ["--templates", TASK_TEMPLATES_PATH] }));
    const proxy = started.use(await startTcpProxy(gw.port));
    const me = await pool.connect(proxy.url, { optimistic: true });
    const other = await pool.connect(gw.url);
    const { seq: s0 } = await other.executeTemplate("CREATE_PROJECT", { id: "p", name: "P" });
    await me.waitForSeq(s0);
    const tasks = "MATCH (t:Task)-[:IN_PROJECT]->(p:Project) RETURN t.id AS id, t.title AS title, p.open AS open ORDER BY id";
    const live = new Recorder();
    me.live(tasks, live.onRows);
    await live.until((r) => r.length === 0);

    proxy.hold();
    const mine = me.executeTemplate("CREATE_TASK", { id: "t1", projectId: "p", title: "mine" }, { id: "mine" }).catch((e: unknown) => e);
    await live.until((r) => r[0]?.["title"] === "mine");
    const { seq: s1 } = await other.executeTemplate("CREATE_TASK", { id: "t1", projectId: "p", title: "theirs" });
    await me.waitForSeq(s1);
    // Mine, re-applied on top, fails on the copy as it will on every replica: theirs shows.
    await live.until((r) => r[0]?.["title"] === "theirs");

    const rejected = next(me, "rejected", (w) => w.id === "mine");
    proxy.release();
    expect(await rejected).toMatchObject({ id: "mine", code: ErrorCode.APPLY_FAILED });
    expect(await mine).toEqual(expect.objectContaining({ seq: expect.any(Number) })); // acknowledged: it is in the log
    expect(await me.query(tasks)).toEqual([{ id: "t1", title: "theirs", open: 1 }]);
    expect(live.results.map((r) => r.map((x) => x["title"]))).toEqual([[], ["mine"], ["theirs"]]);
  });

  test("a live query fires once per real change, and is not even evaluated for events that cannot affect it", async () => {
    await using started = new Resources();
    await using pool = new ClientPool();
    const gw = started.use(await startGatewayProcess());
    const me = await pool.connect(gw.url);
    const other = await pool.connect(gw.url);
    const live = new Recorder();
    me.live(COUNTER, { id: "c1" }, live.onRows);
    // gen_random_uuid() makes every evaluation's rows differ: its listener hears each evaluation.
    const evaluated = new Recorder();
    me.live("MATCH (c:Counter {id: 'c1'}) RETURN c.value AS value, gen_random_uuid() AS nonce", evaluated.onRows);
    await live.until((r) => r.length === 0);
    await evaluated.until((r) => r.length === 0);

    const first = await other.executeTemplate("INCREMENT_COUNTER", { counterId: "c1", amount: 1 });
    await me.waitForSeq(first.seq);
    await live.until((r) => r[0]?.["value"] === 1);
    await evaluated.until((r) => r[0]?.["value"] === 1);
    const evaluations = evaluated.results.length;

    // Unrelated templates and another counter: nothing to evaluate.
    const unrelated: Promise<{ seq: number }>[] = [];
    for (let i = 0; i < 20; i++) unrelated.push(other.executeTemplate("CREATE_USER", { id: `u${i}`, name: `n${i}` }));
    unrelated.push(other.executeTemplate("INCREMENT_COUNTER", { counterId: "c2", amount: 7 }));
    unrelated.push(other.executeTemplate("CREATE_POST", { id: "p1", authorId: "u1", content: "hi" }));
    const last = Math.max(...(await Promise.all(unrelated)).map((a) => a.seq));
    await me.waitForSeq(last);
    // A change that can affect the query but leaves its rows as they are: evaluated, not delivered.
    const zero = await other.executeTemplate("INCREMENT_COUNTER", { counterId: "c1", amount: 0 });
    await me.waitForSeq(zero.seq);
    await evaluated.until(() => evaluated.results.length === evaluations + 1);
    const real = await other.executeTemplate("INCREMENT_COUNTER", { counterId: "c1", amount: 2 });
    await me.waitForSeq(real.seq);
    await live.until((r) => r[0]?.["value"] === 3);
    await evaluated.until((r) => r[0]?.["value"] === 3);

    expect(live.results.map((r) => r[0]?.["value"] ?? null)).toEqual([null, 1, 3]);
    expect(evaluated.results.length).toBe(evaluations + 2);
  });

  test("pending optimistic events survive a restart of a persistent client while the gateway is down", async () => {
    using dir = tempDir();
    using gwDir = tempDir();
    await using started = new Resources();
    const dbPath = join(dir.path, "replica.kuzu");
    let gw = started.use(await startGatewayProcess({ dataDir: gwDir.path }));
    const port = gw.port;
    {
      await using pool = new ClientPool();
      const first = await pool.connect(gw.url, { dbPath, optimistic: true });
      const { seq } = await first.executeTemplate("CREATE_USER", { id: "u0", name: "Zed" });
      await first.waitForSeq(seq);
      await gw.stop();
      void first.executeTemplate("CREATE_USER", { id: "u1", name: "Ann" }, { id: "offline-1" }).catch(() => {});
      void first.executeTemplate("UPDATE_USER", { id: "u0", name: "Zed 2" }, { id: "offline-2" }).catch(() => {});
      const live = new Recorder();
      first.live(USERS, live.onRows);
      await live.until((r) => JSON.stringify(names(r)) === JSON.stringify(["Zed 2", "Ann"]));
    }

    await using pool = new ClientPool();
    const again = pool.make(`ws://127.0.0.1:${port}`, { dbPath, optimistic: true, connectTimeoutMs: 60_000 });
    const live = new Recorder();
    again.live(USERS, live.onRows);
    const connected = again.connect();
    // The replica opened with the pending events on top, before any gateway answered.
    await live.until((r) => JSON.stringify(names(r)) === JSON.stringify(["Zed 2", "Ann"]));
    expect(again.pending.map((w) => [w.id, w.optimistic, w.seq])).toEqual([["offline-1", true, null], ["offline-2", true, null]]);

    const confirmed = [next(again, "confirmed", (w) => w.id === "offline-1"), next(again, "confirmed", (w) => w.id === "offline-2")];
    gw = started.use(await startGatewayProcess({ dataDir: gwDir.path, port }));
    await connected;
    await Promise.all(confirmed);
    expect(again.pending).toEqual([]);
    expect(names(await again.query(USERS))).toEqual(["Zed 2", "Ann"]);
    expect(live.results.map(names)).toEqual([["Zed 2", "Ann"]]);
  });

  test("100 live queries on one client stay right under load", async () => {
    await using started = new Resources();
    await using pool = new ClientPool();
    const gw = started.use(await startGatewayProcess());
    const me = await pool.connect(gw.url, { optimistic: true });
    const other = await pool.connect(gw.url);
    const queries: { cypher: string; params: Record<string, unknown> }[] = [];
    for (let i = 0; i < 40; i++) queries.push({ cypher: COUNTER, params: { id: `c${i % 20}` } });
    for (let i = 0; i < 40; i++) queries.push({ cypher: "MATCH (u:User {id: $id}) RETURN u.name AS name", params: { id: `u${i % 25}` } });
    for (let i = 0; i < 10; i++) queries.push({ cypher: "MATCH (c:Counter) RETURN count(*) AS n, sum(c.value) AS total", params: {} });
    for (let i = 0; i < 10; i++) queries.push({ cypher: "MATCH (u:User) RETURN count(*) AS n", params: {} });
    const recorders = queries.map((q) => {
      const r = new Recorder();
      me.live(q.cypher, q.params, r.onRows);
      return r;
    });

    const sends: Promise<{ seq: number }>[] = [];
    for (let i = 0; i < 400; i++) {
      const by = i % 2 === 0 ? me : other;
      sends.push(
        i % 3 === 0
          ? by.executeTemplate("CREATE_USER", { id: `u${i % 30}`, name: `n${i}` })
          : by.executeTemplate("INCREMENT_COUNTER", { counterId: `c${i % 25}`, amount: i }),
      );
    }
    const head = Math.max(...(await Promise.all(sends)).map((a) => a.seq));
    await me.waitForSeq(head);
    await Promise.all(
      queries.map(async (q, i) => {
        const expected = text(await other.waitForSeq(head).then(() => other.query(q.cypher, q.params)));
        await recorders[i]!.until((rows) => text(rows) === expected);
      }),
    );
    expect(me.pending).toEqual([]);
  }, 120_000);
});
