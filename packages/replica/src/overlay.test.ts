import { afterEach, describe, expect, test } from "bun:test";
import { defineTemplates, exampleRegistry, type ClientEvent, type SequencedEvent, type WireRegistry } from "@kuzu-sync/protocol";
import { z } from "zod";
import { diffGraphDumps, dumpGraph, type GraphReader } from "./graph-digest.ts";
import { Overlay, withDefaults, type Change } from "./overlay.ts";
import { Replica } from "./replica.ts";

/**
 * The overlay against a real replica, with the client's part played by a small harness: a serial
 * "inbox" that applies batches to the replica and confirms them on the overlay, and runs the
 * overlay's steps between them.
 */
class Harness {
  readonly changes: Change[] = [];
  readonly overlay: Overlay;
  /** Confirmed history, in seq order (what a fresh replica replays for the reference). */
  readonly history: SequencedEvent[] = [];
  /** Own pending events, in the order written. */
  pending: ClientEvent[] = [];
  #inbox: Promise<unknown> = Promise.resolve();
  #n = 0;

  private constructor(
    readonly replica: Replica,
    readonly registry: WireRegistry,
  ) {
    this.overlay = new Overlay({
      replica: () => this.replica,
      inStep: (task) => void this.#step(task),
      changed: (change) => this.changes.push(change),
    });
  }

  static async open(registry: WireRegistry): Promise<Harness> {
    const replica = await Replica.open();
    await replica.install(registry);
    return new Harness(replica, registry);
  }

  /** A reader of what the client would show: the overlay while it shows something, else the replica. */
  get view(): GraphReader {
    return { query: (cypher) => (this.overlay.showing ? this.overlay.query(cypher) : this.replica.query(cypher)) };
  }

  own(template: string, params: Record<string, unknown>): ClientEvent {
    const event: ClientEvent = { id: `own-${++this.#n}`, template, params, clientId: "me", timestamp: 0 };
    this.pending.push(event);
    void this.overlay.add(event);
    return event;
  }

  /** Someone else's event, or one of ours (`event`), sequenced next. */
  sequenced(event: ClientEvent): SequencedEvent {
    const registered = this.registry.templates.find((t) => t.name === event.template);
    const params = withDefaults(registered?.paramsJsonSchema, event.params);
    const e: SequencedEvent = { ...event, params, seq: ++this.#seq, serverTimestamp: 0 };
    this.history.push(e);
    this.pending = this.pending.filter((p) => p.id !== event.id);
    return e;
  }
  /** The last seq handed out (the replica installed its registry at 0). */
  #seq = 0;

  other(template: string, params: Record<string, unknown>): SequencedEvent {
    return this.sequenced({ id: `other-${++this.#n}`, template, params, clientId: "someone", timestamp: 0 });
  }

  /** Deliver a batch: the replica applies it, then the overlay confirms it (in step). */
  deliver(events: SequencedEvent[]): Promise<void> {
    return this.#step(async () => {
      const outcomes = await this.replica.apply(events);
      await this.overlay.confirm(events, outcomes);
    });
  }

  /** The server refused one of ours. */
  refuse(event: ClientEvent): void {
    this.pending = this.pending.filter((p) => p.id !== event.id);
    void this.overlay.remove(event.id);
  }

  /** Everything queued so far is done (steps the overlay asked for included). */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await this.#inbox;
      await this.overlay.idle();
    }
  }

  /** The state the view must show: the history, then the pending events, on a fresh replica. */
  async expected(): Promise<Awaited<ReturnType<typeof dumpGraph>>> {
    const fresh = await Replica.open();
    try {
      await fresh.install(this.registry);
      await fresh.apply(this.history);
      let seq = fresh.appliedSeq;
      const pending = this.pending.map((e) => {
        const registered = this.registry.templates.find((t) => t.name === e.template);
        return { ...e, params: withDefaults(registered?.paramsJsonSchema, e.params), seq: ++seq, serverTimestamp: 0 };
      });
      await fresh.apply(pending);
      return await dumpGraph(fresh);
    } finally {
      await fresh.close();
    }
  }

  async check(): Promise<void> {
    await this.settle();
    const want = await this.expected();
    const got = await dumpGraph(this.view);
    expect(diffGraphDumps(want, got)).toEqual([]);
  }

  async close(): Promise<void> {
    await this.#inbox;
    await this.overlay.close();
    await this.replica.close();
  }

  #step(task: () => Promise<void>): Promise<void> {
    const next = this.#inbox.then(task);
    this.#inbox = next.catch(() => {});
    return next;
  }
}

