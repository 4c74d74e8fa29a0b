// Rejection-sampling fine-tuning (paper §3.2.3): each iteration N samples K answers per prompt with
// iteration N−1's model (the policy for N = 1, or `sample_from`), ranks them by the reward, pools the best
// answer per prompt over ALL iterations so far (the paper's fix for RLHF-V3's regression), and fine-tunes
// the policy on the pool with the SFT recipe (the shared trainer). Layout:
//   OUT/iteration-N/{samples.jsonl, best.jsonl, curve.json, sft/ (the SFT run), model/}, OUT/final.
// Every step's output is written atomically, so a stopped run resumes at the first missing one; the
// sampling seeds depend only on (seed, iteration, temperature index, prompt, sample), so it resumes exactly.
import fs from "node:fs";
import path from "node:path";
import { Llama } from "../model/llama.js";
import { Tokenizer } from "../tokenizer/tokenizer.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { writeDirAtomic } from "../io/atomic-dir.js";
import { streamSeed } from "../model/rng.js";
import { absolutePaths, configToYaml, defaults, mergeObject, type ConfigValues } from "../train/config.js";
import { listCheckpoints } from "../train/checkpoint.js";
import { openRunDir } from "../train/run-dir.js";
import { readPrompts, promptFields, type PromptRow } from "../rlhf/prompts.js";
import { RewardModels } from "../rlhf/reward-models.js";
import { openRolloutBackend, type RolloutBackend } from "../rlhf/rollout-backend.js";
import type { RolloutBatch } from "../rlhf/rollout-job.js";
import { SFT_SCHEMA, type SftConfig } from "./sft-config.js";
import { loadSftResumeConfig, runSft } from "./sft.js";
import { RS_SCHEMA, checkRsConfig, temperaturesOf, type RsConfig } from "./rejection-sampling-config.js";
import type { TrainProgress } from "../train/trainer.js";

/** One row of samples.jsonl / best.jsonl. */
export interface SampleRow {
  prompt?: string;
  messages?: unknown;
  prompt_index: number;
  sample: number;
  temperature: number;
  response: string;
  reward: number;
  reward_helpful: number | null;
  reward_safety: number | null;
  iteration?: number;
}

/** How runRejectionSampling reports and stops. */
export interface RsOptions {
  /** Progress notes (sampling, scoring, fine-tuning); default none. */
  log?: (line: string) => void;
  /** Passed to each iteration's SFT run. */
  progress?: TrainProgress | false;
  handleSignals?: boolean;
  /** Stops after this many steps of work (tests: a deterministic interruption point). */
  stopAfter?: "samples" | "sft";
  /** Continue the run in `out` at its first missing output (`--resume`); default: an `out` holding another run is refused. */
  resume?: boolean;
  /** Start over in an `out` that holds another run, clearing it first (`--overwrite`). */
  overwrite?: boolean;
}

/** Where the run is, its final model (empty when stopped early) and each iteration's mean and pooled rewards. */
export interface RsResult { out: string; final: string; iterations: Array<{ iteration: number; meanReward: number; bestMeanReward: number }> }

const iterDir = (out: string, n: number): string => path.join(out, `iteration-${n}`);

function writeJsonl(file: string, rows: readonly object[]): void {
  writeFileAtomic(file, rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : ""));
}

function readJsonlRows<T>(file: string): T[] {
  return fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as T);
}

/** Mean over prompts of the max and the median reward among the first K samples (paper Fig. 7, 8). */
export function rewardCurve(rewards: number[][], k: number): { max: number[]; median: number[] } {
  const max: number[] = [], median: number[] = [];
  for (let K = 1; K <= k; K++) {
    let sMax = 0, sMed = 0;
    for (const r of rewards) {
      const first = r.slice(0, K).sort((a, b) => a - b);
      sMax += first[K - 1]!;
      sMed += K % 2 ? first[(K - 1) / 2]! : (first[K / 2 - 1]! + first[K / 2]!) / 2;
    }
    max.push(sMax / rewards.length);
    median.push(sMed / rewards.length);
  }
  return { max, median };
}

/** The pool: for each prompt, the highest-reward row of `previous` and `current` (earlier rows win ties). */
export function poolBest(previous: readonly SampleRow[] | null, current: readonly SampleRow[], prompts: number): SampleRow[] {
  const best: (SampleRow | undefined)[] = new Array(prompts);
  for (const r of [...(previous ?? []), ...current]) {
    const b = best[r.prompt_index];
    if (!b || r.reward > b.reward) best[r.prompt_index] = r;
  }
  return best.filter((r): r is SampleRow => r !== undefined);
}

