// Thread backends side by side in ONE process (so both see the same machine load): the default
// pool build and an OpenMP build (`node scripts/build-variant.mjs openmp`), alternating rounds per
// kernel. Prints medians of GFLOP/s (large GEMMs) or µs per call (small regions) and the median of
// the per-round ratios. Run with OMP_WAIT_POLICY=passive to compare with OpenMP's best setting.
//   node bench/threads-ab.mjs [build/Release/llama2_native.node] [build-openmp/build/Release/llama2_native.node] [rounds]
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const [aPath = "build/Release/llama2_native.node", bPath = "build-openmp/build/Release/llama2_native.node", r = "9"] = process.argv.slice(2);
const A = require(path.resolve(aPath)), B = require(path.resolve(bPath));
const rounds = Number(r);
const med = (x) => { const s = [...x].sort((p, q) => p - q); return s[s.length >> 1]; };
const rand = (n) => Float32Array.from({ length: n }, () => Math.random() - 0.5);

// Times f for >= seconds; returns seconds per call.
function perCall(f, seconds) {
  f();
  let n = 0, t = 0;
  const t0 = process.hrtime.bigint();
  do { f(); n++; t = Number(process.hrtime.bigint() - t0) / 1e9; } while (t < seconds);
  return t / n;
}

function ab(name, make, unit, seconds) {
  const fa = make(A), fb = make(B);
  const ta = [], tb = [], ratio = [];
  for (let i = 0; i < rounds; i++) {
    let x, y;  // alternate which runs first
    if (i % 2 === 0) { x = perCall(fa, seconds); y = perCall(fb, seconds); } else { y = perCall(fb, seconds); x = perCall(fa, seconds); }
    ta.push(x); tb.push(y); ratio.push(y / x);  // > 1: A faster
  }
  const show = unit.scale ? (t) => (unit.scale / t).toFixed(1) : (t) => (t * 1e6).toFixed(1);
  console.log(`${name.padEnd(28)} ${unit.name.padEnd(8)} A ${show(med(ta)).padStart(8)}  B ${show(med(tb)).padStart(8)}  ` +
    `speed A/B ${med(ratio).toFixed(2)} (${Math.min(...ratio).toFixed(2)}-${Math.max(...ratio).toFixed(2)})`);
}

console.log(`A = ${aPath} (${A.buildInfo().threads}), B = ${bPath} (${B.buildInfo().threads}), ${A.threadCount()} threads, ${rounds} rounds`);
const gemms = [
  ["x·W1^T 2048x768x288", 2048, 768, 288, false, true, false],
  ["x·Wcls^T 2048x32000x288", 2048, 32000, 288, false, true, false],
  ["dX=dY·W1 2048x288x768", 2048, 288, 768, false, false, false],
  ["dW1+=dY^T·X 768x288x2048", 768, 288, 2048, true, false, true],
  ["square 1024", 1024, 1024, 1024, false, false, false],
  ["decode M=1 768x288", 1, 768, 288, false, true, false],
  ["decode M=16 32000x288", 16, 32000, 288, false, true, false],
];
for (const [name, M, N, K, ta, tb, acc] of gemms) {
  const a = rand(M * K), b = rand(K * N), out = new Float32Array(M * N);
  ab(name, (m) => () => m.matmul(out, a, b, M, N, K, ta, tb, acc), { name: "GFLOP/s", scale: (2 * M * N * K) / 1e9 }, 0.15);
}
const n = 1 << 18, x = rand(n), y = rand(n), o = new Float32Array(n);
ab("addInPlace 2^18", (m) => () => m.addInPlace(x, y, n), { name: "us/call" }, 0.1);
ab("swigluForward 2^15", (m) => () => m.swigluForward(o, x, y, 1 << 15), { name: "us/call" }, 0.1);
const xa = rand(256 * 288), w = rand(288 * 288), ya = new Float32Array(256 * 288);
ab("matmul 256x288x288 x·W^T", (m) => () => m.matmul(ya, xa, w, 256, 288, 288, false, true, false), { name: "us/call" }, 0.1);
