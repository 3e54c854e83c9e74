/**
 * A real S3-compatible server for tests: `s3rver` on a random port with a temp directory and one
 * bucket, plus the environment `sync-archiver` needs to reach it. `stop()` takes it down (the
 * "S3 is unreachable" case) and `start()` brings it back on the same port with the same data.
 * @module
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

/** The credentials s3rver accepts. */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export interface S3Server extends AsyncDisposable {
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  /** Environment for the sync-archiver bin. */
  readonly env: Readonly<Record<string, string>>;
  readonly client: S3Client;
  stop(): Promise<void>;
  start(): Promise<void>;
  keys(prefix: string): Promise<string[]>;
  get(key: string): Promise<Uint8Array>;
  put(key: string, body: Uint8Array | string): Promise<void>;
}

export async function startS3Server(options: { bucket?: string; allowMismatchedSignatures?: boolean } = {}): Promise<S3Server> {
  const bucket = options.bucket ?? "kuzu-sync-archive";
  const dir = mkdtempSync(join(tmpdir(), "s3rver-"));
  let port = 0;
  let server: S3rver | null = null;
  const start = async () => {
    const s = new S3rver({
      port,
      address: "127.0.0.1",
      directory: dir,
      silent: true,
      allowMismatchedSignatures: options.allowMismatchedSignatures ?? false,
      configureBuckets: [{ name: bucket }],
    });
    port = (await s.run()).port;
    server = s;
  };
  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  const stop = async () => {
    const s = server;
    server = null;
    await s?.close();
  };
  return {
    endpoint,
    port,
    bucket,
    client,
    env: {
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: "us-east-1",
      S3_FORCE_PATH_STYLE: "true",
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    },
    stop,
    start,
    async keys(prefix) {
      const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (out.Contents ?? []).map((o) => o.Key!).sort();
    },
    async get(key) {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return out.Body!.transformToByteArray();
    },
    async put(key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async [Symbol.asyncDispose]() {
      client.destroy();
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
