/**
 * The bucket, through `@aws-sdk/client-s3`, with every failure turned into one SyncError
 * (`ARCHIVE_UNAVAILABLE`) whose message says what went wrong in operator terms: unreachable,
 * wrong credentials, missing bucket, or a server error.
 * @module
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";

/** How to reach the bucket; parsed from env and flags by the CLI. */
export interface S3Settings {
  /** Custom endpoint (MinIO, s3rver); null for AWS itself. */
  readonly endpoint: string | null;
  readonly bucket: string;
  readonly region: string;
  readonly forcePathStyle: boolean;
  /** Null: the SDK's default credential chain. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | null;
}

/** An object in a listing. */
export interface StoredObject {
  readonly key: string;
  readonly size: number;
}

/**
 * @example
 * const store = ArchiveStore.connect({ endpoint: "http://127.0.0.1:4569", bucket: "events", region: "us-east-1", forcePathStyle: true, credentials: null });
 * await store.checkBucket();
 */
export class ArchiveStore {
  readonly bucket: string;
  readonly #client: S3Client;
  readonly #where: string;

  constructor(client: S3Client, bucket: string, where: string) {
    this.#client = client;
    this.bucket = bucket;
    this.#where = where;
  }

  static connect(settings: S3Settings): ArchiveStore {
    const client = new S3Client({
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      ...(settings.endpoint === null ? {} : { endpoint: settings.endpoint }),
      // A copy: the SDK annotates the credentials object it is given.
      ...(settings.credentials === null ? {} : { credentials: { ...settings.credentials } }),
      maxAttempts: 3,
      // Integrity is checked end to end with our own sha256; the SDK's optional checksums are not
      // supported by every S3-compatible server.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
    });
    return new ArchiveStore(client, settings.bucket, `${settings.endpoint ?? `AWS S3 (${settings.region})`}`);
  }

  /** Fail early, with a clear message, when the bucket cannot be used at all. */
  async checkBucket(): Promise<void> {
    await this.#call("check bucket", "", () => this.#client.send(new HeadBucketCommand({ Bucket: this.bucket })));
  }

  async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    await this.#call("upload", key, () => this.#client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType })));
  }

  /** The object's bytes, or null when there is no such key. */
  async get(key: string): Promise<Uint8Array | null> {
    return this.#call("download", key, async () => {
      try {
        const out = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        if (!out.Body) return new Uint8Array(0);
        return await out.Body.transformToByteArray();
      } catch (error) {
        if (errorName(error) === "NoSuchKey") return null;
        throw error;
      }
    });
  }

  async delete(key: string): Promise<void> {
    await this.#call("delete", key, () => this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  /** Every object under `prefix`, following continuation tokens. */
  async list(prefix: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.#call("list", prefix, () =>
        this.#client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) })),
      );
      for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  close(): void {
    this.#client.destroy();
  }

  async #call<T>(op: string, key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new SyncError(ErrorCode.ARCHIVE_UNAVAILABLE, this.#explain(op, key, error), { cause: error });
    }
  }

  #explain(op: string, key: string, error: unknown): string {
    const target = `bucket "${this.bucket}" at ${this.#where}`;
    const what = key ? `${op} ${key}` : op;
    const name = errorName(error);
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const code = (error as { code?: string }).code ?? "";
    if (/^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ConnectionRefused)$/.test(code) || name === "TimeoutError") {
      return `S3 is unreachable: ${what} on ${target} failed (${code || name})`;
    }
    if (name === "NoSuchBucket" || (op === "check bucket" && status === 404)) return `S3 bucket "${this.bucket}" does not exist at ${this.#where}`;
    if (/^(InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|Forbidden|InvalidToken|ExpiredToken)$/.test(name) || status === 403 || status === 401) {
      return `S3 refused the credentials for ${target} (${name || status}): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`;
    }
    if (status !== undefined && status >= 500) return `S3 server error: ${what} on ${target} answered HTTP ${status} ${name}`.trimEnd();
    const message = error instanceof Error ? error.message : String(error);
    return `S3 ${what} on ${target} failed: ${name ? `${name}: ` : ""}${message}${status ? ` (HTTP ${status})` : ""}`;
  }
}

function errorName(error: unknown): string {
  const e = error as { name?: string; Code?: string };
  return e.Code ?? (e.name && e.name !== "Error" ? e.name : "");
}
