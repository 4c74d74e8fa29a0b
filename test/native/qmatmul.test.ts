// bf16 and Q8_0 weight kernels (native/qmatmul*.cpp): matmulBf16 / matmulQ8_0 against a float64
// product with the same (decoded) weights, on every kernel family this CPU has (SIMD levels, vdpbf16ps
// on and off), small-M and panel paths, threads, accumulate, views; Q8_0 blocks byte for byte equal
// to gguf-py's quantizer (fixture) and to a TypeScript twin of ggml's quantize_row_q8_0_ref; the
// quantization error within its bound; argument validation.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { native } from "../../src/native/addon.js";
import { bf16ToF32, f16ToF32, f32BitsToF16, f32ToBf16 } from "../../src/io/dtype.js";
import { randn, rng } from "./check.js";

type Level = "portable" | "avx2" | "avx512";
const here = path.dirname(fileURLToPath(import.meta.url));
const fixtureDir = path.join(here, "..", "..", "..", "test", "fixtures", "q8_0");

/** Every kernel family reachable here: [simd level, dpbf16 allowed]. */
function families(): [Level, boolean][] {
  const original = native.simdLevel() as Level;
  const out: [Level, boolean][] = [];
  for (const l of ["portable", "avx2", "avx512"] as Level[]) {
    try { native.setSimdLevel(l); } catch { continue; }
    out.push([l, false]);
    if (l === "avx512") {
      try { native.useDpbf16(true); out.push([l, true]); } catch { /* no AVX512-BF16 */ }
    }
  }
  native.setSimdLevel(original);
  return out;
}

function select([level, dp]: [Level, boolean]): string {
  native.setSimdLevel(level);
  try { native.useDpbf16(dp); } catch { /* only reachable when dp is true and unsupported: not listed */ }
  return native.qmatmulKernel();
}

function restore(): void {
  const all = families();
  select(all[all.length - 1]!);
  try { native.useDpbf16(true); } catch { /* absent */ }
}

/** ref[M,N] = x · Wf^T in float64 and the sum of |terms| (error scale), Wf the decoded weights [N,K]. */
function reference(x: Float32Array, wf: Float32Array, M: number, N: number, K: number) {
  const ref = new Float64Array(M * N), mag = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let s = 0, t = 0;
      for (let k = 0; k < K; k++) { const p = x[m * K + k]! * wf[n * K + k]!; s += p; t += Math.abs(p); }
      ref[m * N + n] = s; mag[m * N + n] = t;
    }
  return { ref, mag };
}

function assertClose(out: Float32Array, ref: Float64Array, mag: Float64Array, base: Float32Array | null, tol: number, what: string) {
  for (let i = 0; i < ref.length; i++) {
    const want = (base ? base[i]! : 0) + ref[i]!;
    const err = Math.abs(out[i]! - want), scale = mag[i]! + (base ? Math.abs(base[i]!) : 0);
    if (!(err <= tol * scale + 1e-30)) assert.fail(`${what}: entry ${i} is ${out[i]}, expected ${want} (error ${err}, scale ${scale})`);
  }
}

function bf16Weights(w: Float32Array): { bits: Uint16Array; decoded: Float32Array } {
  const bits = new Uint16Array(w.length);
  native.toBf16(bits, w, w.length);
  const decoded = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) decoded[i] = bf16ToF32(bits[i]!);
  return { bits, decoded };
}

function q8Weights(w: Float32Array, N: number, K: number): { blocks: Uint8Array; decoded: Float32Array } {
  const blocks = new Uint8Array(N * (K / 32) * 34);
  native.quantizeQ8_0(blocks, w, N, K);
  const decoded = new Float32Array(N * K);
  native.dequantizeQ8_0(decoded, blocks, N, K);
  return { blocks, decoded };
}

