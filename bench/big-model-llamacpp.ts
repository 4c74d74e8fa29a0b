// The llama.cpp side of bench/big-model.sh: node-llama-cpp 3.21.1 loads a GGUF (from
// `llama2 export --type q8_0`) and decodes NEW tokens greedily from <s> on THREADS threads; prints JSON
// {load_s, rss_after_load_mb, peak_rss_mb, decode_tokens_per_s} measured as bench/big-model.ts measures
// ours (the first token, the prefill of <s>, is not timed). llama.cpp maps the file: its RSS counts the
// file's pages it touched.
//   usage: node dist/bench/big-model-llamacpp.js FILE.gguf [NEW=8] [THREADS=2]
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const [file, newArg, threadsArg] = process.argv.slice(2);
if (!file) throw new Error("usage: big-model-llamacpp.js FILE.gguf [NEW] [THREADS]");
const N = Number(newArg ?? 8), threads = Number(threadsArg ?? 2);
const cpp = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
let t0 = performance.now();
const model = await cpp.loadModel({ modelPath: file });
const ctx = await model.createContext({ contextSize: 256, threads });
const loadS = (performance.now() - t0) / 1000;
const rssAfterLoad = process.memoryUsage().rss / 2 ** 20;
let first = 0, n = 0;
t0 = performance.now();
for await (const _ of ctx.getSequence().evaluate([1] as never[], { temperature: 0 })) {
  if (first === 0) first = performance.now();
  if (++n >= N) break;
}
const decodeS = (performance.now() - first) / 1000;
console.log(JSON.stringify({
  side: "llama.cpp", load_s: +loadS.toFixed(1), rss_after_load_mb: Math.round(rssAfterLoad),
  peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024), decode_tokens_per_s: +((N - 1) / decodeS).toFixed(3), new_tokens: N, threads,
}));
await ctx.dispose();
await model.dispose();
await cpp.dispose();
