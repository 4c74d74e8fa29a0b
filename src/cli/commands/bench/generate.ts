// `llama2 bench generate [--preset stories15M] [--batch 1] [--prompt-len 16] [--new-tokens 128] [--repeat 3] [--json]`:
// decoding speed against the KV cache on random weights: prefill tokens/s and decode tokens/s
// (new tokens over all rows per second), medians over repeats. llama2.c's run.c does ~650 tokens/s
// on stories15M at batch 1 on this machine type (DESIGN.md §7).
import { defineCommand, parseFlags } from "../../args.js";
import { Llama } from "../../../model/llama.js";
import { KVCache } from "../../../model/kv-cache.js";
import { preset } from "../../../model/presets.js";
import { summarize } from "../../../bench/timing.js";
import { native } from "../../../native/addon.js";
import { parseWeightDtype } from "../../../model/weight-storage.js";

export const command = defineCommand({
  name: "bench generate",
  summary: "decoding speed (prefill and decode tokens/s) against the KV cache on random weights",
  options: {
    preset: { type: "string", value: "NAME", default: "stories15M", description: "model shape (src/model/presets.ts)" },
    batch: { type: "string", value: "B", default: 1, description: "sequences decoded together" },
    "prompt-len": { type: "string", value: "P", default: 16, description: "prompt tokens per sequence (prefill)" },
    "new-tokens": { type: "string", value: "N", default: 128, description: "tokens decoded per sequence" },
    repeat: { type: "string", value: "R", default: 3, description: "timed repeats (medians are reported)" },
    dtype: { type: "string", value: "D", default: "float32", choices: ["float32", "bfloat16", "q8_0", "f32", "bf16"], description: "storage of the linear weights (float32 accumulation either way)" },
    json: { type: "boolean", description: "print the result as JSON on stdout" },
  },
  examples: ["llama2 bench generate --preset stories15M --batch 1 --new-tokens 256"],
});

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(command, argv);
  const name = f.str("preset");
  const config = preset(name);
  const B = f.int("batch"), P = f.int("prompt-len"), N = f.int("new-tokens"), repeats = f.int("repeat");
  const dtype = parseWeightDtype(f.str("dtype"), "--dtype");
  let model = new Llama(config, { trainable: false }).initRandom(1);
  // Low precision: the same random weights, converted (the float32 copy is dropped with `model`).
  if (dtype !== "float32") model = new Llama(config, { dtype, tensors: new Map(model.params.map((p) => [p.name, { data: p.data }])) });
  const engine = model.inference();
  const cache = new KVCache(config, B, P + N);
  const prompt = new Int32Array(B * P).map((_, i) => (i * 7919 + 1) % config.vocabSize);
  const next = new Int32Array(B);
  const prefill: number[] = [], decode: number[] = [];
  for (let r = 0; r <= repeats; r++) {  // r = 0 is the warm-up
    cache.reset();
    let t0 = performance.now();
    let logits = engine.forward(cache, prompt, B, P);
    const tPrefill = (performance.now() - t0) / 1000;
    t0 = performance.now();
    for (let s = 0; s < N; s++) {
      for (let b = 0; b < B; b++) next[b] = argmax(logits, b * config.vocabSize, config.vocabSize);
      logits = engine.forward(cache, next, B, 1);
    }
    const tDecode = (performance.now() - t0) / 1000;
    if (r > 0) { prefill.push(tPrefill); decode.push(tDecode); }
  }
  const p = summarize(prefill), d = summarize(decode);
  const result = {
    preset: name, dtype, batch: B, prompt_len: P, new_tokens: N, threads: native.threadCount(), simd: native.simdLevel(),
    prefill_tokens_per_s: (B * P) / p.median, decode_tokens_per_s: (B * N) / d.median, decode_spread: d.spread,
  };
  if (f.bool("json")) console.log(JSON.stringify(result));
  else console.log(`${name} ${dtype} batch ${B}: prefill ${result.prefill_tokens_per_s.toFixed(0)} tokens/s, decode ${result.decode_tokens_per_s.toFixed(0)} tokens/s (median of ${repeats}, spread ${(d.spread * 100).toFixed(0)}%)`);
}

function argmax(x: Float32Array, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (x[offset + i]! > x[offset + best]!) best = i;
  return best;
}