/** TypeScript twin of ggml's quantize_row_q8_0_ref (float32 arithmetic, roundf = half away from zero). */
function quantizeTwin(x: Float32Array, rows: number, K: number): Uint8Array {
  const out = new Uint8Array(rows * (K / 32) * 34), view = new DataView(out.buffer);
  for (let b = 0; b < rows * K / 32; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]!));
    const d = Math.fround(amax / 127), id = d !== 0 ? Math.fround(1 / d) : 0;
    const f = new Float32Array([d]);
    view.setUint16(b * 34, f32BitsToF16(new Uint32Array(f.buffer)[0]!), true);
    for (let j = 0; j < 32; j++) {
      const v = Math.fround(x[b * 32 + j]! * id);
      view.setInt8(b * 34 + 2 + j, Math.sign(v) * Math.floor(Math.abs(v) + 0.5));
    }
  }
  return out;
}

// [M, N, K]: matvec, odd sizes and K tails (bf16), the 4-row passes, the small/panel boundary
// (16 / 17 rows), several panels, and products large enough (>= 2M multiply-adds) for two threads.
const shapes: [number, number, number][] = [
  [1, 1, 32], [1, 7, 64], [2, 9, 96], [3, 33, 32], [4, 70, 160], [5, 13, 64], [16, 20, 96], [17, 70, 64],
  [40, 130, 96], [1, 2100, 1024], [8, 300, 1024], [33, 200, 320],
];
const bf16Only: [number, number, number][] = [[1, 1, 1], [2, 5, 3], [3, 9, 17], [1, 6, 40], [4, 11, 300], [17, 5, 33], [1, 3, 47]];

test("matmulBf16 equals the float64 product with the bf16-decoded weights, on every kernel family and path", () => {
  const r = rng(11);
  for (const fam of families()) {
    const name = select(fam);
    for (const [M, N, K] of [...shapes, ...bf16Only]) {
      const x = randn(r, M * K), { bits, decoded } = bf16Weights(randn(r, N * K));
      const { ref, mag } = reference(x, decoded, M, N, K);
      const out = new Float32Array(M * N).fill(Number.NaN);  // written, never read
      native.matmulBf16(out, x, bits, M, N, K, false);
      // vdpbf16ps (one-row products only; more rows take the FMA kernel) sees x as bf16 hi + lo (16
      // mantissa bits): 2^-16 of each term, plus float32 sums.
      assertClose(out, ref, mag, null, name === "avx512bf16" ? 3e-5 : 1e-5, `${name} bf16 M=${M} N=${N} K=${K}`);
      const base = randn(r, M * N), acc = base.slice();
      native.matmulBf16(acc, x, bits, M, N, K, true);
      assertClose(acc, ref, mag, base, name === "avx512bf16" ? 3e-5 : 1e-5, `${name} bf16 accumulate M=${M} N=${N} K=${K}`);
    }
  }
  restore();
});

test("matmulQ8_0 equals the float64 product with the dequantized weights, on every kernel family and path", () => {
  const r = rng(12);
  for (const fam of families()) {
    const name = select(fam);
    for (const [M, N, K] of shapes) {
      const x = randn(r, M * K), { blocks, decoded } = q8Weights(randn(r, N * K), N, K);
      const { ref, mag } = reference(x, decoded, M, N, K);
      const out = new Float32Array(M * N).fill(Number.NaN);
      native.matmulQ8_0(out, x, blocks, M, N, K, false);
      assertClose(out, ref, mag, null, 1e-5, `${name} q8_0 M=${M} N=${N} K=${K}`);
      const base = randn(r, M * N), acc = base.slice();
      native.matmulQ8_0(acc, x, blocks, M, N, K, true);
      assertClose(acc, ref, mag, base, 1e-5, `${name} q8_0 accumulate M=${M} N=${N} K=${K}`);
    }
  }
  restore();
});

