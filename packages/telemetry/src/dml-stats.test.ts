import { describe, expect, test } from "bun:test";
import { DmlStats } from "./dml-stats.ts";

describe("DmlStats", () => {
  test("an empty report has the header and the overall line only", () => {
    expect(new DmlStats("c").formatReport()).toBe(
      ["=== DML Statistics Report ===", "Overall: sent: 0, received: 0, applied: 0, failed: 0"].join("\n"),
    );
  });

  test("formatReport: overall line, then one line per template in name order, success rate in percent", () => {
    const stats = new DmlStats("client-1");
    stats.record("INCREMENT_COUNTER", "sent", 3);
    stats.record("INCREMENT_COUNTER", "received", 3);
    stats.record("INCREMENT_COUNTER", "applied", 3);
    stats.record("CREATE_USER", "sent");
    stats.record("CREATE_USER", "received", 3);
    stats.record("CREATE_USER", "applied", 2);
    stats.record("CREATE_USER", "failed");
    stats.record("DELETE_POST", "received", 8);
    stats.record("DELETE_POST", "applied", 7);
    stats.record("DELETE_POST", "failed");
    stats.record("UNFOLLOW_USER", "received");
    expect(stats.formatReport()).toBe(
      [
        "=== DML Statistics Report ===",
        "Overall: sent: 4, received: 15, applied: 12, failed: 2",
        "Template: CREATE_USER - sent: 1, received: 3, applied: 2, success rate: 66.7%",
        "Template: DELETE_POST - sent: 0, received: 8, applied: 7, success rate: 87.5%",
        "Template: INCREMENT_COUNTER - sent: 3, received: 3, applied: 3, success rate: 100%",
        // Nothing applied or failed yet: nothing has failed, so 100%.
        "Template: UNFOLLOW_USER - sent: 0, received: 1, applied: 0, success rate: 100%",
      ].join("\n"),
    );
  });

  test("a template that only failed reports 0%", () => {
    const stats = new DmlStats("c");
    stats.record("DELETE_USER", "failed", 2);
    expect(stats.formatReport().split("\n")[2]).toBe("Template: DELETE_USER - sent: 0, received: 0, applied: 0, success rate: 0%");
  });

  test("getDMLStats and getDetailedStatsByTemplate give the same numbers as the report", () => {
    const stats = new DmlStats("client-9");
    stats.record("CREATE_USER", "sent", 2);
    stats.record("CREATE_USER", "applied");
    stats.record("CREATE_USER", "failed");
    expect(stats.getDMLStats()).toEqual({ sent: 2, received: 0, applied: 1, failed: 1, clientId: "client-9" });
    expect(stats.getDetailedStatsByTemplate()).toEqual({ CREATE_USER: { sent: 2, received: 0, applied: 1, failed: 1, successRate: 50 } });
  });
});
