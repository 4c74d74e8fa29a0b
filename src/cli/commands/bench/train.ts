// `llama2 bench train [--preset stories15M] [--batch 8] [--seq 256] [--steps N] [--warmup W] [--lora-rank R] [--simd L] [--json]`:
// tokens/s, achieved GFLOP/s and peak RSS of full training steps (forward, backward, AdamW) on random
// tokens at a preset's shape. Compare with PyTorch: bench/train-vs-pytorch.sh.
import { defineCommand, parseFlags } from "../../args.js";
import { Llama } from "../../../model/llama.js";
import { preset } from "../../../model/presets.js";
import { Rng } from "../../../model/rng.js";
import { AdamW, LLAMA2_ADAMW } from "../../../train/adamw.js";
import { trainStepFlops } from "../../../bench/train-step.js";
import { native } from "../../../native/addon.js";
import { summarize } from "../../../bench/timing.js";

export const command = defineCommand({
  name: "bench train",
  summary: "tokens/s, GFLOP/s and peak memory of full training steps (forward, backward, AdamW) at a preset's shape",
  options: {
    preset: { type: "string", value: "NAME", default: "stories15M", description: "model shape (src/model/presets.ts)" },
    batch: { type: "string", value: "B", default: 8, description: "sequences per step" },
    seq: { type: "string", value: "T", default: 256, description: "tokens per sequence" },
    steps: { type: "string", value: "N", default: 5, description: "timed steps" },
    warmup: { type: "string", value: "W", default: 1, description: "untimed steps first" },
    "lora-rank": { type: "string", value: "R", default: 0, description: "LoRA rank: train adapters only (on --lora-targets; 0 = full training)" },
    "lora-targets": { type: "string", value: "LIST", default: "q_proj,v_proj", description: "modules that get adapters with --lora-rank" },
    simd: { type: "string", value: "LEVEL", choices: ["portable", "avx2", "avx512"], defaultText: "the best the CPU supports", description: "force a SIMD code path" },
    json: { type: "boolean", description: "print the result as JSON on stdout" },
  },
  examples: ["llama2 bench train --preset stories15M --batch 8 --seq 256 --json"],
});

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(command, argv);
  const config = preset(f.str("preset"));
  const B = f.int("batch"), T = f.int("seq"), steps = f.int("steps"), warmup = f.int("warmup");
  const simd = f.strOpt("simd");
  if (simd !== undefined) native.setSimdLevel(simd as "portable" | "avx2" | "avx512");
  const model = new Llama(config).initRandom(1);
  const r = f.int("lora-rank");
  if (r > 0) model.addLora({ r, alpha: 2 * r, dropout: 0, targets: f.str("lora-targets").split(",") }, { seed: 3 });
  const opt = new AdamW(model.params, LLAMA2_ADAMW);
  const rng = new Rng(2);
  const ids = new Int32Array(B * T), targets = new Int32Array(B * T);
  const step = (): number => {
    for (let i = 0; i < ids.length; i++) { ids[i] = rng.int(config.vocabSize); targets[i] = rng.int(config.vocabSize); }
    model.zeroGrads();
    const { lossSum, count } = model.lmForwardBackward(ids, targets, B, T, 1 / (B * T));
    opt.update(3e-4);
    return lossSum / count;
  };
  for (let i = 0; i < warmup; i++) step();
  const times: number[] = [], cpu: number[] = [];
  let loss = 0;
  for (let i = 0; i < steps; i++) {
    const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
    loss = step();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
    if (!f.bool("json")) process.stderr.write(`step ${i + 1}/${steps}: ${times[i]!.toFixed(3)} s, loss ${loss.toFixed(4)}\n`);
  }
  const t = summarize(times), median = t.median;
  const result = {
    tokens_per_s: (B * T) / median,
    gflops: trainStepFlops(config, B, T) / median / 1e9,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    step_s_median: median, step_s_min: t.min, step_s_max: t.max,
    cpu_s_median: summarize(cpu).median,  // process CPU seconds per step (all threads): steadier than wall time on a shared machine
    steps, batch: B, seq: T, preset: f.str("preset"), lora_r: r, threads: native.threadCount(), simd: native.simdLevel(),
    loss,
  };
  if (f.bool("json")) console.log(JSON.stringify(result));
  else console.log(`${result.preset} B=${B} T=${T}: ${result.tokens_per_s.toFixed(0)} tokens/s, ${result.gflops.toFixed(1)} GFLOP/s, peak RSS ${result.peak_rss_mb.toFixed(0)} MB (median of ${steps} steps, ${result.threads} threads, ${result.simd})`);
}