/** A model directory copied whole or not at all (src/io/atomic-dir.ts): OUT/iteration-N/model, OUT/final. */
async function copyModelDir(src: string, dst: string): Promise<void> {
  await writeDirAtomic(dst, "a model directory", (entries) => entries.includes("config.json"), (tmp) => fs.cpSync(src, tmp, { recursive: true }));
}

export async function runRejectionSampling(cfg: RsConfig, opts: RsOptions = {}): Promise<RsResult> {
  cfg = absolutePaths(RS_SCHEMA, structuredClone(cfg) as unknown as ConfigValues) as unknown as typeof cfg; // saved configs resolve from anywhere
  checkRsConfig(cfg, "rejection-sample");
  if (opts.resume && opts.overwrite) throw new Error("rejection-sample: resume and overwrite exclude each other");
  const log = opts.log ?? (() => {});
  // Own the run directory first (src/train/run-dir.ts): another run's directory, or one in use, stops here.
  const run = openRunDir(path.resolve(cfg.out), { mode: opts.resume ? "resume" : opts.overwrite ? "overwrite" : "new", command: "llama2 rejection-sample" });
  try {
    for (const n of run.notices) log(n);
    // Sampling runs here or on llama2 worker processes (cfg.rollout.queue): one seam, the same jobs either way.
    const backend = await openRolloutBackend(cfg.rollout, { scratch: path.join(path.resolve(cfg.out), "rollout"), log: opts.log });
    try {
      return await rejectionSampling(cfg, opts, backend, log);
    } finally {
      await backend.close();
    }
  } finally {
    run.release();
  }
}

