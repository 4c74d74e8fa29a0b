// Tiled attention (native/attention_flash*) of two addon builds side by side in ONE process, so both
// see the same machine load: forward and backward at the stories15M head shape (B 1, H 6, D 48,
// causal), alternated round by round, CPU milliseconds per call (process.cpuUsage: steadier than the
// wall clock on a shared machine), medians and the median of the per-round ratios; then the largest
// difference between the two builds' outputs (out, lse, dq, dk, dv).
//   node bench/attention-ab.mjs [A=build/Release/llama2_native.node] [B=path] [rounds=7] [T list=2048,4096] [threads=1]
// SIMD=avx2|portable forces a kernel family in both.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const [aPath = "build/Release/llama2_native.node", bPath, r = "7", ts = "2048,4096", th = "1"] = process.argv.slice(2);
if (!bPath) throw new Error("usage: node bench/attention-ab.mjs A.node B.node [rounds] [T,T] [threads]");
const A = require(path.resolve(aPath)), B = require(path.resolve(bPath));
for (const m of [A, B]) { m.setThreadCount(Number(th)); if (process.env.SIMD) m.setSimdLevel(process.env.SIMD); }
const rounds = Number(r), H = 6, KH = 6, D = 48;
const med = (x) => { const s = [...x].sort((p, q) => p - q); return s[s.length >> 1]; };
let seed = 1;
const rand = (n, s = 1) => Float32Array.from({ length: n }, () => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed / 2 ** 32 - 0.5) * s; });
const cpuMs = (f) => { const c0 = process.cpuUsage(); f(); const c = process.cpuUsage(c0); return (c.user + c.system) / 1e3; };
const maxDiff = (x, y) => { let m = 0; for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i])); return m; };

console.log(`A = ${aPath}, B = ${bPath}, ${A.threadCount()} thread(s), ${A.simdLevel()}, ${rounds} rounds`);
for (const T of ts.split(",").map(Number)) {
  const q = rand(T * H * D, 2), k = rand(T * KH * D, 2), v = rand(T * KH * D), dout = rand(T * H * D);
  const side = () => ({ out: new Float32Array(T * H * D), lse: new Float32Array(H * T), dq: new Float32Array(T * H * D),
    dk: new Float32Array(T * KH * D), dv: new Float32Array(T * KH * D) });
  const sa = side(), sb = side();
  const fwd = (m, s) => () => m.attentionForward(s.out, s.lse, q, k, v, 1, T, T, 0, H, KH, D, null, null);
  const bwd = (m, s) => () => m.attentionBackward(s.dq, s.dk, s.dv, dout, s.out, s.lse, q, k, v, 1, T, H, KH, D, null);
  const t = { fa: [], fb: [], ba: [], bb: [], rf: [], rb: [] };
  fwd(A, sa)(); bwd(A, sa)(); fwd(B, sb)(); bwd(B, sb)();
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? [[A, sa, "a"], [B, sb, "b"]] : [[B, sb, "b"], [A, sa, "a"]];
    for (const [m, s, n] of order) { t[`f${n}`].push(cpuMs(fwd(m, s))); t[`b${n}`].push(cpuMs(bwd(m, s))); }
    t.rf.push(t.fb[i] / t.fa[i]); t.rb.push(t.bb[i] / t.ba[i]);
  }
  console.log(`T ${T}: forward A ${med(t.fa).toFixed(1)} ms, B ${med(t.fb).toFixed(1)} ms, B/A ${med(t.rf).toFixed(3)} ` +
    `(${Math.min(...t.rf).toFixed(2)}-${Math.max(...t.rf).toFixed(2)}); backward A ${med(t.ba).toFixed(1)} ms, ` +
    `B ${med(t.bb).toFixed(1)} ms, B/A ${med(t.rb).toFixed(3)} (${Math.min(...t.rb).toFixed(2)}-${Math.max(...t.rb).toFixed(2)})`);
  console.log(`  max |A - B|: out ${maxDiff(sa.out, sb.out).toExponential(2)}, lse ${maxDiff(sa.lse, sb.lse).toExponential(2)}, ` +
    `dq ${maxDiff(sa.dq, sb.dq).toExponential(2)}, dk ${maxDiff(sa.dk, sb.dk).toExponential(2)}, dv ${maxDiff(sa.dv, sb.dv).toExponential(2)}`);
}
