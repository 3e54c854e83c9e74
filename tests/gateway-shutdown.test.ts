import { describe, expect, test } from "bun:test";
import { createSyncClient } from "@kuzu-sync/client";
import { startGatewayProcess } from "./support/gateway-process.ts";
import { RawSocket } from "./support/raw-socket.ts";

describe("gateway shutdown", () => {
  test("SIGTERM closes every socket with 1001 (going away), so clients reconnect instead of reporting an error", async () => {
    await using gw = await startGatewayProcess();
    await using raw = (await RawSocket.hello(gw.url)).socket;
    const client = createSyncClient(gw.url, { statsIntervalMs: 0, backoff: { initialDelayMs: 60_000 } });
    try {
      await client.connect();
      const disconnected = new Promise<{ code: number; reason: string }>((resolve) => client.on("disconnected", resolve));
      expect(await gw.stop()).toBe(0);
      expect(await raw.closeEvent).toEqual({ code: 1001, reason: "server shutting down" });
      expect(await disconnected).toEqual({ code: 1001, reason: "server shutting down" });
      expect(client.connected).toBe(false);
    } finally {
      await client.close();
    }
  });
});
