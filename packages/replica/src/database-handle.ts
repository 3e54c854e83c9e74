/**
 * The database under a replica and its two connections — one for the write queue, one for
 * reads — which a rollback may force the replica to reopen (see `reopen.ts`). Reads running when
 * it reopens are waited for; reads that come meanwhile wait for the new connection.
 * @module
 */
import * as k from "./kuzu.ts";
import { reopenDatabase } from "./reopen.ts";

/**
 * @example
 * const h = new DatabaseHandle(path, k.openDatabase(path));
 * await k.run(h.write, "BEGIN TRANSACTION");
 * const rows = await h.read((conn) => k.runPrepared(conn, "MATCH (n) RETURN count(n)"));
 */
export class DatabaseHandle {
  #db: k.Database;
  #write: k.Connection;
  #read: k.Connection;
  #reads = 0;
  #readsIdle: (() => void) | null = null;
  #reopening: Promise<void> | null = null;
  #readQueue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string | null,
    db: k.Database,
  ) {
    this.#db = db;
    this.#write = k.openConnection(db);
    this.#read = k.openConnection(db);
  }

  /** The write connection: use it only from the replica's write queue. */
  get write(): k.Connection {
    return this.#write;
  }

  /**
   * Run a read on the read connection (after a reopen in progress, if any), one at a time: two
   * statements running at once on one connection crash Bun with Kuzu 0.11's addon (a segfault
   * within a few hundred overlapping reads), so overlapping `query()` calls wait for each other.
   */
  read<T>(fn: (conn: k.Connection) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      while (this.#reopening) await this.#reopening;
      this.#reads++;
      try {
        return await fn(this.#read);
      } finally {
        if (--this.#reads === 0) this.#readsIdle?.();
      }
    };
    const next = this.#readQueue.then(run, run);
    this.#readQueue = next.catch(() => {});
    return next;
  }

  /** Close and open the database again, once the reads running on it are done. */
  async reopen(): Promise<void> {
    let release!: () => void;
    this.#reopening = new Promise((resolve) => (release = resolve));
    try {
      if (this.#reads > 0) await new Promise<void>((idle) => (this.#readsIdle = idle));
      this.#readsIdle = null;
      await this.#read.close();
      this.#db = await reopenDatabase(this.path, this.#db, this.#write);
      this.#write = k.openConnection(this.#db);
      this.#read = k.openConnection(this.#db);
    } finally {
      this.#reopening = null;
      release();
    }
  }

  /** Close both connections and the database (after a reopen in progress). */
  async close(): Promise<void> {
    while (this.#reopening) await this.#reopening;
    await this.#read.close();
    await this.#write.close();
    await this.#db.close();
  }
}
