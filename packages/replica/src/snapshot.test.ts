import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exampleRegistry, type SequencedEvent } from "@kuzu-sync/protocol";
import { Replica } from "./replica.ts";
import { openSnapshotArchive, writeSnapshotArchive } from "./snapshot.ts";
import { packDirectory, unpackArchive } from "./tar.ts";

const registry = exampleRegistry.toWire();
const open: Replica[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), "snapshot-test-"));
  dirs.push(d);
  return d;
}

function ev(seq: number, template: string, params: Record<string, unknown>): SequencedEvent {
  const v = exampleRegistry.validate(template, params);
  if (!v.ok) throw new Error(v.message);
  return { id: `e${seq}`, template, params: v.params, clientId: "t", timestamp: 0, seq, serverTimestamp: 0 };
}

const nasty = `'); MATCH (n) DETACH DELETE n; // \\" ` + "`x` $id {} é 漢字 \n line2";
const history = [
  ev(1, "CREATE_USER", { id: "a", name: nasty, email: "a@x" }),
  ev(2, "CREATE_USER", { id: "b", name: "B" }),
  ev(3, "FOLLOW_USER", { followerId: "a", targetId: "b" }),
  ev(4, "CREATE_POST", { id: "p1", authorId: "a", content: "hello" }),
  ev(5, "INCREMENT_COUNTER", { counterId: "c", amount: 41 }),
  ev(6, "INCREMENT_COUNTER", { counterId: "c" }),
];

async function state(r: Replica): Promise<unknown> {
  return {
    users: await r.query("MATCH (u:User) RETURN u.id AS id, u.name AS name, u.email AS email ORDER BY id"),
    posts: await r.query("MATCH (p:Post) RETURN p.id AS id, p.content AS content ORDER BY id"),
    counters: await r.query("MATCH (c:Counter) RETURN c.id AS id, c.value AS value ORDER BY id"),
    follows: await r.query("MATCH (a:User)-[:FOLLOWS]->(b:User) RETURN a.id AS x, b.id AS y ORDER BY x, y"),
    authored: await r.query("MATCH (a:User)-[:AUTHORED]->(p:Post) RETURN a.id AS x, p.id AS y ORDER BY x, y"),
  };
}

async function source(): Promise<Replica> {
  const r = await Replica.open();
  open.push(r);
  await r.install(registry);
  await r.apply(history);
  return r;
}

describe("replica snapshots", () => {
  test("export then import gives the same graph, seq and registry, and the copy keeps applying", async () => {
    const src = await source();
    const dir = scratch();
    const archive = await writeSnapshotArchive(src, join(dir, "snap.tar"), dir);
    expect(archive.seq).toBe(6);
    expect(archive.registryHash).toBe(registry.hash);
    expect(archive.sha256).toBe(new Bun.CryptoHasher("sha256").update(await Bun.file(archive.path).bytes()).digest("hex"));
    expect(readdirSync(dir)).toEqual(["snap.tar"]); // scratch export removed

    const copy = await openSnapshotArchive(archive.path, { path: join(dir, "copy.kuzu") }, dir);
    open.push(copy);
    expect(copy.appliedSeq).toBe(6);
    expect(copy.registryHash).toBe(registry.hash);
    expect(await state(copy)).toEqual(await state(src));

    await copy.install(registry);
    const next = [ev(7, "DELETE_USER", { id: "b" }), ev(8, "UPDATE_USER", { id: "a", email: "new@x" })];
    await copy.apply(next);
    await src.apply(next);
    expect(copy.appliedSeq).toBe(8);
    expect(await state(copy)).toEqual(await state(src));

    // The imported copy is an ordinary persistent replica: it reopens at its seq.
    await copy.close();
    const reopened = await Replica.open({ path: join(dir, "copy.kuzu") });
    open.push(reopened);
    expect(reopened.appliedSeq).toBe(8);
  });

  test("an in-memory replica can be built from a snapshot", async () => {
    const src = await source();
    const dir = scratch();
    const archive = await writeSnapshotArchive(src, join(dir, "snap.tar"), dir);
    const copy = await openSnapshotArchive(archive.path, { path: null }, dir);
    open.push(copy);
    expect(copy.path).toBeNull();
    expect(await state(copy)).toEqual(await state(src));
  });

  test("an empty replica (schema only) round-trips", async () => {
    const src = await Replica.open();
    open.push(src);
    await src.install(registry);
    const dir = scratch();
    const archive = await writeSnapshotArchive(src, join(dir, "snap.tar"), dir);
    const copy = await openSnapshotArchive(archive.path, {}, dir);
    open.push(copy);
    expect(copy.appliedSeq).toBe(0);
    await copy.install(registry);
    await copy.apply([history[0]!]);
    expect(await copy.query("MATCH (u:User) RETURN u.name AS n")).toEqual([{ n: nasty }]);
  });

  test("import refuses an existing path; export refuses an existing directory", async () => {
    const src = await source();
    const dir = scratch();
    const archive = await writeSnapshotArchive(src, join(dir, "snap.tar"), dir);
    writeFileSync(join(dir, "taken.kuzu"), "x");
    await expect(openSnapshotArchive(archive.path, { path: join(dir, "taken.kuzu") }, dir)).rejects.toThrow(/already exists/);
    await expect(src.exportSnapshot(dir)).rejects.toThrow(/already exists/);
  });

  test("a snapshot whose Cypher does more than create tables and copy its own files is refused", async () => {
    const src = await source();
    const dir = scratch();
    const exportDir = join(dir, "export");
    await src.exportSnapshot(exportDir);
    writeFileSync(join(exportDir, "copy.cypher"), `LOAD FROM "/etc/passwd" RETURN *;\n`);
    await expect(Replica.importSnapshot(exportDir, {})).rejects.toThrow(/copy.cypher: unexpected statement/);
    writeFileSync(join(exportDir, "copy.cypher"), `COPY \`User\` FROM "../../etc/x.parquet";\n`);
    await expect(Replica.importSnapshot(exportDir, {})).rejects.toThrow(/unexpected statement/);
    writeFileSync(join(exportDir, "copy.cypher"), `COPY \`User\` FROM "Missing.parquet" (parallel=true);\n`);
    await expect(Replica.importSnapshot(exportDir, {})).rejects.toThrow(/not in the snapshot/);
  });
});

