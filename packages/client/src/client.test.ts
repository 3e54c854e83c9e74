import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode } from "@kuzu-sync/protocol";
import { createSyncClient } from "./client.ts";
import { ConnectWaiters } from "./connect-waiters.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "client-test-"));
  dirs.push(dir);
  return dir;
};

// Nothing listens on port 1: the client keeps retrying, so its events stay in the outbox.
const NOWHERE = "ws://127.0.0.1:1";

describe("SyncClient before connect()", () => {
  test("pendingCount and clientId come from a persistent outbox at creation", async () => {
    const dbPath = join(tempDir(), "replica.kuzu");
    const first = createSyncClient(NOWHERE, { dbPath, statsIntervalMs: 0 });
    expect(first.pendingCount).toBe(0);
    const connecting = first.connect().catch(() => {});
    const sent = [first.executeTemplate("CREATE_USER", { id: "u1", name: "A" }), first.executeTemplate("CREATE_USER", { id: "u2", name: "B" })];
    for (const p of sent) p.catch(() => {});
    expect(first.pendingCount).toBe(2);
    await first.close();
    await connecting;
    await Promise.allSettled(sent);

    const second = createSyncClient(NOWHERE, { dbPath, statsIntervalMs: 0 });
    try {
      expect(second.pendingCount).toBe(2); // no connect() yet
      expect(second.clientId).toBe(first.clientId);
    } finally {
      await second.close();
    }
  });

  test("an in-memory client starts with nothing pending and refuses writes until connect()", async () => {
    const client = createSyncClient(NOWHERE, { statsIntervalMs: 0 });
    try {
      expect(client.pendingCount).toBe(0);
      await expect(client.executeTemplate("CREATE_USER", { id: "u1", name: "A" })).rejects.toMatchObject({ code: ErrorCode.NOT_READY });
    } finally {
      await client.close();
    }
  });

  test("an outbox that cannot be opened makes connect() reject with the reason", async () => {
    const dbPath = join(tempDir(), "missing-dir", "replica.kuzu");
    const client = createSyncClient(NOWHERE, { dbPath, statsIntervalMs: 0 });
    try {
      expect(client.pendingCount).toBe(0);
      await expect(client.connect()).rejects.toThrow();
    } finally {
      await client.close();
    }
  });
});

describe("ConnectWaiters", () => {
  test("every waiter settles: all resolve together, or each times out alone", async () => {
    const waiters = new ConnectWaiters();
    const a = waiters.wait(10_000, () => new Error("a timed out"));
    const b = waiters.wait(1, () => new Error("b timed out"));
    await expect(b).rejects.toThrow("b timed out");
    expect(waiters.size).toBe(1);
    expect(waiters.resolveAll()).toBe(true);
    await a;
    expect(waiters.resolveAll()).toBe(false);
    const c = waiters.wait(10_000, () => new Error("c timed out"));
    waiters.rejectAll(new Error("closed"));
    await expect(c).rejects.toThrow("closed");
  });
});