test("the kernels read subarray views at their offsets", () => {
  const r = rng(13), M = 3, N = 10, K = 64;
  const x = randn(r, M * K + 5).subarray(5), w = randn(r, N * K);
  const { bits, decoded } = bf16Weights(w);
  const bitsView = new Uint16Array(N * K + 3).subarray(3);
  bitsView.set(bits);
  const { blocks, decoded: dq } = q8Weights(w, N, K);
  const blocksView = new Uint8Array(blocks.length + 7).subarray(7);
  blocksView.set(blocks);
  const out = new Float32Array(M * N + 2).subarray(2);
  native.matmulBf16(out, x, bitsView, M, N, K, false);
  let { ref, mag } = reference(x, decoded, M, N, K);
  assertClose(out, ref, mag, null, 1e-5, "bf16 views");
  native.matmulQ8_0(out, x, blocksView, M, N, K, false);
  ({ ref, mag } = reference(x, dq, M, N, K));
  assertClose(out, ref, mag, null, 1e-5, "q8_0 views");
});

test("toBf16 rounds to nearest even like torch (ties, NaN, infinities, subnormals)", () => {
  const bitsIn = new Uint32Array([0x3f808000, 0x3f818000, 0x3f808001, 0x7fc00001, 0xff800000, 0x00000001, 0x80007fff, 0x7f7fffff]);
  const src = new Float32Array(bitsIn.buffer), dst = new Uint16Array(src.length);
  native.toBf16(dst, src, src.length);
  const want = Array.from(src, (v) => f32ToBf16(v));
  assert.deepEqual(Array.from(dst), want);
  assert.deepEqual(Array.from(dst.subarray(0, 3)), [0x3f80, 0x3f82, 0x3f81]);  // tie to even, tie to even (up), above the tie
});

test("quantizeQ8_0 writes gguf-py's Q8_0 bytes (ggml block_q8_0) for the fixture rows", () => {
  const fx = JSON.parse(fs.readFileSync(path.join(fixtureDir, "q8_0.json"), "utf8")) as
    { rows: number; K: number; input_bits: number[]; q8_0_hex: string; dequantized: number[] };
  const x = new Float32Array(new Uint32Array(fx.input_bits).buffer);
  const blocks = new Uint8Array(fx.rows * fx.K / 32 * 34);
  native.quantizeQ8_0(blocks, x, fx.rows, fx.K);
  assert.equal(Buffer.from(blocks).toString("hex"), fx.q8_0_hex);
  const back = new Float32Array(fx.rows * fx.K);
  native.dequantizeQ8_0(back, blocks, fx.rows, fx.K);
  assert.deepEqual(Array.from(back), fx.dequantized.map((v) => Math.fround(v)));
  // Hand-checked: the tie block (x = -14.5 .. 15.5 step 1, then 127: d = 127/127 = 1) rounds half away
  // from zero (roundf): -14.5 → -15, -0.5 → -1, 0.5 → 1, 2.5 → 3 (not 2 as round-half-even), 15.5 → 16.
  const tie = 1 * 3 * 34;  // row 1, block 0
  assert.equal(blocks[tie]! | (blocks[tie + 1]! << 8), 0x3c00, "d = 1.0 in fp16");
  const q = Int8Array.from(blocks.subarray(tie + 2, tie + 34));
  assert.deepEqual([q[0], q[14], q[15], q[17], q[30], q[31]], [-15, -1, 1, 3, 16, 127]);
  assert.ok(blocks.subarray(tie + 34, tie + 68).every((b) => b === 0), "an all-zero block is d = 0, q = 0");
});

test("quantizeQ8_0 equals the TypeScript twin of ggml's reference quantizer, from float32 and from bf16", () => {
  const r = rng(14), rows = 9, K = 128;
  const x = randn(r, rows * K, 3);
  x.fill(0, 32, 64);  // an all-zero block: d = 0, q = 0
  const want = quantizeTwin(x, rows, K);
  const got = new Uint8Array(want.length);
  native.quantizeQ8_0(got, x, rows, K);
  assert.deepEqual(got, want);
  const { bits, decoded } = bf16Weights(x);
  native.quantizeQ8_0(got, bits, rows, K);
  assert.deepEqual(got, quantizeTwin(decoded, rows, K));
});

