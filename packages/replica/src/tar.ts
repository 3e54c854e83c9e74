/**
 * A minimal USTAR writer and reader for flat directories of regular files: how a replica snapshot
 * (Kuzu's EXPORT DATABASE output) travels as one file. Deliberately narrow: no subdirectories, no
 * links, no special files, and names limited to a safe character set, so unpacking an archive
 * from the network can never write outside the target directory.
 * @module
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";

const BLOCK = 512;
/** Names a snapshot file may have: Kuzu's `<table>.parquet`, `*.cypher`, our `snapshot.json`. */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;
/** Largest size a USTAR octal size field holds (11 octal digits). */
const MAX_SIZE = 0o77777777777;

/** What {@link packDirectory} wrote. */
export interface PackResult {
  readonly bytes: number;
  /** sha256 of the whole archive, hex. */
  readonly sha256: string;
  readonly files: readonly string[];
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function header(name: string, size: number, mtime: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const enc = new TextEncoder();
  const put = (offset: number, text: string) => h.set(enc.encode(text), offset);
  put(0, name);
  put(100, octal(0o644, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(size, 12));
  put(136, octal(Math.floor(mtime / 1000), 12));
  put(148, "        "); // checksum is computed with this field as spaces
  put(156, "0");
  put(257, "ustar\0");
  put(263, "00");
  let sum = 0;
  for (const b of h) sum += b;
  put(148, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

function assertSafeName(name: string): void {
  if (!SAFE_NAME.test(name) || name === "." || name === "..") {
    throw new SyncError(ErrorCode.BAD_MESSAGE, `snapshot archive entry ${JSON.stringify(name)} is not a plain file name`);
  }
}

/**
 * Write every regular file of `dir` (no subdirectories) into a tar file at `outPath`, streaming,
 * and return its size and sha256.
 * @example
 * const { bytes, sha256 } = await packDirectory("/tmp/export", "/data/snapshots/42.tar");
 */
export async function packDirectory(dir: string, outPath: string): Promise<PackResult> {
  const names = readdirSync(dir).sort();
  const hasher = new Bun.CryptoHasher("sha256");
  writeFileSync(outPath, new Uint8Array(0));
  const writer = Bun.file(outPath).writer({ highWaterMark: 1 << 20 });
  let bytes = 0;
  const write = (chunk: Uint8Array) => {
    hasher.update(chunk);
    writer.write(chunk);
    bytes += chunk.byteLength;
  };
  try {
    for (const name of names) {
      const path = join(dir, name);
      const st = statSync(path);
      if (!st.isFile()) throw new SyncError(ErrorCode.INTERNAL, `cannot pack ${path}: only regular files are supported`);
      assertSafeName(name);
      if (st.size > MAX_SIZE) throw new SyncError(ErrorCode.INTERNAL, `cannot pack ${path}: larger than 8 GiB`);
      write(header(name, st.size, st.mtimeMs));
      let written = 0;
      for await (const chunk of Bun.file(path).stream()) {
        write(chunk);
        written += chunk.byteLength;
      }
      if (written !== st.size) throw new SyncError(ErrorCode.INTERNAL, `${path} changed while being packed`);
      const pad = (BLOCK - (st.size % BLOCK)) % BLOCK;
      if (pad > 0) write(new Uint8Array(pad));
      await writer.flush();
    }
    write(new Uint8Array(BLOCK * 2));
  } finally {
    await writer.end();
  }
  return { bytes, sha256: hasher.digest("hex"), files: names };
}

/**
 * Copy `size` bytes at `start` of `file` to `dest`, streaming. (Not `Bun.write(dest, file.slice())`:
 * Bun 1.4 copies a sliced file from its start, ignoring the slice's offset.)
 */
async function copyRange(file: ReturnType<typeof Bun.file>, start: number, size: number, dest: string): Promise<void> {
  writeFileSync(dest, new Uint8Array(0)); // a FileSink writes over an existing file without truncating it
  const writer = Bun.file(dest).writer({ highWaterMark: 1 << 20 });
  try {
    const step = 4 << 20;
    for (let at = start; at < start + size; at += step) {
      writer.write(await file.slice(at, Math.min(at + step, start + size)).bytes());
      await writer.flush();
    }
  } finally {
    await writer.end();
  }
}

function field(h: Uint8Array, offset: number, length: number): string {
  const raw = h.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? raw.subarray(0, end) : raw);
}

/**
 * Extract a tar written by {@link packDirectory} into `destDir` (created if missing). Rejects
 * anything but plain files with safe names, so a hostile archive cannot escape `destDir`.
 * @example
 * const files = await unpackArchive("/tmp/snapshot.tar", "/tmp/snapshot");
 */
export async function unpackArchive(archivePath: string, destDir: string): Promise<string[]> {
  mkdirSync(destDir, { recursive: true });
  const file = Bun.file(archivePath);
  const total = file.size;
  const files: string[] = [];
  let offset = 0;
  const bad = (why: string) => new SyncError(ErrorCode.BAD_MESSAGE, `snapshot archive ${archivePath} is malformed: ${why}`);
  while (offset + BLOCK <= total) {
    const h = await file.slice(offset, offset + BLOCK).bytes();
    if (h.every((b) => b === 0)) return files;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    const stored = parseInt(field(h, 148, 8).trim(), 8);
    if (stored !== sum) throw bad(`header checksum mismatch at byte ${offset}`);
    const name = field(h, 0, 100);
    const type = String.fromCharCode(h[156]!);
    if (type !== "0" && type !== "\0") throw bad(`entry ${JSON.stringify(name)} is not a regular file (type ${JSON.stringify(type)})`);
    if (field(h, 345, 155) !== "") throw bad(`entry ${JSON.stringify(name)} has a path prefix`);
    assertSafeName(name);
    const size = parseInt(field(h, 124, 12).trim(), 8);
    if (!Number.isSafeInteger(size) || size < 0) throw bad(`entry ${JSON.stringify(name)} has an invalid size`);
    const start = offset + BLOCK;
    if (start + size > total) throw bad(`entry ${JSON.stringify(name)} is truncated`);
    if (files.includes(name)) throw bad(`entry ${JSON.stringify(name)} appears twice`);
    await copyRange(file, start, size, join(destDir, name));
    files.push(name);
    offset = start + size + ((BLOCK - (size % BLOCK)) % BLOCK);
  }
  throw bad("missing end-of-archive marker");
}
