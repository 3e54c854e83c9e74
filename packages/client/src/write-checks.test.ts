import { expect, test } from "bun:test";
import { SyncError } from "@kuzu-sync/protocol";
import { clientIdRefusal, eventIdProblem, eventRefusal } from "./write-checks.ts";

const event = (over: Record<string, unknown> = {}) => ({ id: "e1", template: "CREATE_USER", params: { id: "u1", name: "Ann" }, clientId: "c1", timestamp: 1, ...over });

test("an event the gateway would refuse becomes a SyncError with its code and the event id", () => {
  for (const id of ["", "x".repeat(300), "evt-\ud800"]) {
    const refused = eventRefusal(event({ id }));
    expect(refused).toBeInstanceOf(SyncError);
    expect(refused).toMatchObject({ code: "BAD_MESSAGE", eventId: id, message: expect.stringMatching(/^event not sent: event\.id/) });
  }
  expect(eventRefusal(event({ params: { name: "a\udc00" } }))).toMatchObject({ code: "INVALID_PARAMS", message: expect.stringContaining("event.params.name") });
  expect(eventRefusal(event())).toBeNull();
});

test("client ids the gateway would refuse", () => {
  expect(clientIdRefusal("x".repeat(129))).toMatchObject({ code: "BAD_MESSAGE", message: expect.stringContaining("clientId") });
  expect(clientIdRefusal("")).toMatchObject({ code: "BAD_MESSAGE" });
  expect(clientIdRefusal("client-1")).toBeNull();
});

test("an idempotency key given up front", () => {
  expect(eventIdProblem("")).toMatch(/^event\.id/);
  expect(eventIdProblem("k".repeat(129))).toMatch(/^event\.id/);
  expect(eventIdProblem("retry-42")).toBeNull();
});