describe("tar", () => {
  function rawEntry(name: string, body: string, type = "0"): Uint8Array {
    const h = new Uint8Array(512);
    const enc = new TextEncoder();
    h.set(enc.encode(name), 0);
    h.set(enc.encode(body.length.toString(8).padStart(11, "0") + "\0"), 124);
    h.set(enc.encode("        "), 148);
    h.set(enc.encode(type), 156);
    h.set(enc.encode("ustar\0"), 257);
    let sum = 0;
    for (const b of h) sum += b;
    h.set(enc.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
    const data = new Uint8Array(Math.ceil(body.length / 512) * 512);
    data.set(enc.encode(body));
    return new Uint8Array([...h, ...data, ...new Uint8Array(1024)]);
  }

  test("round-trips a directory of files, byte for byte", async () => {
    const dir = scratch();
    const src = join(dir, "src");
    mkdirSync(src);
    const big = new Uint8Array(700_001).map((_, i) => (i * 31) % 256);
    writeFileSync(join(src, "a.bin"), big);
    writeFileSync(join(src, "empty.cypher"), "");
    writeFileSync(join(src, "x.parquet"), "512".repeat(171)); // not a multiple of 512
    const packed = await packDirectory(src, join(dir, "out.tar"));
    expect(packed.files).toEqual(["a.bin", "empty.cypher", "x.parquet"]);
    expect(packed.bytes % 512).toBe(0);
    const files = await unpackArchive(join(dir, "out.tar"), join(dir, "dst"));
    expect(files).toEqual(["a.bin", "empty.cypher", "x.parquet"]);
    expect(await Bun.file(join(dir, "dst", "a.bin")).bytes()).toEqual(big);
    expect(await Bun.file(join(dir, "dst", "empty.cypher")).text()).toBe("");
    expect(await Bun.file(join(dir, "dst", "x.parquet")).text()).toBe("512".repeat(171));
  });

  test("refuses entries that would escape the target directory, links, and corrupt headers", async () => {
    const dir = scratch();
    const cases: [string, Uint8Array, RegExp][] = [
      ["traversal", rawEntry("../evil", "x"), /not a plain file name/],
      ["absolute", rawEntry("/tmp/evil", "x"), /not a plain file name/],
      ["nested", rawEntry("a/b", "x"), /not a plain file name/],
      ["symlink", rawEntry("link", "", "2"), /not a regular file/],
      ["truncated", rawEntry("a", "x".repeat(600)).slice(0, 900), /truncated/],
    ];
    for (const [name, bytes, error] of cases) {
      writeFileSync(join(dir, `${name}.tar`), bytes);
      await expect(unpackArchive(join(dir, `${name}.tar`), join(dir, `out-${name}`))).rejects.toThrow(error);
    }
    const corrupt = rawEntry("ok", "hello");
    corrupt[10] = 65;
    writeFileSync(join(dir, "corrupt.tar"), corrupt);
    await expect(unpackArchive(join(dir, "corrupt.tar"), join(dir, "out-corrupt"))).rejects.toThrow(/checksum/);
    expect(existsSync(join(dir, "evil"))).toBe(false);
    expect(existsSync("/tmp/evil")).toBe(false);
  });
});
