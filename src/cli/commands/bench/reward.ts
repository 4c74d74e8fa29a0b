// `llama2 bench reward [--preset stories15M] [--pairs 4] [--seq 256] [--steps N] [--json]`: the reward-model
// training step (2P sequences of T tokens in one forward through the scalar head, the pairwise margin
// loss, backward, AdamW — RewardTask's path) beside the causal-LM step on the same 2P×T tokens at the
// same shape, alternated in one run. Reports pairs/s, tokens/s of both and the RM's cost per token
// relative to the LM step (issue 12: at most 1.10).
import { defineCommand, parseFlags } from "../../args.js";
import { Llama } from "../../../model/llama.js";
import { preset } from "../../../model/presets.js";
import { Rng } from "../../../model/rng.js";
import { AdamW, LLAMA2_ADAMW } from "../../../train/adamw.js";
import { native } from "../../../native/addon.js";
import { summarize } from "../../../bench/timing.js";
import { RewardTask } from "../../../recipes/reward-task.js";
import { MixtureSampler } from "../../../data/preference-mixture.js";
import type { PairTokens } from "../../../data/preferences.js";

export const command = defineCommand({
  name: "bench reward",
  summary: "reward-model training step (pairs/s) beside the causal-LM step on the same tokens and shape",
  options: {
    preset: { type: "string", value: "NAME", default: "stories15M", description: "model shape (src/model/presets.ts)" },
    pairs: { type: "string", value: "P", default: 4, description: "pairs per step (2P sequences in one forward)" },
    seq: { type: "string", value: "T", default: 256, description: "tokens per sequence" },
    steps: { type: "string", value: "N", default: 5, description: "timed steps of each kind (alternated)" },
    warmup: { type: "string", value: "W", default: 1, description: "untimed steps of each kind first" },
    json: { type: "boolean", description: "print the result as JSON on stdout" },
  },
  examples: ["llama2 bench reward --preset stories15M --pairs 4 --seq 256 --json"],
});

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(command, argv);
  const config = preset(f.str("preset"));
  const P = f.int("pairs"), T = f.int("seq"), B = 2 * P, steps = f.int("steps"), warmup = f.int("warmup");
  const rng = new Rng(2);
  const randomIds = (n: number): Int32Array => Int32Array.from({ length: n }, () => 3 + rng.int(config.vocabSize - 3));
  // Both models share the decoder's shape; only the head differs (V-wide LM head vs a 1-wide score head).
  const lm = new Llama(config).initRandom(1);
  const rm = new Llama(config, { head: "score", numLabels: 1 }).initRandom(1);
  const lmOpt = new AdamW(lm.params, LLAMA2_ADAMW), rmOpt = new AdamW(rm.params, LLAMA2_ADAMW);
  const pairs: PairTokens[] = Array.from({ length: P }, () => ({
    chosen: randomIds(T), rejected: randomIds(T), margin: 1 / 3, rating: "slightly_better", safety: null, where: "bench",
  }));
  const task = new RewardTask(rm, [pairs], new MixtureSampler([P], [1], 1), P, 0, null);
  const ids = new Int32Array(B * T), targets = new Int32Array(B * T);
  const lmStep = (): void => {
    ids.set(randomIds(B * T)); targets.set(randomIds(B * T));
    lm.zeroGrads();
    lm.lmForwardBackward(ids, targets, B, T, 1 / (B * T));
    lmOpt.update(3e-4);
  };
  const rmStep = (): void => {
    rm.zeroGrads();
    task.forwardBackward(task.nextBatch(), 1 / P);
    rmOpt.update(1e-5);
  };
  for (let i = 0; i < warmup; i++) { lmStep(); rmStep(); }
  const tl: number[] = [], tr: number[] = [];
  const time = (fn: () => void): number => { const t0 = process.hrtime.bigint(); fn(); return Number(process.hrtime.bigint() - t0) / 1e9; };
  for (let i = 0; i < steps; i++) {
    tl.push(time(lmStep));
    tr.push(time(rmStep));
    if (!f.bool("json")) process.stderr.write(`round ${i + 1}/${steps}: LM ${tl[i]!.toFixed(3)} s, RM ${tr[i]!.toFixed(3)} s\n`);
  }
  const l = summarize(tl), r = summarize(tr);
  const result = {
    rm_pairs_per_s: P / r.median,
    rm_tokens_per_s: (B * T) / r.median,
    lm_tokens_per_s: (B * T) / l.median,
    rm_cost_per_token_vs_lm: r.median / l.median,
    rm_step_s: { median: r.median, min: r.min, max: r.max },
    lm_step_s: { median: l.median, min: l.min, max: l.max },
    pairs: P, seq: T, preset: f.str("preset"), steps, threads: native.threadCount(), simd: native.simdLevel(),
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  };
  if (f.bool("json")) console.log(JSON.stringify(result));
  else console.log(`${result.preset} ${P} pairs × T ${T}: RM ${result.rm_pairs_per_s.toFixed(2)} pairs/s (${result.rm_tokens_per_s.toFixed(0)} tokens/s), ` +
    `LM ${result.lm_tokens_per_s.toFixed(0)} tokens/s on the same ${B}×${T} tokens; RM cost per token ${result.rm_cost_per_token_vs_lm.toFixed(3)}× the LM step ` +
    `(medians of ${steps}, ${result.threads} threads, ${result.simd})`);
}
