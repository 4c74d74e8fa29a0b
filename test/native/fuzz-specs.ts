// One valid call per native entry point, for the fuzzer (test/native/fuzz-child.ts): argument
// names as native/*.cpp spells them in its messages, and a factory of valid arguments (small
// shapes). EVERY function the addon exports needs a spec here: test/native/fuzz.test.ts fails
// naming any export that has none. Add yours when you add an entry point.
import { native } from "../../src/native/addon.js";

/** A valid call of one entry point: its argument names and a factory of fresh valid arguments. */
export interface FuzzSpec {
  names: string[];
  args: () => unknown[];
}

const f32 = (n: number, seed = 1): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * 0.5);
const i32 = (xs: number[]): Int32Array => Int32Array.from(xs);

// Shapes: B 2, T 3, S 4, H 2, KH 1, D 4; N 3 rows, C 4, V 5.
export const specs: Record<string, FuzzSpec> = {
  threadCount: { names: [], args: () => [] },
  setThreadCount: { names: ["n"], args: () => [2] },
  simdLevel: { names: [], args: () => [] },
  setSimdLevel: { names: ["level"], args: () => ["portable"] },
  buildInfo: { names: [], args: () => [] },
  _untaggedExternal: { names: [], args: () => [] },
  matmul: {
    names: ["out", "a", "b", "M", "N", "K", "transA", "transB", "accumulate"],
    args: () => [f32(6), f32(8), f32(12), 2, 3, 4, false, false, false],
  },
  addInPlace: { names: ["a", "b", "n"], args: () => [f32(5), f32(5), 5] },
  scaleInPlace: { names: ["x", "s", "n"], args: () => [f32(5), 0.5, 5] },
  sumSquares: { names: ["x", "n"], args: () => [f32(5), 5] },
  embeddingForward: {
    names: ["out", "ids", "table", "N", "C", "V"],
    args: () => [f32(12), i32([0, 4, 2]), f32(20), 3, 4, 5],
  },
  embeddingBackward: {
    names: ["dtable", "dout", "ids", "N", "C"],
    args: () => [f32(20), f32(12), i32([1, 4, 1]), 3, 4],
  },
  rmsnormForward: {
    names: ["out", "rstd", "x", "w", "N", "C", "eps"],
    args: () => [f32(12), f32(3), f32(12), f32(4), 3, 4, 1e-5],
  },
  rmsnormBackward: {
    names: ["dx", "dw", "dout", "x", "w", "rstd", "N", "C"],
    args: () => [f32(12), f32(4), f32(12), f32(12), f32(4), f32(3), 3, 4],
  },
  ropeForward: { names: ["x", "pos", "N", "nHeads", "D", "theta"], args: () => [f32(24), i32([0, 5, 2]), 3, 2, 4, 10000] },
  ropeBackward: { names: ["x", "pos", "N", "nHeads", "D", "theta"], args: () => [f32(24), i32([3, 1, 2]), 3, 2, 4, 10000] },
  swigluForward: { names: ["out", "gate", "up", "count"], args: () => [f32(6), f32(6), f32(6), 6] },
  swigluBackward: { names: ["dgate", "dup", "dout", "gate", "up", "count"], args: () => [f32(6), f32(6), f32(6), f32(6), f32(6), 6] },
  attentionForward: {
    // out[B,T,H,D], lse[B,H,T], q[B,T,H,D], k/v[B,S,KH,D], B T S pos0 H KH D, keyStart[B], segIds[B,S]
    names: ["out", "lse", "q", "k", "v", "B", "T", "S", "pos0", "H", "KH", "D", "keyStart", "segIds"],
    args: () => [f32(48), f32(12), f32(48), f32(32), f32(32), 2, 3, 4, 1, 2, 1, 4, i32([0, 1]), i32([0, 0, 1, 1, 0, 0, 0, 2])],
  },
  attentionBackward: {
    // dq[B,T,H,D], dk/dv[B,T,KH,D], dout, out [B,T,H,D], lse[B,H,T], q, k, v; B T H KH D; segIds[B,T]
    names: ["dq", "dk", "dv", "dout", "out", "lse", "q", "k", "v", "B", "T", "H", "KH", "D", "segIds"],
    args: () => [f32(48), f32(24), f32(24), f32(48), f32(48), f32(12), f32(48), f32(24), f32(24), 2, 3, 2, 1, 4,
      i32([0, 0, 1, 0, 1, 1])],
  },
  adviseHugePages: { names: ["arrays"], args: () => [[f32(8), new Uint8Array(4)]] },
  allocHugePages: { names: ["bytes"], args: () => [100] },
  _decodeStealSpins: { names: ["spins"], args: () => [1000] },
  decodeStep: {
    // out[B,W], ids[B], slots[B], B, weights (L 1: C 4, F 6, H 2, KH 1, D 2, W 5, V 5), cacheK/V [rows 2, S 4, KH*D 2],
    // lengths/keyStart[rows], rows S L C F H KH D W V eps theta
    names: ["out", "ids", "slots", "B", "weights", "cacheK", "cacheV", "lengths", "keyStart", "rows", "S", "L", "C", "F", "H",
      "KH", "D", "W", "V", "eps", "theta"],
    args: () => [f32(5), i32([3]), i32([0]), 1,
      [f32(20), f32(4), f32(20), f32(4), f32(16), f32(8), f32(8), f32(16), f32(4), f32(24), f32(24), f32(24)],
      [f32(16)], [f32(16)], i32([1, 0]), i32([0, 0]), 2, 4, 1, 4, 6, 2, 1, 2, 5, 5, 1e-5, 10000],
  },
  // ---- bf16 / Q8_0 weights (native/qmatmul.cpp): M 2, N 3, K 32 (one Q8_0 block of 34 bytes per row) ----
  matmulBf16: {
    names: ["out", "x", "w", "M", "N", "K", "accumulate"],
    args: () => [f32(6), f32(64), new Uint16Array(96).fill(0x3f80), 2, 3, 32, false],
  },
  matmulQ8_0: {
    names: ["out", "x", "w", "M", "N", "K", "accumulate"],
    args: () => [f32(6), f32(64), new Uint8Array(102).fill(1), 2, 3, 32, true],
  },
  quantizeQ8_0: { names: ["dst", "src", "rows", "K"], args: () => [new Uint8Array(68), f32(64), 2, 32] },
  dequantizeQ8_0: { names: ["dst", "src", "rows", "K"], args: () => [f32(64), new Uint8Array(68).fill(3), 2, 32] },
  toBf16: { names: ["dst", "src", "n"], args: () => [new Uint16Array(5), f32(5), 5] },
  qmatmulKernel: { names: [], args: () => [] },
  useDpbf16: { names: ["on"], args: () => [false] },
  crossEntropy: {
    names: ["logits", "targets", "losses", "dlogits", "N", "V", "gradScale"],
    args: () => [f32(15), i32([0, -100, 4]), f32(3), f32(15), 3, 5, 0.5],
  },
  logSoftmax: { names: ["out", "logits", "N", "V"], args: () => [f32(15), f32(15), 3, 5] },
  temperedExp: { names: ["weights", "logits", "V", "temperature"], args: () => [new Float64Array(5), f32(5), 5, 0.7] },
  sampleRows: {
    names: ["ids", "stats", "logits", "B", "V", "params"],
    args: () => [new Int32Array(2), new Float64Array(4), f32(10), 2, 5, Float64Array.from([0.8, 2, 0.9, 0.5, 1, 0, 0, 1, 0, 1])],
  },
  topLogits: { names: ["ids", "lse", "logits", "B", "V", "K"], args: () => [new Int32Array(4), new Float64Array(2), f32(10), 2, 5, 2] },
  adamwStep: {
    names: ["param", "grad", "m", "v", "n", "lr", "beta1", "beta2", "eps", "weightDecay", "step"],
    args: () => [f32(5), f32(5), f32(5), new Float32Array(5), 5, 1e-3, 0.9, 0.95, 1e-8, 0.1, 3],
  },
  wordCounterCreate: {
    names: ["maxSentenceLength", "allowWhitespaceOnlyPieces", "metaPieces", "maxSentences"],
    args: () => [100, true, ["<s>", "</s>"], 0],
  },
  wordCounterAdd: {
    names: ["counter", "chunk", "endOfFile"],
    args: () => [native.wordCounterCreate(100, true, ["<s>"], 0), new TextEncoder().encode("a b <s> c\nd e\nf"), true],
  },
  wordCounterResult: {
    names: ["counter"],
    args: () => {
      const c = native.wordCounterCreate(100, true, [], 0);
      native.wordCounterAdd(c, new TextEncoder().encode("x y y\n"), true);
      return [c];
    },
  },
  bpeLearnMerges: {
    // chars a b c; runs "abab" (freq 3), "bc" (freq 1), "" (freq 2)
    names: ["charStrs", "charFlags", "charScript", "sym", "runStart", "runFreq", "maxMerges", "rules", "taken", "onProgress"],
    args: () => [["a", "b", "c"], new Uint8Array(3), i32([0, 0, -1]), i32([0, 1, 0, 1, 1, 2]), i32([0, 4, 6, 6]),
      Float64Array.from([3, 1, 2]), 10, [16, false, true, false], ["ab"], null],
  },
};