async function rejectionSampling(cfg: RsConfig, opts: RsOptions, backend: RolloutBackend, log: (line: string) => void): Promise<RsResult> {
  const out = path.resolve(cfg.out);
  if (cfg.threads !== null) (await import("../native/addon.js")).native.setThreadCount(cfg.threads);
  let prompts: PromptRow[] = await readPrompts(cfg.prompts);
  if (cfg.max_prompts !== null) prompts = prompts.slice(0, cfg.max_prompts);
  const rms = await RewardModels.load(cfg.reward_helpful, cfg.reward_safety);
  // After the inputs load: a run that fails during setup leaves OUT as it found it (none, if it made it).
  writeFileAtomic(path.join(out, "config.yaml"), configToYaml(cfg as unknown as ConfigValues));
  const temps = temperaturesOf(cfg);
  const summary: RsResult["iterations"] = [];
  let previousBest: SampleRow[] | null = null;

  for (let n = 1; n <= cfg.iterations; n++) {
    const dir = iterDir(out, n);
    fs.mkdirSync(dir, { recursive: true });
    const samplesFile = path.join(dir, "samples.jsonl"), bestFile = path.join(dir, "best.jsonl"), modelDir = path.join(dir, "model");
    // 1. sample K answers per prompt (and temperature) with iteration N−1's model, rank them
    let samples: SampleRow[];
    if (fs.existsSync(samplesFile)) samples = readJsonlRows<SampleRow>(samplesFile);
    else {
      const samplerDir = cfg.sample_from ?? (n === 1 ? cfg.policy : path.join(iterDir(out, n - 1), "model"));
      const sampler = await Llama.load(samplerDir, { trainable: false });
      const tok = await Tokenizer.load(samplerDir);
      const rowsByPrompt: SampleRow[][] = prompts.map(() => []);
      // One batch per temperature: row pi*k + j is sample j of prompt pi, on its own seed; jobs of job_prompts prompts.
      const batches: RolloutBatch[] = temps.map((T, t) => {
        const stream = streamSeed(cfg.seed, n, t);
        return {
          rows: prompts.flatMap((p, pi) => Array.from({ length: cfg.k }, (_, j) => ({ messages: p.messages, isSafety: p.isSafety, seed: streamSeed(stream, pi * cfg.k + j) }))),
          sampling: { maxNewTokens: cfg.max_new_tokens, temperature: T, topP: cfg.top_p, topK: 0, batchSize: cfg.batch_size },
          rowsPerJob: cfg.rollout.job_prompts * cfg.k,
        };
      });
      log(`iteration ${n}: sampling ${cfg.k} x ${prompts.length} answers at temperature ${temps.join(", ")} with ${samplerDir}`);
      const results = await backend.run({ policy: { model: sampler, tokenizer: tok, dir: samplerDir, tokenizerDir: samplerDir }, rms }, batches);
      results.forEach((r, t) => r.forEach((x, i) => {
        const pi = Math.floor(i / cfg.k), p = prompts[pi]!;
        rowsByPrompt[pi]!.push({
          ...promptFields(p), prompt_index: pi, sample: t * cfg.k + (i % cfg.k), temperature: temps[t]!, response: x.text,
          reward: x.reward, reward_helpful: x.rewardHelpful, reward_safety: x.rewardSafety,
        });
      }));
      samples = rowsByPrompt.flat();
      writeFileAtomic(path.join(dir, "curve.json"), JSON.stringify({
        k: Array.from({ length: cfg.k }, (_, i) => i + 1),
        by_temperature: Object.fromEntries(temps.map((T, t) => [String(T), rewardCurve(rowsByPrompt.map((rows) => rows.slice(t * cfg.k, (t + 1) * cfg.k).map((r) => r.reward)), cfg.k)])),
      }, null, 2) + "\n");
      writeJsonl(samplesFile, samples);
      if (opts.stopAfter === "samples") return { out, final: "", iterations: summary };
    }
    // 2. the pool: best answer per prompt over all iterations so far
    const best = poolBest(previousBest, samples.map((s) => ({ ...s, iteration: n })), prompts.length);
    if (!fs.existsSync(bestFile)) writeJsonl(bestFile, best);
    previousBest = readJsonlRows<SampleRow>(bestFile);
    summary.push({
      iteration: n, meanReward: samples.reduce((a, s) => a + s.reward, 0) / samples.length,
      bestMeanReward: previousBest.reduce((a, s) => a + s.reward, 0) / previousBest.length,
    });
    // 3. fine-tune the policy (or the previous iteration's model) on the pool
    if (!fs.existsSync(path.join(modelDir, "config.json"))) {
      const dataFile = path.join(dir, "sft_data.jsonl");
      writeJsonl(dataFile, previousBest.map((b) => ({ messages: [...prompts[b.prompt_index]!.messages, { role: "assistant", content: b.response }] })));
      const sftOut = path.join(dir, "sft");
      const from = cfg.sft_from === "previous" && n > 1 ? path.join(iterDir(out, n - 1), "model") : cfg.policy;
      const ckpts = fs.existsSync(sftOut) ? listCheckpoints(sftOut) : [];
      const sets = { ...cfg.sft, model: from, data: [dataFile], out: sftOut, eval_world: false, seed: cfg.seed + n };
      let result;
      if (ckpts.length > 0 && !fs.existsSync(path.join(sftOut, "final", "config.json"))) {
        const ck = ckpts[ckpts.length - 1]!.dir;
        log(`iteration ${n}: resuming the fine-tune from ${ck}`);
        result = await runSft(loadSftResumeConfig(ck, []), ck, { progress: opts.progress, handleSignals: opts.handleSignals, log });
      } else if (!fs.existsSync(path.join(sftOut, "final", "config.json"))) {
        log(`iteration ${n}: fine-tuning ${from} on ${previousBest.length} pooled answers`);
        const sftCfg = defaults(SFT_SCHEMA);
        mergeObject(SFT_SCHEMA, sftCfg, sets, "rejection-sample sft");
        // overwrite: this directory is the RS run's own; a fine-tune killed before its first checkpoint starts over
        result = await runSft(sftCfg as unknown as SftConfig, null, { progress: opts.progress, handleSignals: opts.handleSignals, log, overwrite: true });
      }
      if (result && result.stopped !== "done") return { out, final: "", iterations: summary }; // interrupted: resume later
      await copyModelDir(path.join(sftOut, "final"), modelDir);
      if (opts.stopAfter === "sft") return { out, final: "", iterations: summary };
    }
    log(`iteration ${n}: mean reward ${summary.at(-1)!.meanReward.toFixed(4)}, pooled best ${summary.at(-1)!.bestMeanReward.toFixed(4)}`);
  }
  const final = path.join(out, "final");
  await copyModelDir(path.join(iterDir(out, cfg.iterations), "model"), final);
  return { out, final, iterations: summary };
}
