// native matmul (native/gemm.cpp) against a float64 reference written out in plain TypeScript:
// every transpose combination, accumulation, odd and block-crossing sizes, subarray views, every
// SIMD path this CPU has (setSimdLevel), and argument validation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { native } from "../../src/native/addon.js";

type Level = "portable" | "avx2" | "avx512";

/** Deterministic values in [-1, 1) (xorshift32), so failures reproduce. */
function randomArray(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

/** ref[M,N] = op(a)·op(b) in float64, and the sum of |terms| per entry (the error scale). */
function reference(a: Float32Array, b: Float32Array, M: number, N: number, K: number, transA: boolean, transB: boolean) {
  const ref = new Float64Array(M * N);
  const mag = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0, t = 0;
      for (let k = 0; k < K; k++) {
        const x = transA ? a[k * M + m]! : a[m * K + k]!;
        const y = transB ? b[n * K + k]! : b[k * N + n]!;
        s += x * y; t += Math.abs(x * y);
      }
      ref[m * N + n] = s; mag[m * N + n] = t;
    }
  }
  return { ref, mag };
}

/** Asserts out ≈ base + ref entrywise, relative to the magnitude of the summed terms. */
function assertClose(out: Float32Array, ref: Float64Array, mag: Float64Array, base: Float32Array | null, what: string) {
  for (let i = 0; i < ref.length; i++) {
    const want = (base ? base[i]! : 0) + ref[i]!;
    const scale = mag[i]! + (base ? Math.abs(base[i]!) : 0);
    const err = Math.abs(out[i]! - want);
    if (!(err <= 1e-5 * scale + 1e-30))
      assert.fail(`${what}: entry ${i} is ${out[i]}, expected ${want} (error ${err}, scale ${scale})`);
  }
}

/** The SIMD levels this CPU supports (probing setSimdLevel), lowest first. */
function levels(): Level[] {
  const original = native.simdLevel() as Level;
  const ok: Level[] = [];
  for (const l of ["portable", "avx2", "avx512"] as Level[]) {
    try { native.setSimdLevel(l); ok.push(l); } catch { /* not on this CPU */ }
  }
  native.setSimdLevel(original);
  return ok;
}

// [M, N, K]: degenerate, odd, and sizes crossing every register and cache block edge.
const shapes: [number, number, number][] = [
  [1, 1, 1], [9, 2100, 3], [1, 7, 17], [2, 40, 21], [10, 70, 19], [7, 1, 33], [17, 33, 1], [33, 17, 7], [1, 257, 33], [5, 33, 300],
  [16, 48, 16], [257, 33, 17], [17, 257, 33], [33, 17, 257], [13, 1100, 40], [300, 70, 700],
  // two threads (>= 2M multiply-adds): small-M column split, packed column split (few rows),
  // packed row split, and more columns than one packed B block (NC = 4096).
  [16, 2100, 70], [40, 1100, 50], [150, 130, 140], [40, 4200, 13],
];

function runAll(level: Level) {
  native.setSimdLevel(level);
  let seed = 1;
  for (const [M, N, K] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const a = randomArray(M * K, seed++), b = randomArray(K * N, seed++);
        const { ref, mag } = reference(a, b, M, N, K, transA, transB);
        const what = `${level} M=${M} N=${N} K=${K} transA=${transA} transB=${transB}`;
        const out = new Float32Array(M * N).fill(Number.NaN); // written, never read
        native.matmul(out, a, b, M, N, K, transA, transB, false);
        assertClose(out, ref, mag, null, what);
        const base = randomArray(M * N, seed++);
        const acc = base.slice();
        native.matmul(acc, a, b, M, N, K, transA, transB, true);
        assertClose(acc, ref, mag, base, `${what} accumulate`);
      }
    }
  }
}

test("matmul matches a float64 reference for every transpose combination, size and SIMD level", () => {
  const original = native.simdLevel() as Level;
  try {
    const ls = levels();
    assert.ok(ls.includes("portable") && ls.includes(original));
    for (const level of ls) runAll(level);
  } finally {
    native.setSimdLevel(original);
  }
});

test("matmul reads and writes Float32Array subarray views at their byte offsets", () => {
  const M = 19, N = 37, K = 23;
  for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const abuf = randomArray(M * K + 10, 7), bbuf = randomArray(K * N + 10, 8);
    const a = abuf.subarray(3, 3 + M * K), b = bbuf.subarray(5, 5 + K * N);
    const outBuf = new Float32Array(M * N + 20).fill(42);
    const out = outBuf.subarray(7, 7 + M * N);
    native.matmul(out, a, b, M, N, K, transA, transB, false);
    const { ref, mag } = reference(a, b, M, N, K, transA, transB);
    assertClose(out, ref, mag, null, `views transA=${transA} transB=${transB}`);
    for (const i of [0, 6, 7 + M * N, outBuf.length - 1]) assert.equal(outBuf[i], 42, `outside the view at ${i}`);
  }
});

