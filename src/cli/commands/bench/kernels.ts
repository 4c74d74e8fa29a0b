// `llama2 bench kernels [--shape 15m|110m] [--threads N] [--simd L] [--repeat R] [--json]`: wall time
// of every layer kernel except GEMM (native/*.cpp) at a training shape (B*T = 2048 tokens). The
// PyTorch side of the same shapes is scripts/reference/bench_kernels.py; run both back to back.
import { native } from "../../../native/addon.js";
import { UsageError, defineCommand, parseFlags } from "../../args.js";
import { timeIt, type Timing } from "../../../bench/timing.js";

/** A model shape: B batch, T sequence, C dim, H/KH heads, D head dim, F ffn hidden, V vocab. */
export interface KernelShape { name: string; B: number; T: number; C: number; H: number; KH: number; D: number; F: number; V: number; params: number }

export const kernelShapes: Record<string, KernelShape> = {
  "15m": { name: "stories15M B=8 T=256", B: 8, T: 256, C: 288, H: 6, KH: 6, D: 48, F: 768, V: 32000, params: 15_191_712 },
  "110m": { name: "stories110M B=8 T=256", B: 8, T: 256, C: 768, H: 12, KH: 12, D: 64, F: 2048, V: 32000, params: 109_529_856 },
};

function filled(n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; a[i] = ((s / 4294967296) * 2 - 1) * scale; }
  return a;
}

/** Times every kernel once per repeat at shape s; returns name -> timing (seconds). */
export function benchKernels(s: KernelShape, repeats: number): Record<string, Timing> {
  const { B, T, C, H, KH, D, F, V } = s;
  const N = B * T;
  const x = filled(N * C), w = filled(C), y = new Float32Array(N * C), rstd = new Float32Array(N), dx = new Float32Array(N * C), dw = new Float32Array(C);
  const q = filled(N * H * D), k = filled(N * KH * D), v = filled(N * KH * D), att = new Float32Array(N * H * D), lse = new Float32Array(B * H * T);
  const dq = new Float32Array(N * H * D), dk = new Float32Array(N * KH * D), dv = new Float32Array(N * KH * D);
  const gate = filled(N * F, 3), up = filled(N * F), h = new Float32Array(N * F), dg = new Float32Array(N * F), du = new Float32Array(N * F);
  const logits = filled(N * V, 5), targets = Int32Array.from({ length: N }, (_, i) => (i * 7919) % V), losses = new Float32Array(N), dlogits = new Float32Array(N * V);
  const pos = Int32Array.from({ length: N }, (_, i) => i % T), ids = Int32Array.from(targets), table = filled(V * C), dtable = new Float32Array(V * C);
  const p = filled(s.params, 0.02), g = filled(s.params, 0.01), m = new Float32Array(s.params), vv = new Float32Array(s.params);
  const opts = { repeats, minSeconds: 0.1 };
  return {
    embeddingForward: timeIt(() => native.embeddingForward(x, ids, table, N, C, V), opts),
    embeddingBackward: timeIt(() => native.embeddingBackward(dtable, x, ids, N, C), opts),
    rmsnormForward: timeIt(() => native.rmsnormForward(y, rstd, x, w, N, C, 1e-5), opts),
    rmsnormBackward: timeIt(() => native.rmsnormBackward(dx, dw, y, x, w, rstd, N, C), opts),
    "ropeForward(q)": timeIt(() => native.ropeForward(q, pos, N, H, D, 10000), opts),
    attentionForward: timeIt(() => native.attentionForward(att, lse, q, k, v, B, T, T, 0, H, KH, D, null, null), opts),
    attentionBackward: timeIt(() => native.attentionBackward(dq, dk, dv, q, att, lse, q, k, v, B, T, H, KH, D, null), opts),
    swigluForward: timeIt(() => native.swigluForward(h, gate, up, N * F), opts),
    swigluBackward: timeIt(() => native.swigluBackward(dg, du, h, gate, up, N * F), opts),
    crossEntropy: timeIt(() => native.crossEntropy(logits, targets, losses, dlogits, N, V, 1 / N), opts),
    logSoftmax: timeIt(() => native.logSoftmax(dlogits, logits, N, V), opts),
    adamwStep: timeIt(() => native.adamwStep(p, g, m, vv, s.params, 1e-3, 0.9, 0.95, 1e-5, 0.1, 5), opts),
    addInPlace: timeIt(() => native.addInPlace(x, y, N * C), opts),
  };
}

export const command = defineCommand({
  name: "bench kernels",
  summary: "wall time of every layer kernel except GEMM at a training shape (B*T = 2048 tokens)",
  options: {
    shape: { type: "string", value: "NAME", default: "15m", description: "model shape of the kernels (15m = stories15M, 110m = stories110M)" },
    repeat: { type: "string", value: "R", default: 5, description: "timed repeats per kernel" },
    threads: { type: "string", value: "T", defaultText: "the addon's thread count", description: "native compute threads" },
    simd: { type: "string", value: "LEVEL", choices: ["portable", "avx2", "avx512"], defaultText: "the best the CPU supports", description: "force a SIMD code path" },
    json: { type: "boolean", description: "print the results as JSON on stdout" },
  },
  examples: ["llama2 bench kernels --shape 15m --json"],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const shapeName = f.str("shape");
  const shape = kernelShapes[shapeName];
  if (!shape) throw new UsageError(`bench kernels: --shape must be one of ${Object.keys(kernelShapes).join(", ")}, got "${shapeName}"`);
  const repeats = f.int("repeat");
  if (repeats < 1) throw new UsageError("bench kernels: --repeat must be >= 1");
  if (f.strOpt("threads") !== undefined) native.setThreadCount(f.int("threads"));
  const simd = f.strOpt("simd");
  if (simd !== undefined) native.setSimdLevel(simd as "portable" | "avx2" | "avx512");
  const env = { threads: native.threadCount(), simd: native.simdLevel(), repeats };
  const results = benchKernels(shape, repeats);
  if (f.bool("json")) {
    const out = Object.fromEntries(Object.entries(results).map(([k, t]) => [k, { ms: t.median * 1e3, minMs: t.min * 1e3, spread: t.spread }]));
    console.log(JSON.stringify({ shape, ...env, results: out }));
    return 0;
  }
  const { C, H, KH, D, F, V } = shape;
  console.log(`${shape.name} (C=${C} H=${H} KH=${KH} D=${D} F=${F} V=${V}): ${env.threads} threads, ${env.simd}, median of ${repeats}`);
  console.log(`${"kernel".padEnd(20)} ${"median ms".padStart(10)} ${"min ms".padStart(9)}  spread`);
  for (const [name, t] of Object.entries(results))
    console.log(`${name.padEnd(20)} ${(t.median * 1e3).toFixed(2).padStart(10)} ${(t.min * 1e3).toFixed(2).padStart(9)} ${(100 * t.spread).toFixed(0).padStart(6)}%`);
  return 0;
}
