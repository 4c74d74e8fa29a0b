// native/embedding.cpp: the lookup copies table rows, the backward scatter-adds (accumulating, with
// repeated ids), and an id outside the vocabulary is a RangeError naming the id and its index.
import { test } from "node:test";
import assert from "node:assert/strict";
import { native } from "../../src/native/addon.js";
import { embeddingRef } from "./reference.js";
import { numericGrad, randn, rng, maxAbsDiff, logMaxErr } from "./check.js";

test("embeddingForward copies the table row of every id", () => {
  const r = rng(10);
  for (const [N, C, V] of [[5, 3, 4], [300, 200, 50]] as const) {
    const table = randn(r, V * C);
    const ids = Int32Array.from({ length: N }, () => Math.floor(r() * V));
    const out = new Float32Array(N * C);
    native.embeddingForward(out, ids, table, N, C, V);
    assert.equal(maxAbsDiff(out, embeddingRef(ids, table, N, C)), 0);
  }
});

test("embeddingBackward accumulates dout into the rows read, matching central differences", () => {
  const r = rng(11);
  for (const [N, C, V] of [[6, 5, 4], [200, 300, 7]] as const) {
    const table = randn(r, V * C);
    const ids = Int32Array.from({ length: N }, () => Math.floor(r() * V)); // repeats guaranteed (N > V)
    const dout = randn(r, N * C);
    const prior = randn(r, V * C);
    const dtable = Float32Array.from(prior);
    native.embeddingBackward(dtable, dout, ids, N, C);
    const num = N * C < 100 ? numericGrad((t) => embeddingRef(ids, t, N, C), table, dout) : null;
    // exact reference: prior + scatter-add in float64
    const want = Float64Array.from(prior);
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) want[ids[n]! * C + c] += dout[n * C + c]!;
    const err = maxAbsDiff(dtable, want);
    logMaxErr(`embeddingBackward N=${N}`, err);
    assert.ok(err < 1e-5, `err ${err}`);
    if (num) {
      const got = Float64Array.from(dtable, (x, i) => x - prior[i]!);
      assert.ok(maxAbsDiff(got, num) < 1e-5);
    }
  }
});

test("an id outside [0, V) is a RangeError naming the id and its index", () => {
  const table = new Float32Array(4 * 2), out = new Float32Array(3 * 2);
  assert.throws(() => native.embeddingForward(out, Int32Array.from([0, 3, 4]), table, 3, 2, 4),
    (e: unknown) => e instanceof RangeError && /token id 4 at index 2 is outside the vocabulary \[0, 4\)/.test(e.message));
  assert.throws(() => native.embeddingForward(out, Int32Array.from([-1, 0, 0]), table, 3, 2, 4),
    (e: unknown) => e instanceof RangeError && /token id -1 at index 0/.test(e.message));
  assert.throws(() => native.embeddingBackward(table, out, Int32Array.from([1, 9, 0]), 3, 2),
    (e: unknown) => e instanceof RangeError && /token id 9 at index 1/.test(e.message));
});

test("embedding kernels check buffer lengths computed from the dims", () => {
  assert.throws(() => native.embeddingForward(new Float32Array(5), new Int32Array(3), new Float32Array(8), 3, 2, 4),
    /embeddingForward: argument 0 \(out\) has 5 elements, needs at least 6/);
  assert.throws(() => native.embeddingForward(new Float32Array(6), new Int32Array(3), new Float32Array(7), 3, 2, 4),
    /argument 2 \(table\) has 7 elements, needs at least 8/);
  assert.throws(() => native.embeddingBackward(new Float32Array(8), new Float32Array(6), new Float32Array(3) as unknown as Int32Array, 3, 2),
    /embeddingBackward: argument 2 \(ids\) must be an Int32Array/);
});
