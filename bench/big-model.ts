// One big-model measurement for bench/big-model.sh: loads an HF directory with the given storage dtype,
// then decodes NEW tokens greedily from <s>; prints JSON {dtype, load_s, rss_after_load_mb, peak_rss_mb,
// decode_tokens_per_s, weight_bytes_gb}. Peak RSS is the process's maximum resident set (getrusage).
//   usage: node dist/bench/big-model.js DIR DTYPE [NEW=16]
import { Llama } from "../src/model/llama.js";
import { generate } from "../src/model/generate.js";
import { parseWeightDtype } from "../src/model/weight-storage.js";

const [dir, dtypeArg, newArg] = process.argv.slice(2);
if (!dir || !dtypeArg) throw new Error("usage: big-model.js DIR DTYPE [NEW]");
const dtype = parseWeightDtype(dtypeArg, "DTYPE"), N = Number(newArg ?? 16);
const mb = (kb: number) => kb / 1024;
let t0 = performance.now();
const model = await Llama.load(dir, { dtype, trainable: false });
const loadS = (performance.now() - t0) / 1000;
const rssAfterLoad = process.memoryUsage().rss / 2 ** 20;
let weightBytes = 0;
for (const p of model.params) weightBytes += p.data.byteLength;
for (const l of model.weights.linears) {
  const s = l.storage;
  weightBytes += s.kind === "bf16" ? s.bits.byteLength : s.kind === "q8_0" ? s.blocks.byteLength : 0;
}
// The first step (prefill of <s>) is not timed: tokens/s counts the N-1 decoding steps after it.
let first = 0;
t0 = performance.now();
generate(model, [[1]], {
  maxNewTokens: N, greedy: true, eosId: null,
  onToken: () => { if (first === 0) first = performance.now(); },
});
const decodeS = (performance.now() - first) / 1000;
console.log(JSON.stringify({
  dtype, load_s: +loadS.toFixed(1), rss_after_load_mb: Math.round(rssAfterLoad),
  peak_rss_mb: Math.round(mb(process.resourceUsage().maxRSS)), decode_tokens_per_s: +((N - 1) / decodeS).toFixed(3),
  weight_bytes_gb: +(weightBytes / 1e9).toFixed(2), new_tokens: N,
}));
