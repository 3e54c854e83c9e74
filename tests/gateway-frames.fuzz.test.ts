/**
 * Property-based fuzz of the gateway's frame boundary over a real socket: whatever a client
 * sends, the gateway answers that frame (ack, reject or error) or closes the socket for a
 * documented reason, and it keeps serving everybody else. Short inside `bun test`; `bun run fuzz`
 * (FUZZ_RUNS) runs it long.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import { fuzzRuns, fuzzTimeout } from "../packages/protocol/src/fuzz-runs.ts";
import { startGatewayProcess, type GatewayProcess } from "./support/gateway-process.ts";
import { RawSocket, makeEvent } from "./support/raw-socket.ts";

const MAX_MESSAGE_BYTES = 16_384;
let gw: GatewayProcess;
beforeAll(async () => {
  gw = await startGatewayProcess({ args: ["--max-message-bytes", String(MAX_MESSAGE_BYTES), "--max-event-bytes", "4096", "--rate-limit", "0", "--allow-raw-dml"] });
});
afterAll(async () => {
  await gw.stop();
});

const TYPES = ["hello", "event", "dml", "welcome", "ack", "", "EVENT"];
const TEMPLATES = ["CREATE_USER", "INCREMENT_COUNTER", "RAW_DML", "NOPE", "__proto__", ""];

/** Frames from plausible to absurd: mutated events, random JSON, random text and bytes. */
const frame: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.record({
    type: fc.constantFrom(...TYPES),
    event: fc.oneof(
      fc.record(
        {
          id: fc.oneof(fc.uuid(), fc.string({ maxLength: 200 })),
          template: fc.constantFrom(...TEMPLATES),
          params: fc.oneof(
            fc.record({ id: fc.string(), name: fc.string(), counterId: fc.string(), amount: fc.integer(), cypher: fc.string() }, { requiredKeys: [] }),
            fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 4 })),
            fc.jsonValue({ maxDepth: 3 }),
          ),
          clientId: fc.constantFrom("fuzzer", "someone-else", ""),
          timestamp: fc.oneof(fc.nat(), fc.double(), fc.constant(-1)),
          traceparent: fc.string({ maxLength: 60 }),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue({ maxDepth: 3 }),
    ),
    id: fc.string({ maxLength: 40 }),
    clientId: fc.constantFrom("fuzzer", "x"),
    cypher: fc.oneof(fc.string(), fc.constantFrom("CREATE (:User {id: 'f', name: 'z'})", "LOAD FROM 'x' RETURN *", "RETURN 1; RETURN 2")),
    lastSeq: fc.oneof(fc.nat(), fc.integer()),
    timestamp: fc.nat(),
  }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.nat({ max: 40 }).map((depth) => `${"[".repeat(depth * 3)}${"]".repeat(depth * 3)}`),
  fc.constantFrom(`{"type":"event","event":${"[".repeat(5_000)}`, `{"type":"hello","clientId":"x","lastSeq":0}`, "x".repeat(MAX_MESSAGE_BYTES + 1)),
);

test(
  "every frame is answered or the socket is closed for a documented reason; the gateway stays up",
  async () => {
    let socket = (await RawSocket.hello(gw.url, "fuzzer")).socket;
    let answered = 0;
    try {
      await fc.assert(
        fc.asyncProperty(frame, async (f) => {
          const bytes = typeof f === "string" ? Buffer.byteLength(f) : f.byteLength;
          socket.send(f);
          const answer = await Promise.race([
            (async () => {
              for (;;) {
                const m = await socket.next(10_000);
                if (m["type"] === "ack" || m["type"] === "reject" || m["type"] === "error") return m;
              }
            })(),
            socket.closeEvent.then((c) => ({ type: "closed", ...c })),
          ]);
          if (answer["type"] === "closed") {
            // The only reason a well-formed connection is closed for one frame: it was too big.
            expect(answer).toMatchObject({ code: 1009 });
            expect(bytes).toBeGreaterThan(MAX_MESSAGE_BYTES);
            socket = (await RawSocket.hello(gw.url, "fuzzer")).socket;
          } else {
            expect(bytes).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
            answered++;
          }
        }),
        { numRuns: fuzzRuns(300) },
      );
    } finally {
      await socket[Symbol.asyncDispose]();
    }
    expect(answered).toBeGreaterThan(0);
    // Still serving: a fresh client writes and is acknowledged.
    await using s = (await RawSocket.hello(gw.url, "after-fuzz")).socket;
    const ev = makeEvent("INCREMENT_COUNTER", { counterId: "survived" }, "after-fuzz");
    s.send({ type: "event", event: ev });
    expect(await s.nextOfType("ack")).toMatchObject({ id: ev["id"] });
  },
  fuzzTimeout(),
);
