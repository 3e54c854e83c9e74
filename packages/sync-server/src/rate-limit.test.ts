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

test("an events frame takes up to one token per event: what the bucket holds, never more", () => {
  let now = 0;
  const bucket = new TokenBucket(10, 5, () => now);
  expect(bucket.takeUpTo(3)).toBe(3);
  expect(bucket.takeUpTo(10)).toBe(2);
  expect(bucket.takeUpTo(1)).toBe(0);
  now = 250; // 2.5 tokens back: only whole ones are spent
  expect(bucket.takeUpTo(10)).toBe(2);
  expect(bucket.take()).toBe(false);
  now = 300;
  expect(bucket.take()).toBe(true);
});
