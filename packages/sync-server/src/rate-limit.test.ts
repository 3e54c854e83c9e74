import { expect, test } from "bun:test";
import { TokenBucket } from "./rate-limit.ts";

test("a token bucket allows the burst, then the rate", () => {
  let now = 0;
  const bucket = new TokenBucket(10, 3, () => now);
  expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  expect(bucket.waitMs()).toBe(100);
  now = 99;
  expect(bucket.take()).toBe(false);
  now = 200;
  expect(bucket.take()).toBe(true);
  now = 10_000; // refills up to the burst, never beyond
  expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
});
