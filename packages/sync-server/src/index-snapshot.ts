/**
 * `GET /index-snapshot` (JetStream mode): a consistent copy of this gateway's id index (event id →
 * first seq, counts, aggregates, consumed head) for a new gateway bootstrapping from this one
 * (peer-bootstrap.ts). Without the ids of archived events, a new gateway would accept a late resend
 * of one as a new event where its peers answer "duplicate" (PROTOCOL.md §9.4).
 *
 * Each request exports afresh (`VACUUM INTO`, between two recorded groups) into `dir`; the newest
 * two copies are kept so a download in progress is not cut off, the rest removed.
 * @module
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "@kuzu-sync/telemetry";

/** HTTP path the index copy is served on. */
export const INDEX_SNAPSHOT_PATH = "/index-snapshot";

/** Prefix of the response headers `x-index-seq` (the copy's head) and `x-index-sha256`. */
export const INDEX_SNAPSHOT_HEADER_PREFIX = "x-index";

/** What can write a consistent copy of an index (the JetStream log's). */
export interface IndexExporter {
  exportIndex(path: string): { readonly head: number };
}

/**
 * @example
 * const indexSnapshots = new IndexSnapshotService(jetstreamLog, join(dataDir, "index-snapshots"), logger);
 * indexSnapshots.start();
 * if (url.pathname === INDEX_SNAPSHOT_PATH) return indexSnapshots.handle();
 */
export class IndexSnapshotService {
  readonly #source: IndexExporter;
  readonly #dir: string;
  readonly #logger: Logger;
  #n = 0;

  constructor(source: IndexExporter, dir: string, logger: Logger) {
    this.#source = source;
    this.#dir = dir;
    this.#logger = logger;
  }

  /** Empty the directory (copies of a previous run are stale). */
  start(): void {
    rmSync(this.#dir, { recursive: true, force: true });
    mkdirSync(this.#dir, { recursive: true });
  }

  /** `GET /index-snapshot`: the SQLite file, with its head seq and sha256 in headers. */
  async handle(): Promise<Response> {
    const path = join(this.#dir, `index-${Date.now()}-${++this.#n}.sqlite`);
    let head: number;
    let sha256: string;
    try {
      ({ head } = this.#source.exportIndex(path));
      const hasher = new Bun.CryptoHasher("sha256");
      for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
      sha256 = hasher.digest("hex");
    } catch (error) {
      rmSync(path, { force: true });
      this.#logger.error("index snapshot failed", { error: String(error) });
      return Response.json({ error: `index snapshot unavailable: ${String(error)}` }, { status: 503 });
    }
    this.#prune(path);
    this.#logger.info("index snapshot served", { head, bytes: Bun.file(path).size });
    return new Response(Bun.file(path), {
      headers: {
        "content-type": "application/vnd.sqlite3",
        "content-length": String(Bun.file(path).size),
        [`${INDEX_SNAPSHOT_HEADER_PREFIX}-seq`]: String(head),
        [`${INDEX_SNAPSHOT_HEADER_PREFIX}-sha256`]: sha256,
        "cache-control": "no-store",
      },
    });
  }

  /** Keep `keep` and the newest copy before it. */
  #prune(keep: string): void {
    const older = readdirSync(this.#dir)
      .filter((f) => /^index-\d+-\d+\.sqlite$/.test(f) && join(this.#dir, f) !== keep)
      .sort((a, b) => order(b) - order(a));
    for (const f of older.slice(1)) rmSync(join(this.#dir, f), { force: true });
  }
}

/** Request number of a copy's file name (its creation order). */
function order(file: string): number {
  return Number(/-(\d+)\.sqlite$/.exec(file)![1]);
}
