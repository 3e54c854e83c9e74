/**
 * The types of a snapshot bootstrap, shared by its Bun implementation (snapshot-bootstrap.ts) and
 * its browser stand-in (snapshot-bootstrap-browser.ts).
 * @module
 */
import type { SnapshotOffer } from "@kuzu-sync/protocol";
import type { Replica } from "@kuzu-sync/replica";
import type { Logger } from "@kuzu-sync/telemetry";

/** Progress of a bootstrap, as emitted on `client.on("snapshot")`. */
export interface SnapshotProgress {
  readonly phase: "download" | "import" | "done";
  /** Bytes downloaded so far. */
  readonly bytes: number;
  /** Archive size when the server announced it. */
  readonly total: number | null;
  /** Seq of the snapshot (known once the server answered; the replica's seq when done). */
  readonly seq: number | null;
}

export interface BootstrapOptions {
  readonly wsUrl: string;
  readonly offer: SnapshotOffer;
  /** The replica being replaced (closed by the swap). */
  readonly current: Replica;
  /** Persistent replica file, or null for in memory. */
  readonly dbPath: string | null;
  /** Whether a snapshot built with this registry (version, hash) belongs to the server's deployment. */
  readonly accepts: (version: number | null, hash: string | null) => boolean;
  readonly logger: Logger;
  readonly onProgress: (p: SnapshotProgress) => void;
  /** Aborts the download (the client is closing). */
  readonly signal?: AbortSignal;
  /** Access token for a gateway with authentication on (GET /snapshot needs it too). */
  readonly token?: string;
}