test("matmul computes a linear layer y = x W^T as documented in addon.ts", () => {
  const BT = 4, inF = 3, outF = 2;
  const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const W = new Float32Array([1, 0, -1, 0.5, 0.5, 0.5]); // [out, in]
  const y = new Float32Array(BT * outF);
  native.matmul(y, x, W, BT, outF, inF, false, true, false);
  // row n: [x0 - x2, (x0 + x1 + x2) / 2]
  assert.deepEqual(Array.from(y), [-2, 3, -2, 7.5, -2, 12, -2, 16.5]);
});

test("matmul with K = 0 writes zeros, or leaves out unchanged when accumulating", () => {
  const out = new Float32Array([1, 2, 3, 4, 5, 6]);
  native.matmul(out, new Float32Array(0), new Float32Array(0), 2, 3, 0, false, false, true);
  assert.deepEqual(Array.from(out), [1, 2, 3, 4, 5, 6]);
  native.matmul(out, new Float32Array(0), new Float32Array(0), 2, 3, 0, false, false, false);
  assert.deepEqual(Array.from(out), [0, 0, 0, 0, 0, 0]);
});

test("matmul rejects too-short arrays, wrong types and bad dimensions, naming the argument", () => {
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => native.matmul(f(5), f(6), f(6), 2, 3, 3, false, false, false), /argument 0 \(out\) has 5 elements, needs at least 6/);
  assert.throws(() => native.matmul(f(6), f(5), f(9), 2, 3, 3, false, false, false), /argument 1 \(a\) has 5 elements, needs at least 6/);
  assert.throws(() => native.matmul(f(6), f(6), f(8), 2, 3, 3, false, true, false), /argument 2 \(b\) has 8 elements, needs at least 9/);
  assert.throws(() => native.matmul(f(6), new Int32Array(6) as unknown as Float32Array, f(9), 2, 3, 3, false, false, false), /argument 1 \(a\) must be a Float32Array/);
  assert.throws(() => native.matmul(f(6), f(6), f(9), -2, 3, 3, false, false, false), /argument 3 \(M\) must be a non-negative integer/);
  assert.throws(() => native.matmul(f(6), f(6), f(9), 2, 3, 3, false, false, 0 as unknown as boolean), /argument 8 \(accumulate\) must be a boolean/);
  assert.throws(() => (native.matmul as unknown as (...x: unknown[]) => void)(f(6), f(6), f(9), 2, 3, 3), /expected 9 arguments, got 6/);
});

test("setSimdLevel rejects unknown level names", () => {
  assert.throws(() => native.setSimdLevel("sse9" as "avx2"), /must be "portable", "avx2" or "avx512"/);
});

test("a small-M product y = x W^T gives each row the bits it gets alone, whatever M and the first weight row", () => {
  // Decoding relies on it (a greedy answer is the same alone and batched): the dot-product tiles
  // (native/gemm_small.inc dotTile, 1x4 and 4x2 weight rows on AVX-512) sum each output exactly as the
  // one-row kernel does. Starting at weight row 1 moves every row between a tile and the leftovers.
  const saved = native.simdLevel() as Level;
  try {
    for (const level of levels()) {
      native.setSimdLevel(level);
      for (const K of [288, 77, 16, 33]) {
        const N = 13, w = randomArray(N * K, K + 1);
        for (const M of [1, 2, 3, 4, 5, 8, 9]) {
          const x = randomArray(M * K, M * 31 + K);
          for (const first of [0, 1]) {
            const n = N - first, wv = w.subarray(first * K);
            const all = new Float32Array(M * n);
            native.matmul(all, x, wv, M, n, K, false, true, false);
            for (let m = 0; m < M; m++) {
              const one = new Float32Array(n);
              native.matmul(one, x.subarray(m * K, (m + 1) * K), wv, 1, n, K, false, true, false);
              const alone = new Float32Array(N);
              native.matmul(alone, x.subarray(m * K, (m + 1) * K), w, 1, N, K, false, true, false);
              assert.deepEqual(all.subarray(m * n, (m + 1) * n), one, `${level} K ${K} M ${M} first ${first} row ${m}`);
              assert.deepEqual(one, alone.subarray(first), `${level} K ${K} row ${m}: weight rows from ${first}`);
            }
          }
        }
      }
    }
  } finally {
    native.setSimdLevel(saved);
  }
});
