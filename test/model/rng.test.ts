import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng, permutation } from "../../src/model/rng.js";

test("the same seed gives the same stream and a restored state continues it exactly", () => {
  const a = new Rng(42), b = new Rng(42);
  for (let i = 0; i < 5; i++) a.nextU32();
  for (let i = 0; i < 5; i++) b.nextU32();
  const saved = a.state();
  const next = [a.nextU32(), a.uniform(), a.int(1000)];
  const c = new Rng(saved);
  assert.deepEqual([c.nextU32(), c.uniform(), c.int(1000)], next);
  assert.notDeepEqual(new Rng(43).state(), new Rng(42).state());
});

test("int(n) covers [0, n) evenly and permutation is a permutation", () => {
  const rng = new Rng(7), counts = new Array(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[rng.int(6)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 500, `bucket count ${c}`);
  const p = Array.from(permutation(100, rng));
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  assert.notDeepEqual(p, Array.from({ length: 100 }, (_, i) => i));
});

test("normal() has mean 0 and variance 1, and bad states are refused", () => {
  const rng = new Rng(1);
  let s = 0, s2 = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) { const x = rng.normal(); s += x; s2 += x * x; }
  assert.ok(Math.abs(s / n) < 0.03);
  assert.ok(Math.abs(s2 / n - 1) < 0.05);
  assert.throws(() => new Rng([0, 0, 0, 0]), /not all zero/);
  assert.throws(() => new Rng([1, 2, 3]), /4 unsigned 32-bit words/);
});
