// `llama2 bench gemm [--m M --n N --k K] [--ta] [--tb] [--acc] [--json] [--repeat R] [--threads T]
//  [--simd LEVEL] [--list]`: GFLOP/s of
// the native matmul (native/gemm.cpp). With a shape: that shape only (`{"gflops": x, ...}` with
// --json). Also GFLOP per CPU-second (all threads' CPU time): per-core speed on a busy machine. Without: 1024³ and the stories15M training shapes (B*T = 2048 rows) plus decoding rows.
import { native } from "../../../native/addon.js";
import { UsageError, defineCommand, parseFlags } from "../../args.js";
import { timeIt, type Timing } from "../../../bench/timing.js";

/** One benchmarked product: out[M,N] (+)= op(a)[M,K] op(b)[K,N]. */
export interface GemmShape {
  name: string;
  M: number; N: number; K: number;
  transA: boolean; transB: boolean; accumulate: boolean;
}

const BT = 2048;
/** The default table: square reference, then forward / backward shapes of stories15M (C=288, F=768, V=32000). */
export const defaultShapes: GemmShape[] = [
  { name: "square 1024", M: 1024, N: 1024, K: 1024, transA: false, transB: false, accumulate: false },
  { name: "x·Wqkvo^T [288,288]", M: BT, N: 288, K: 288, transA: false, transB: true, accumulate: false },
  { name: "x·W1^T [768,288]", M: BT, N: 768, K: 288, transA: false, transB: true, accumulate: false },
  { name: "h·W2^T [288,768]", M: BT, N: 288, K: 768, transA: false, transB: true, accumulate: false },
  { name: "x·Wcls^T [32000,288]", M: BT, N: 32000, K: 288, transA: false, transB: true, accumulate: false },
  { name: "dX=dY·W1 [768,288]", M: BT, N: 288, K: 768, transA: false, transB: false, accumulate: false },
  { name: "dX=dY·Wcls", M: BT, N: 288, K: 32000, transA: false, transB: false, accumulate: false },
  { name: "dW1+=dY^T·X", M: 768, N: 288, K: BT, transA: true, transB: false, accumulate: true },
  { name: "dWcls+=dY^T·X", M: 32000, N: 288, K: BT, transA: true, transB: false, accumulate: true },
  { name: "decode M=1 x·W1^T", M: 1, N: 768, K: 288, transA: false, transB: true, accumulate: false },
  { name: "decode M=1 cls", M: 1, N: 32000, K: 288, transA: false, transB: true, accumulate: false },
  { name: "decode M=16 cls", M: 16, N: 32000, K: 288, transA: false, transB: true, accumulate: false },
];

/** Times one shape on fresh random operands; returns GFLOP/s from the median time. */
export function benchShape(s: GemmShape, repeats: number): { gflops: number; gflopsPerCpuSecond: number; timing: Timing } {
  const a = new Float32Array(s.M * s.K).map(() => Math.random() - 0.5);
  const b = new Float32Array(s.K * s.N).map(() => Math.random() - 0.5);
  const out = new Float32Array(s.M * s.N);
  const timing = timeIt(() => native.matmul(out, a, b, s.M, s.N, s.K, s.transA, s.transB, s.accumulate), { repeats, minSeconds: 0.2 });
  const flop = 2 * s.M * s.N * s.K;
  return { gflops: flop / timing.median / 1e9, gflopsPerCpuSecond: flop / timing.cpuMedian / 1e9, timing };
}

