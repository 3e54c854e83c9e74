/**
 * Downloading an archive a gateway serves over HTTP (`GET /snapshot`, `GET /index-snapshot`):
 * streamed to a file, with the length and sha256 the gateway announced in its headers checked.
 * Shared by clients (bootstrap from a snapshot) and gateways (bootstrap from a peer).
 * @module
 */
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";

/** How far a download has come. */
export interface DownloadProgress {
  /** Bytes downloaded so far. */
  readonly bytes: number;
  /** Archive size when the server announced it. */
  readonly total: number | null;
  /** Seq the server announced for the archive (`<prefix>-seq`), once it answered. */
  readonly seq: number | null;
}

/** Options of {@link downloadArchive}. */
export interface DownloadOptions {
  /** Prefix of the seq and sha256 headers: `x-snapshot` (default) reads `x-snapshot-seq` and `x-snapshot-sha256`. */
  readonly headerPrefix?: string;
  /** Access token sent as `Authorization: Bearer` (never logged). */
  readonly token?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: DownloadProgress) => void;
}

/**
 * A download failed; `status` is the HTTP status when the server answered with an error.
 * @example
 * try { await downloadArchive(url, dest); } catch (e) { if (e instanceof DownloadError && e.status === 401) askForToken(); }
 */
export class DownloadError extends SyncError {
  readonly status: number | null;

  constructor(message: string, status: number | null, cause?: unknown) {
    super(ErrorCode.INTERNAL, message, cause === undefined ? undefined : { cause });
    this.status = status;
  }
}

/** What {@link downloadArchive} fetched. */
export interface DownloadedArchive {
  /** The announced seq, or null when the server sent none. */
  readonly seq: number | null;
  readonly bytes: number;
  /** sha256 of what was written, hex (equal to the announced one when there was one). */
  readonly sha256: string;
  /** The response headers (e.g. the snapshot's registry hash). */
  readonly headers: Headers;
}

/**
 * Download `url` to `dest`, streaming, and check the announced length and sha256. Throws a
 * {@link DownloadError} (a SyncError, `INTERNAL`) naming the URL and, for an answer other than
 * 2xx, the HTTP status;
 * `dest` may then hold a partial file, which the caller removes.
 * @example
 * const { seq } = await downloadArchive(new URL("http://127.0.0.1:8080/snapshot"), "/tmp/s.tar", { token });
 */
export async function downloadArchive(url: URL, dest: string, options: DownloadOptions = {}): Promise<DownloadedArchive> {
  const prefix = options.headerPrefix ?? "x-snapshot";
  let res: Response;
  try {
    res = await fetch(url, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.token ? { headers: { Authorization: `Bearer ${options.token}` } } : {}),
    });
  } catch (cause) {
    throw new DownloadError(`cannot download ${url}: ${String(cause)}`, null, cause);
  }
  if (!res.ok || !res.body) throw new DownloadError(`${url} answered HTTP ${res.status}`, res.status);
  const length = Number(res.headers.get("content-length"));
  const total = Number.isSafeInteger(length) && length > 0 ? length : null;
  const seqHeader = res.headers.get(`${prefix}-seq`);
  const seq = seqHeader !== null && /^\d+$/.test(seqHeader) ? Number(seqHeader) : null;
  const expected = res.headers.get(`${prefix}-sha256`);
  const hasher = new Bun.CryptoHasher("sha256");
  const writer = Bun.file(dest).writer({ highWaterMark: 1 << 20 });
  let bytes = 0;
  try {
    options.onProgress?.({ bytes, total, seq });
    for await (const chunk of res.body) {
      hasher.update(chunk);
      writer.write(chunk);
      bytes += chunk.byteLength;
      options.onProgress?.({ bytes, total, seq });
    }
  } finally {
    await writer.end();
  }
  if (total !== null && bytes !== total) throw new DownloadError(`download of ${url} ended after ${bytes} of ${total} bytes`, null);
  const sha256 = hasher.digest("hex");
  if (expected && sha256 !== expected) throw new DownloadError(`${url}: sha256 ${sha256} differs from the announced ${expected}`, null);
  return { seq, bytes, sha256, headers: res.headers };
}