test("Q8_0 weight error stays within 0.562 d per weight (d/2 rounding + fp16 scale), so |Δy| <= sum_b 0.562 d_b |x|_1,b", () => {
  // |w - d̂q| <= |w - dq| + |q||d - d̂| <= d/2 + 127 · d·2^-11 = 0.562 d (d̂ = fp16(d), relative error 2^-11).
  const r = rng(15), N = 50, K = 256;
  const w = randn(r, N * K, 0.05), x = randn(r, K);
  const { blocks, decoded } = q8Weights(w, N, K);
  const view = new DataView(blocks.buffer);
  const y = new Float32Array(N);
  native.matmulQ8_0(y, x, blocks, 1, N, K, false);
  let worstRatio = 0;
  for (let n = 0; n < N; n++) {
    let exact = 0, bound = 0;
    for (let b = 0; b < K / 32; b++) {
      let amax = 0, l1 = 0;
      for (let j = 0; j < 32; j++) { amax = Math.max(amax, Math.abs(w[n * K + b * 32 + j]!)); l1 += Math.abs(x[b * 32 + j]!); }
      const d = amax / 127;
      const dStored = f16ToF32(view.getUint16((n * K / 32 + b) * 34, true));
      assert.ok(Math.abs(dStored - d) <= d * 2 ** -11, `row ${n} block ${b}: stored scale ${dStored} vs ${d}`);
      for (let j = 0; j < 32; j++) {
        const i = n * K + b * 32 + j;
        assert.ok(Math.abs(w[i]! - decoded[i]!) <= 0.562 * d, `weight ${i}: ${w[i]} quantized to ${decoded[i]}`);
      }
      bound += 0.562 * d * l1;
      for (let j = 0; j < 32; j++) exact += w[n * K + b * 32 + j]! * x[b * 32 + j]!;
    }
    const err = Math.abs(y[n]! - exact);
    assert.ok(err <= bound * 1.0001 + 1e-6, `row ${n}: error ${err} above bound ${bound}`);
    worstRatio = Math.max(worstRatio, err / bound);
  }
  assert.ok(worstRatio > 0, "the quantized product differs from the exact one somewhere");
});

test("the kernels refuse wrong types, short arrays and K not a multiple of 32", () => {
  const x = new Float32Array(64), out = new Float32Array(4);
  assert.throws(() => native.matmulBf16(out, x, new Float32Array(128) as unknown as Uint16Array, 2, 2, 32, false), /argument 2 \(w\) must be a Uint16Array/);
  assert.throws(() => native.matmulBf16(out, x, new Uint16Array(63), 2, 2, 32, false), /argument 2 \(w\) has 63 elements, needs at least 64/);
  assert.throws(() => native.matmulBf16(out, new Float32Array(10), new Uint16Array(64), 2, 2, 32, false), /argument 1 \(x\)/);
  assert.throws(() => native.matmulQ8_0(out, x, new Uint8Array(200), 2, 2, 33, false), /multiple of 32/);
  assert.throws(() => native.matmulQ8_0(out, x, new Uint8Array(67), 2, 2, 32, false), /argument 2 \(w\) has 67 elements, needs at least 68/);
  assert.throws(() => native.matmulQ8_0(out, x, new Uint8Array(68), 2 ** 40, 2 ** 40, 32, false), /overflow|elements|larger than 2\^53/);
  assert.throws(() => native.quantizeQ8_0(new Uint8Array(10), x, 2, 32), /argument 0 \(dst\)/);
  assert.throws(() => native.quantizeQ8_0(new Uint8Array(68), new Int32Array(64) as unknown as Float32Array, 2, 32), /Float32Array/);
  assert.throws(() => native.matmulBf16(out, x, new Uint16Array(64), 2, 2, 32, 1 as unknown as boolean), /boolean/);
});