export const command = defineCommand({
  name: "bench gemm",
  summary: "GFLOP/s of the native matmul, at one shape or the training and decoding shapes of stories15M",
  usage: "[--m M --n N --k K [--ta] [--tb] [--acc]] [--repeat R] [--threads T] [--simd LEVEL] [--json] | --list",
  options: {
    m: { type: "string", value: "M", description: "rows of the output (give --m, --n and --k together for one custom shape)" },
    n: { type: "string", value: "N", description: "columns of the output" },
    k: { type: "string", value: "K", description: "inner dimension" },
    ta: { type: "boolean", description: "A is transposed (stored K×M)" },
    tb: { type: "boolean", description: "B is transposed (stored N×K, as a weight matrix)" },
    acc: { type: "boolean", description: "accumulate into the output (C += A·B, as weight gradients do)" },
    repeat: { type: "string", value: "R", default: 5, description: "timed repeats per shape (median and spread are reported)" },
    threads: { type: "string", value: "T", defaultText: "the addon's thread count", description: "native compute threads" },
    simd: { type: "string", value: "LEVEL", choices: ["portable", "avx2", "avx512"], defaultText: "the best the CPU supports", description: "force a SIMD code path" },
    list: { type: "boolean", description: "print the default shapes as JSON lines and exit (bench/gemm.sh iterates them)" },
    json: { type: "boolean", description: "print the results as JSON on stdout" },
  },
  examples: ["llama2 bench gemm", "llama2 bench gemm --m 2048 --n 768 --k 288 --tb --json"],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  if (f.bool("list")) { // the default shapes, one JSON object a line (bench/gemm.sh iterates them)
    for (const s of defaultShapes) console.log(JSON.stringify(s));
    return 0;
  }
  const repeats = f.int("repeat");
  if (repeats < 1) throw new UsageError("bench gemm: --repeat must be >= 1");
  if (f.strOpt("threads") !== undefined) native.setThreadCount(f.int("threads"));
  const simd = f.strOpt("simd");
  if (simd !== undefined) native.setSimdLevel(simd as "portable" | "avx2" | "avx512");
  const given = (["m", "n", "k"] as const).filter((x) => f.strOpt(x) !== undefined);
  const env = { threads: native.threadCount(), simd: native.simdLevel(), repeats };
  if (given.length > 0) {
    if (given.length !== 3) throw new UsageError("bench gemm: give all of --m, --n, --k (or none for the table)");
    const s: GemmShape = { name: "custom", M: f.int("m"), N: f.int("n"), K: f.int("k"), transA: f.bool("ta"), transB: f.bool("tb"), accumulate: f.bool("acc") };
    if (s.M < 1 || s.N < 1 || s.K < 1) throw new UsageError("bench gemm: --m, --n, --k must be >= 1");
    const r = benchShape(s, repeats);
    if (f.bool("json")) console.log(JSON.stringify({ gflops: r.gflops, gflopsPerCpuSecond: r.gflopsPerCpuSecond, seconds: r.timing.median, spread: r.timing.spread, ...s, ...env }));
    else console.log(`${s.M}x${s.N}x${s.K} transA=${s.transA} transB=${s.transB}: ${r.gflops.toFixed(1)} GFLOP/s (median of ${repeats}, spread ${(100 * r.timing.spread).toFixed(0)}%), ${r.gflopsPerCpuSecond.toFixed(1)} GFLOP per CPU-second`);
    return 0;
  }
  const rows = defaultShapes.map((s) => ({ ...s, ...benchShape(s, repeats) }));
  if (f.bool("json")) {
    console.log(JSON.stringify({ ...env, results: rows.map((r) => ({ name: r.name, M: r.M, N: r.N, K: r.K, transA: r.transA, transB: r.transB, accumulate: r.accumulate, gflops: r.gflops, gflopsPerCpuSecond: r.gflopsPerCpuSecond, seconds: r.timing.median, spread: r.timing.spread })) }));
    return 0;
  }
  console.log(`native matmul: ${env.threads} threads, ${env.simd}, median of ${repeats}`);
  console.log(`${"shape".padEnd(24)} ${"M".padStart(6)} ${"N".padStart(6)} ${"K".padStart(6)} tA tB  GFLOP/s  spread  GFLOP/cpu-s`);
  for (const r of rows)
    console.log(`${r.name.padEnd(24)} ${String(r.M).padStart(6)} ${String(r.N).padStart(6)} ${String(r.K).padStart(6)} ${r.transA ? " T" : " N"} ${r.transB ? " T" : " N"} ${r.gflops.toFixed(1).padStart(8)} ${(100 * r.timing.spread).toFixed(0).padStart(6)}% ${r.gflopsPerCpuSecond.toFixed(1).padStart(12)}`);
  return 0;
}
