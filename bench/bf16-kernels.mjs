// bf16 / float32 linear layers at decoding and prefill shapes, every kernel family this CPU has, in ONE
// process with the families alternated round by round (so they see the same machine load): CPU
// milliseconds per call (process.cpuUsage, robust on a shared machine) and the weight GB/s that implies.
// Families: matmulBf16 with vdpbf16ps (avx512bf16), the AVX-512 FMA kernel (avx512, vdpbf16ps off),
// AVX2 (avx2), portable; the float32 matmul (x W^T, the same shape) at avx512 and avx2 for reference;
// then bf16 decoding of the whole model (stories110M shape) per family.
//   [ADDON=path/to/llama2_native.node] node bench/bf16-kernels.mjs [rounds=7] [threads=1]
import { createRequire } from "node:module";
import path from "node:path";
const require = createRequire(import.meta.url);
const addonPath = path.resolve(process.env.ADDON ?? "build/Release/llama2_native.node");
process.env.LLAMA2_NATIVE_ADDON = addonPath;  // the model part (dist/) loads the same addon
const native = require(addonPath);
const rounds = Number(process.argv[2] ?? 7);
native.setThreadCount(Number(process.argv[3] ?? 1));
const med = (x) => { const s = [...x].sort((p, q) => p - q); return s[s.length >> 1]; };
const rand = (n) => { const a = new Float32Array(n); let s = 7; for (let i = 0; i < n; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; a[i] = s / 4294967296 - 0.5; } return a; };
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
/** CPU ms per call of f, calling it for >= 40 ms of CPU. */
function perCall(f) {
  f();
  let n = 0; const c0 = cpuMs();
  do { f(); n++; } while (cpuMs() - c0 < 40);
  return (cpuMs() - c0) / n;
}
const families = [];
for (const l of ["avx512", "avx2", "portable"]) {
  try { native.setSimdLevel(l); } catch { continue; }
  if (l === "avx512") { try { native.useDpbf16(true); families.push(["avx512", true]); } catch { /* none */ } }
  families.push([l, false]);
}
// [label, M, N, K]: stories110M decoding (M 1) q/ffn/LM head, 4 rows, the row-kernel limit (16).
const shapes = [["110M qkvo", 1, 768, 768], ["110M w1/w3", 1, 2048, 768], ["110M w2", 1, 768, 2048], ["LM head", 1, 32000, 768],
  ["110M w1 M4", 4, 2048, 768], ["110M w1 M16", 16, 2048, 768]];
console.log(`threads ${native.threadCount()}, ${rounds} rounds, CPU ms per call (median), weight GB/s`);
for (const [label, M, N, K] of shapes) {
  const x = rand(M * K), w = rand(N * K), bits = new Uint16Array(N * K), out = new Float32Array(M * N);
  native.toBf16(bits, w, N * K);
  const t = {};
  const sides = [...families.map(([l, dp]) => [`bf16 ${l}${dp ? "+dpbf16" : ""}`, () => { native.setSimdLevel(l); if (l === "avx512") native.useDpbf16(dp); }, () => native.matmulBf16(out, x, bits, M, N, K, false)]),
    ...["avx512", "avx2"].filter((l) => families.some((f) => f[0] === l)).map((l) => [`f32 ${l}`, () => native.setSimdLevel(l), () => native.matmul(out, x, w, M, N, K, false, true, false)])];
  for (let r = 0; r < rounds; r++) for (const [name, sel, f] of sides) { sel(); (t[name] ??= []).push(perCall(f)); }
  const base = med(t["bf16 avx2"] ?? t[sides[0][0]]);
  console.log(`${label} (M ${M}, N ${N}, K ${K}): ` + sides.map(([name]) => { const m = med(t[name]); return `${name} ${m.toFixed(3)} ms (${(N * K * (name.startsWith("f32") ? 4 : 2) / m / 1e6).toFixed(1)} GB/s, ${(base / m).toFixed(2)}x avx2 bf16)`; }).join("; "));
}

// Decoding end to end (dist/, or DIST=dir: run `npm run build` first): bf16 weights at the stories110M shape, random
// weights, batch 1 (one-row products) and batch 4, 64 new tokens after a 16-token prompt; CPU ms per
// decoded token per family, alternated round by round.
const { Llama } = await import(path.resolve(process.env.DIST ?? "dist", "src/model/llama.js"));
const { KVCache } = await import(path.resolve(process.env.DIST ?? "dist", "src/model/kv-cache.js"));
const { preset } = await import(path.resolve(process.env.DIST ?? "dist", "src/model/presets.js"));
const { native: distNative } = await import(path.resolve(process.env.DIST ?? "dist", "src/native/addon.js"));
distNative.setThreadCount(native.threadCount());
const config = preset("stories110M");
const f32 = new Llama(config, { trainable: false }).initRandom(1);
const model = new Llama(config, { dtype: "bfloat16", tensors: new Map(f32.params.map((p) => [p.name, { data: p.data }])) });
const engine = model.inference();
for (const B of [1, 4]) {
  const P = 16, N = 64, cache = new KVCache(config, B, P + N);
  const prompt = new Int32Array(B * P).map((_, i) => (i * 7919 + 1) % config.vocabSize), next = new Int32Array(B);
  const t = {};
  for (let r = 0; r < Math.max(3, rounds >> 1); r++)
    for (const [l, dp] of families.filter(([l]) => l !== "portable")) {
      distNative.setSimdLevel(l);
      if (l === "avx512") distNative.useDpbf16(dp);
      cache.reset();
      engine.forward(cache, prompt, B, P);
      const c0 = cpuMs();
      for (let s = 0; s < N; s++) { next.fill((s * 31) % config.vocabSize); engine.forward(cache, next, B, 1); }
      (t[`${l}${dp ? "+dpbf16" : ""}`] ??= []).push((cpuMs() - c0) / (B * N));
    }
  const base = med(t["avx2"]);
  console.log(`decode stories110M bf16, batch ${B}: ` + Object.entries(t).map(([k, v]) => `${k} ${med(v).toFixed(2)} CPU ms/token (${(base / med(v)).toFixed(2)}x avx2)`).join("; "));
}
