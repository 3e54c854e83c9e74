/**
 * Clients for tests: every client made here is closed after the test, whatever happened.
 * @module
 */
import { createSyncClient, type SyncClient, type SyncClientOptions } from "@kuzu-sync/client";

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