const example = exampleRegistry.toWire();
const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});
async function harness(registry: WireRegistry = example): Promise<Harness> {
  const h = await Harness.open(registry);
  open.push(h);
  return h;
}

const users = "MATCH (u:User) RETURN u.id AS id, u.name AS name, u.email AS email ORDER BY id";

describe("Overlay", () => {
  test("ready(): a read right after add() sees the event, even when the copy is first built in step", async () => {
    const h = await harness();
    await h.deliver([h.other("CREATE_USER", { id: "u1", name: "Ann" })]);
    h.own("UPDATE_USER", { id: "u1", name: "first" }); // no copy yet: built by a step
    await h.overlay.ready();
    expect(await h.view.query(users)).toEqual([{ id: "u1", name: "first", email: null }]);
    h.own("UPDATE_USER", { id: "u1", name: "second" }); // the copy exists: applied in the overlay's queue
    await h.overlay.ready();
    expect(await h.view.query(users)).toEqual([{ id: "u1", name: "second", email: null }]);
    await h.check();
  });

  test("confirm() names the events confirmed in place; none when the copy had to be rebuilt", async () => {
    const h = await harness();
    await h.deliver([h.other("CREATE_USER", { id: "u1", name: "Ann" })]);
    const a = h.own("UPDATE_USER", { id: "u1", name: "a" });
    const b = h.own("INCREMENT_COUNTER", { counterId: "c", amount: 2 });
    await h.settle();
    const first = [h.sequenced(a), h.other("CREATE_USER", { id: "u2", name: "Bob" })];
    expect([...(await h.overlay.confirm(first, await h.replica.apply(first)))]).toEqual([a.id]);
    await h.check();
    // Someone else's increment of the same counter lands before b: b is re-applied on top.
    const second = [h.other("INCREMENT_COUNTER", { counterId: "c", amount: 10 }), h.sequenced(b)];
    expect([...(await h.overlay.confirm(second, await h.replica.apply(second)))]).toEqual([]);
    await h.check();
    expect(await h.view.query("MATCH (c:Counter) RETURN c.value AS v")).toEqual([{ v: 12 }]);
  });

  test("prepare(): the copy exists before the first pending event", async () => {
    const h = await harness();
    h.overlay.prepare();
    await h.settle();
    expect(h.overlay.rebuilds).toBe(1);
    h.own("CREATE_USER", { id: "u1", name: "Ann" });
    await h.overlay.ready();
    expect(h.overlay.rebuilds).toBe(1);
    expect(await h.view.query(users)).toEqual([{ id: "u1", name: "Ann", email: null }]);
  });

  test("a pending event shows through the overlay, not in the replica; confirmed in place, the copy is not rebuilt", async () => {
    const h = await harness();
    await h.deliver([h.other("CREATE_USER", { id: "u1", name: "Ann" })]);
    const mine = h.own("UPDATE_USER", { id: "u1", name: "Annie" });
    await h.settle();
    expect(h.overlay.showing).toBe(true);
    expect(await h.overlay.query(users)).toEqual([{ id: "u1", name: "Annie", email: null }]);
    expect(await h.replica.query(users)).toEqual([{ id: "u1", name: "Ann", email: null }]);
    expect(h.changes.at(-1)).toEqual([{ write: true, table: "USER", key: "u1" }]);
    const rebuilds = h.overlay.rebuilds;
    await h.deliver([h.sequenced(mine)]);
    await h.settle();
    expect(h.overlay.showing).toBe(false);
    expect(h.overlay.rebuilds).toBe(rebuilds);
    expect(await h.replica.query(users)).toEqual([{ id: "u1", name: "Annie", email: null }]);
    await h.check();
  });

  test("an event that commutes with the pending ones is applied after them; one that conflicts rebuilds the copy (rebase)", async () => {
    const h = await harness();
    await h.deliver([h.other("CREATE_USER", { id: "u1", name: "Ann" }), h.other("INCREMENT_COUNTER", { counterId: "c", amount: 5 })]);
    h.own("UPDATE_USER", { id: "u1", name: "mine" });
    h.own("INCREMENT_COUNTER", { counterId: "c" }); // amount defaults to 1, as the gateway will fill in
    await h.check();
    const rebuilds = h.overlay.rebuilds;
    await h.deliver([h.other("CREATE_USER", { id: "u2", name: "Bob" })]);
    await h.check();
    expect(h.overlay.rebuilds).toBe(rebuilds);
    // Someone else renames u1 and adds 10 before ours are sequenced: ours go on top of that.
    await h.deliver([h.other("UPDATE_USER", { id: "u1", name: "theirs", email: "t@x" }), h.other("INCREMENT_COUNTER", { counterId: "c", amount: 10 })]);
    await h.check();
    expect(h.overlay.rebuilds).toBe(rebuilds + 1);
    expect(await h.overlay.query("MATCH (u:User {id: 'u1'}) RETURN u.name AS name, u.email AS email")).toEqual([{ name: "mine", email: "t@x" }]);
    expect(await h.overlay.query("MATCH (c:Counter) RETURN c.value AS v")).toEqual([{ v: 16 }]);
  });

  test("a refused event leaves the overlay; so does one that fails on the replica after succeeding on the copy", async () => {
    const h = await harness();
    const refused = h.own("CREATE_USER", { id: "x", name: "refused" });
    await h.settle();
    expect(await h.view.query(users)).toEqual([{ id: "x", name: "refused", email: null }]);
    h.refuse(refused);
    await h.check();
    expect(h.overlay.showing).toBe(false);
    expect(await h.view.query(users)).toEqual([]);
    expect(h.changes.at(-1)).toEqual([{ write: true, table: "USER", key: "x" }]);

    const items = defineTemplates({
      schema: ["CREATE NODE TABLE Item(id STRING, v INT64, PRIMARY KEY(id))"],
      templates: { ADD: { params: { id: z.string() }, cypher: "CREATE (:Item {id: $id, v: 0})" } },
    }).toWire();
    const g = await harness(items);
    const mine = g.own("ADD", { id: "a" });
    await g.settle();
    expect(await g.view.query("MATCH (i:Item) RETURN i.id AS id")).toEqual([{ id: "a" }]);
    // Someone else adds "a" first: ours fails when applied (a duplicate primary key).
    await g.deliver([g.other("ADD", { id: "a" }), g.sequenced(mine)]);
    await g.check();
    expect(g.overlay.showing).toBe(false);
  });

  test("a registry event under pending events rebuilds the copy; an event of a template that no longer exists has no effect", async () => {
    const v1 = defineTemplates({
      schema: ["CREATE NODE TABLE Item(id STRING, v INT64, PRIMARY KEY(id))"],
      templates: {
        PUT: { params: { id: z.string(), v: z.int() }, cypher: "MERGE (i:Item {id: $id}) SET i.v = $v" },
        OLD: { params: { id: z.string() }, cypher: "MERGE (i:Item {id: $id}) SET i.v = -1" },
      },
    });
    const v2 = defineTemplates({
      version: 2,
      migrate: ["ALTER TABLE Item ADD tag STRING DEFAULT 'new'"],
      schema: ["CREATE NODE TABLE Item(id STRING, v INT64, tag STRING DEFAULT 'new', PRIMARY KEY(id))"],
      templates: { PUT: { params: { id: z.string(), v: z.int() }, cypher: "MERGE (i:Item {id: $id}) SET i.v = $v" } },
    });
    const { registryChange, registryEvent } = await import("@kuzu-sync/protocol");
    const h = await harness(v1.toWire());
    await h.deliver([h.other("PUT", { id: "a", v: 1 })]);
    h.own("PUT", { id: "b", v: 2 });
    h.own("OLD", { id: "c" });
    await h.settle();
    expect(await h.view.query("MATCH (i:Item) RETURN i.id AS id ORDER BY id")).toEqual([{ id: "a" }, { id: "b" }, { id: "c" }]);
    const upgrade = registryEvent(registryChange("upgrade", v2.toWire()), 0);
    await h.deliver([h.sequenced(upgrade)]);
    await h.settle();
    // OLD is gone from the registry: its pending event fails on the rebuilt copy (the gateway refuses it).
    expect(await h.view.query("MATCH (i:Item) RETURN i.id AS id, i.tag AS tag ORDER BY id")).toEqual([
      { id: "a", tag: "new" },
      { id: "b", tag: "new" },
    ]);
  });

  test("stress: reads interleaved with pending updates, confirmations, refusals and others' updates of the same rows stay exact", async () => {
    // The rows are few, so every event updates rows that committed changes touched just before
    // (the situation in which a rolled-back update corrupts Kuzu 0.11's version chains), and a
    // relationship property is updated in place too (which crashed the process instead).
    const items = defineTemplates({
      schema: ["CREATE NODE TABLE Item(id STRING, v INT64, PRIMARY KEY(id))", "CREATE REL TABLE LINK(FROM Item TO Item, w INT64)"],
      templates: {
        ADD: { params: { id: z.string() }, cypher: "CREATE (:Item {id: $id, v: 0})" },
        PUT: {
          params: { id: z.string(), v: z.int() },
          cypher: "MERGE (i:Item {id: $id}) SET i.v = $v",
          batch: { cypher: "UNWIND $rows AS r WITH r, r.id AS k MERGE (i:Item {id: k}) SET i.v = r.v", keys: ["id"] },
        },
        BUMP: {
          params: { id: z.string(), d: z.int().default(1) },
          cypher: "MATCH (i:Item {id: $id}) SET i.v = i.v + $d",
          batch: { cypher: "UNWIND $rows AS r WITH r, r.id AS k MATCH (i:Item {id: k}) SET i.v = i.v + r.d", keys: ["id"] },
        },
        LINK: {
          params: { a: z.string(), b: z.string() },
          cypher: "MATCH (x:Item {id: $a}), (y:Item {id: $b}) MERGE (x)-[l:LINK]->(y) ON CREATE SET l.w = 1 ON MATCH SET l.w = l.w + 1",
        },
        WEIGH: { params: { a: z.string(), b: z.string(), d: z.int() }, cypher: "MATCH (x:Item {id: $a})-[l:LINK]->(y:Item {id: $b}) SET l.w = l.w + $d" },
        UNLINK: { params: { a: z.string(), b: z.string() }, cypher: "MATCH (x:Item {id: $a})-[l:LINK]->(y:Item {id: $b}) DELETE l" },
        DROP: { params: { id: z.string() }, cypher: "MATCH (i:Item {id: $id}) DETACH DELETE i" },
      },
    }).toWire();
    let state = 7;
    const rnd = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff), state / 0x7fffffff);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const ids = ["a", "b", "c"];
    const randomEvent = (): [string, Record<string, unknown>] => {
      const [a, b] = [pick(ids), pick(ids)];
      const r = rnd();
      if (r < 0.1) return ["ADD", { id: a }];
      if (r < 0.3) return ["PUT", { id: a, v: Math.floor(rnd() * 100) }];
      if (r < 0.5) return ["BUMP", rnd() < 0.5 ? { id: a } : { id: a, d: Math.floor(rnd() * 10) }];
      if (r < 0.65) return ["LINK", { a, b }];
      if (r < 0.8) return ["WEIGH", { a, b, d: Math.floor(rnd() * 5) + 1 }];
      if (r < 0.9) return ["UNLINK", { a, b }];
      return ["DROP", { id: a }];
    };
    const h = await harness(items);
    await h.deliver(ids.map((id) => h.other("PUT", { id, v: 0 })));
    const reads: Promise<unknown>[] = [];
    // STRESS_ROUNDS=2000 for a longer run (the overlay stress test; figures in docs/BENCHMARKS.md "Local-first client").
    const rounds = Number(process.env["STRESS_ROUNDS"] ?? 60);
    for (let round = 0; round < rounds; round++) {
      for (let i = Math.floor(rnd() * 3); i > 0; i--) h.own(...randomEvent());
      // Reads while the overlay and the replica change underneath them.
      for (let i = 0; i < 3; i++) reads.push(h.view.query("MATCH (i:Item) OPTIONAL MATCH (i)-[l:LINK]->(j:Item) RETURN i.id, i.v, j.id, l.w"));
      const batch: SequencedEvent[] = [];
      for (let i = Math.floor(rnd() * 4); i > 0; i--) {
        const r = rnd();
        if (r < 0.5 && h.pending.length > 0) batch.push(h.sequenced(rnd() < 0.8 ? h.pending[0]! : pick(h.pending)));
        else if (r < 0.6 && h.pending.length > 0) h.refuse(pick(h.pending));
        else batch.push(h.other(...randomEvent()));
      }
      if (batch.length > 0) void h.deliver(batch);
      if (round % 4 === 3) await h.check();
    }
    while (h.pending.length > 0) await h.deliver([h.sequenced(h.pending[0]!)]);
    await h.check();
    expect(h.overlay.showing).toBe(false);
    await Promise.all(reads); // none failed
    expect(h.overlay.rebuilds).toBeGreaterThan(rounds / 10); // conflicts and refusals were met, not only the easy path
  }, 600_000);
});
