/**
 * Clients for tests: every client made here is closed after the test, whatever happened.
 * @module
 */
import { createSyncClient, type SnapshotProgress, type SyncClient, type SyncClientOptions } from "@kuzu-sync/client";

export class ClientPool implements AsyncDisposable {
  readonly #clients: SyncClient[] = [];

  make(url: string, options: SyncClientOptions = {}): SyncClient {
    const client = createSyncClient(url, { statsIntervalMs: 0, backoff: { initialDelayMs: 20, maxDelayMs: 300 }, ...options });
    this.#clients.push(client);
    return client;
  }

  async connect(url: string, options: SyncClientOptions = {}): Promise<SyncClient> {
    const client = this.make(url, options);
    await client.connect();
    return client;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.#clients.splice(0).map((c) => c.close()));
  }
}

/** The state the example templates produce, in one comparable value. */
export async function graphState(client: Pick<SyncClient, "query">): Promise<unknown> {
  return {
    users: await client.query("MATCH (u:User) RETURN u.id AS id, u.name AS name, u.email AS email ORDER BY id"),
    posts: await client.query("MATCH (p:Post) RETURN p.id AS id, p.authorId AS authorId, p.content AS content ORDER BY id"),
    counters: await client.query("MATCH (c:Counter) RETURN c.id AS id, c.value AS value ORDER BY id"),
    follows: await client.query("MATCH (a:User)-[:FOLLOWS]->(b:User) RETURN a.id AS x, b.id AS y ORDER BY x, y"),
    authored: await client.query("MATCH (a:User)-[:AUTHORED]->(p:Post) RETURN a.id AS x, p.id AS y ORDER BY x, y"),
  };
}

/** A mixed history: users, posts, follows, counters, deletes. Returns the head seq. */
export async function writeHistory(c: SyncClient, n: number, tag: string): Promise<number> {
  const sends: Promise<{ seq: number }>[] = [];
  for (let i = 0; i < n; i++) {
    const u = `u${i % 13}`;
    switch (i % 6) {
      case 0:
        sends.push(c.executeTemplate("CREATE_USER", { id: u, name: `${tag}-${i}`, email: `${u}@x` }));
        break;
      case 1:
        sends.push(c.executeTemplate("CREATE_POST", { id: `p${i % 17}`, authorId: u, content: `post ${tag} ${i}` }));
        break;
      case 2:
        sends.push(c.executeTemplate("FOLLOW_USER", { followerId: u, targetId: `u${(i + 5) % 13}` }));
        break;
      case 3:
        sends.push(c.executeTemplate("INCREMENT_COUNTER", { counterId: `c${i % 4}`, amount: i }));
        break;
      case 4:
        sends.push(c.executeTemplate("UPDATE_USER", { id: `u${(i + 3) % 13}`, name: `renamed ${tag} ${i}` }));
        break;
      default:
        sends.push(i % 12 === 5 ? c.executeTemplate("DELETE_POST", { id: `p${(i + 1) % 17}` }) : c.executeTemplate("UNFOLLOW_USER", { followerId: u, targetId: `u${(i + 1) % 13}` }));
    }
  }
  const acks = await Promise.all(sends);
  return Math.max(...acks.map((a) => a.seq));
}

/**
 * Make a client in `pool` and connect it, recording how it got its state: the snapshot phases it
 * went through and how many events it applied one by one.
 */
export async function connectCounting(
  pool: ClientPool,
  url: string,
  options: SyncClientOptions = {},
): Promise<{ client: SyncClient; phases: SnapshotProgress["phase"][]; applied: () => number }> {
  const client = pool.make(url, options);
  const phases: SnapshotProgress["phase"][] = [];
  let applied = 0;
  client.on("snapshot", (p) => phases.push(p.phase));
  client.on("event", () => applied++);
  await client.connect();
  return { client, phases, applied: () => applied };
}
