/**
 * Registry events are archived like any event (docs/PROTOCOL.md §10.5): `sync-archiver restore`
 * prints them in its NDJSON, `restore --registry` lists them one line each, and the log keeps its
 * registry versions after their events left for S3.
 * @module
 */
import { expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { RegistryHistory, SqliteEventLog } from "@kuzu-sync/log";
import { defineTemplates, registryChange, registryEvent, z } from "@kuzu-sync/protocol";
import { DAY } from "./support/aged-log.ts";
import { parseNdjson, runArchiver } from "./support/archiver-process.ts";
import { tempDir } from "./support/gateway-process.ts";
import { startS3Server } from "./support/s3-server.ts";

const v1 = defineTemplates({
  schema: ["CREATE NODE TABLE Note(id STRING, text STRING, PRIMARY KEY(id))"],
  templates: { PUT_NOTE: { params: { id: z.string(), text: z.string() }, cypher: "MERGE (n:Note {id: $id}) SET n.text = $text" } },
});
const v2 = defineTemplates({
  version: 2,
  schema: ["CREATE NODE TABLE Note(id STRING, text STRING, pinned BOOLEAN DEFAULT false, PRIMARY KEY(id))"],
  migrate: ["ALTER TABLE Note ADD pinned BOOLEAN DEFAULT false"],
  templates: {
    PUT_NOTE: { params: { id: z.string(), text: z.string() }, cypher: "MERGE (n:Note {id: $id}) SET n.text = $text" },
    PIN_NOTE: { params: { id: z.string() }, cypher: "MATCH (n:Note {id: $id}) SET n.pinned = true" },
  },
});

test("registry events go to the archive with the rest; restore --registry lists them; the log keeps its versions", async () => {
  using dir = tempDir();
  await using s3 = await startS3Server();
  const now = Date.now();
  let clock = now - 40 * DAY;
  const log = SqliteEventLog.open({ path: join(dir.path, "events.sqlite"), now: () => clock });
  const note = (i: number) => ({ id: `n${i}`, template: "PUT_NOTE", params: { id: `n${i}`, text: `note ${i}` }, clientId: "w", timestamp: clock });
  await log.append([registryEvent(registryChange("genesis", v1.toWire()), clock)]);
  await log.append(Array.from({ length: 10 }, (_, i) => note(i)));
  await log.append([registryEvent(registryChange("upgrade", v2.toWire()), clock)]);
  await log.append(Array.from({ length: 5 }, (_, i) => note(10 + i)));
  clock = now;
  await log.append(Array.from({ length: 5 }, (_, i) => note(20 + i)));
  log.recordReplicaSeq(log.headSeq);
  expect(log.registry.entries().map((e) => [e.version, e.seq, e.kind])).toEqual([[1, 1, "genesis"], [2, 12, "upgrade"]]);
  await log.close();

  const env = { ...s3.env, DATA_DIR: dir.path };
  const run = await runArchiver(["run", "--older-than", "30d"], env);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain("archived 17 events");

  const all = parseNdjson((await runArchiver(["restore", "--from-seq", "1"], env)).stdout) as { seq: number; template: string }[];
  expect(all.filter((e) => e.template === "KUZU_SYNC_REGISTRY").map((e) => e.seq)).toEqual([1, 12]);
  const listed = await runArchiver(["restore", "--from-seq", "1", "--registry"], env);
  expect(listed.code).toBe(0);
  expect(listed.stdout.trimEnd().split("\n")).toEqual([
    `seq 1: registry version 1 (genesis), hash ${v1.hash}, 1 step(s), 1 templates`,
    `seq 12: registry version 2 (upgrade), hash ${v2.hash}, 1 step(s), 2 templates`,
  ]);

  // The events left for S3; the versions stay with the log, so a gateway still knows them.
  const db = new Database(join(dir.path, "events.sqlite"), { readonly: true });
  try {
    expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM events WHERE seq <= 17").get()!.n).toBe(0);
    expect(RegistryHistory.read(db).map((e) => [e.version, e.seq, e.hash])).toEqual([[1, 1, v1.hash], [2, 12, v2.hash]]);
  } finally {
    db.close();
  }
});
