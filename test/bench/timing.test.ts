// src/bench/timing.ts: medians, spread and the repeat/batch protocol of timeIt.
import { test } from "node:test";
import assert from "node:assert/strict";
import { median, summarize, timeIt } from "../../src/bench/timing.js";

test("median takes the middle value, or the mean of the two middle values", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), RangeError);
});

test("summarize reports min, max and spread relative to the median", () => {
  const t = summarize([2, 1, 3], [0.5, 0.25, 1]);
  assert.deepEqual([t.median, t.min, t.max, t.repeats, t.cpuMedian], [2, 1, 3, 3, 0.5]);
  assert.equal(t.spread, 1); // (3 - 1) / 2
});

test("timeIt runs warm-up, calibration and every repeat's batch, and measures per call", () => {
  let calls = 0;
  const t = timeIt(() => { calls++; const s = performance.now(); while (performance.now() - s < 1); }, { repeats: 3, warmup: 2, minSeconds: 0.004 });
  assert.equal(t.repeats, 3);
  assert.ok(calls >= 2 + 1 + 3, `only ${calls} calls`);
  assert.ok(t.median >= 0.0009, `median ${t.median} s for a 1 ms call`);
  assert.ok(t.cpuMedian > 0);
});
