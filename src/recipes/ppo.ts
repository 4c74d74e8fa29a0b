// PPO with the paper's combined reward (§3.2.3): each iteration samples one answer per prompt with the
// policy, scores it with the RMs (Rc of the safety gate, R̃c = WHITEN(LOGIT(Rc)) over the iteration),
// subtracts the per-token KL penalty β·(log πθ − log π0) along the response, estimates advantages with GAE,
// and takes one clipped-surrogate step (policy) and one clipped value step (critic) per mini-batch, each
// through the shared trainer's optimizerStep (src/train/trainer.ts). Policy and reference log-probabilities
// come from the same training forward (src/rlhf/ppo-forward.ts), so the KL is exactly 0 while they are
// equal. OUT/checkpoint-N (N = iteration) is the shared checkpoint format (src/train/checkpoint.ts): the
// policy as an HF directory at its root with optimizer.safetensors and trainer_state.json (RNG, prompt
// position), the value model and its optimizer in value/ — a stopped run resumes exactly. OUT/final is the policy.
import fs from "node:fs";
import path from "node:path";
import { Llama } from "../model/llama.js";
import { Tokenizer } from "../tokenizer/tokenizer.js";
import { Rng, permutation, streamSeed } from "../model/rng.js";
import { AdamW } from "../train/adamw.js";
import { MetricsLog } from "../train/metrics-log.js";
import { openRunDir } from "../train/run-dir.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { withFsContext } from "../io/fs-errors.js";
import { absolutePaths, configToYaml, type ConfigValues } from "../train/config.js";
import {
  listCheckpoints, loadOptimizerState, readTrainerState, saveCheckpoint, saveFinal, type TrainerState,
} from "../train/checkpoint.js";
import { NonFiniteError, optimizerStep } from "../train/trainer.js";
import { clippedPolicyLoss } from "../train/losses/clipped-policy.js";
import { clippedValueLoss } from "../train/losses/clipped-value.js";
import { readPrompts, promptFields, type PromptRow } from "../rlhf/prompts.js";
import { RewardModels } from "../rlhf/reward-models.js";
import { rollouts } from "../rlhf/rollouts.js";
import { openRolloutBackend, type RolloutBackend } from "../rlhf/rollout-backend.js";
import type { ScoredRollout } from "../rlhf/rollout-job.js";
import { ppoRewards } from "../rlhf/combined-reward.js";
import { gae, tokenRewards } from "../rlhf/gae.js";
import { chunks, forwardAll, forwardChunk, type PpoSample } from "../rlhf/ppo-forward.js";
import { rewardModelFrom } from "./reward.js";
import { PPO_SCHEMA, checkPpoConfig, type PpoConfig } from "./ppo-config.js";
import { TOKENIZER_FILES } from "./sft-train.js";

/** PPO's data position in trainer_state.json's `data`. */
interface PpoData { epoch: number; cursor: number; best_eval: number | null; evals_without_gain: number; value_optimizer_step: number }

/** How runPpo reports and stops. */
export interface PpoOptions {
  /** One line per iteration (and resume notes); default none. */
  log?: (line: string) => void;
  /** The metrics row of each iteration, as written to OUT/metrics.jsonl. */
  onIteration?: (m: Record<string, number>) => void;
  /** Checked between iterations: true stops after a checkpoint (Ctrl-C from the CLI). */
  shouldStop?: () => boolean;
  /**
   * Continue from this checkpoint (e.g. another run directory's checkpoint-N: the run goes on in cfg.out,
   * which gets that run's metrics.jsonl and samples.jsonl up to N). Default: cfg.out's newest checkpoint, if any.
   */
  resumeFrom?: string;
  /** Continue from the newest checkpoint in `out` (`--resume RUN_DIR`). Without this or resumeFrom, an `out` holding another run is refused. */
  resume?: boolean;
  /** Start over in an `out` that holds another run, clearing it first (`--overwrite`). */
  overwrite?: boolean;
  /** Receives notices (directory cleared, stale lock taken over); default: `log`. */
  onNotice?: (message: string) => void;
}

/** The run directory, the last iteration, OUT/final (null when stopped) and whether it stopped early. */
export interface PpoResult { out: string; iteration: number; final: string | null; stopped: boolean }

/** The newest checkpoint-N of a PPO run directory, or null. */
export function latestPpoCheckpoint(out: string): string | null {
  return listCheckpoints(out).at(-1)?.dir ?? null;
}

/** Keeps the JSONL rows of `file` whose `key` is <= n (a resumed run's log matches its state). */
function truncateJsonl(file: string, key: string, n: number): void {
  if (!fs.existsSync(file)) return;
  const kept = fs.readFileSync(file, "utf8").split("\n").filter((l) => {
    try { return l.trim() !== "" && (JSON.parse(l) as Record<string, number>)[key]! <= n; } catch { return false; }
  });
  writeFileAtomic(file, kept.map((l) => l + "\n").join(""));
}

export async function runPpo(cfg: PpoConfig, opts: PpoOptions = {}): Promise<PpoResult> {
  cfg = absolutePaths(PPO_SCHEMA, structuredClone(cfg) as unknown as ConfigValues) as unknown as typeof cfg; // saved configs resolve from anywhere
  checkPpoConfig(cfg, "ppo");
  const resuming = opts.resume === true || opts.resumeFrom !== undefined;
  if (resuming && opts.overwrite) throw new Error("ppo: resume and overwrite exclude each other");
  const log = opts.log ?? (() => {});
  // Own the run directory first (src/train/run-dir.ts): another run's directory, or one in use, stops here.
  const run = openRunDir(path.resolve(cfg.out), { mode: resuming ? "resume" : opts.overwrite ? "overwrite" : "new", command: "llama2 ppo", resumeFrom: opts.resumeFrom });
  try {
    for (const n of run.notices) (opts.onNotice ?? log)(n);
    // Rollouts run here or on llama2 worker processes (cfg.rollout.queue): one seam, the same jobs either way.
    const backend = await openRolloutBackend(cfg.rollout, { scratch: path.join(path.resolve(cfg.out), "rollout"), log: opts.log });
    try {
      return await ppo(cfg, opts, backend, log);
    } finally {
      await backend.close();
    }
  } finally {
    run.release();
  }
}

async function ppo(cfg: PpoConfig, opts: PpoOptions, backend: RolloutBackend, log: (line: string) => void): Promise<PpoResult> {
  const out = path.resolve(cfg.out);
  if (cfg.threads !== null) (await import("../native/addon.js")).native.setThreadCount(cfg.threads);
  const resumeFrom = opts.resumeFrom ? path.resolve(opts.resumeFrom) : latestPpoCheckpoint(out);
  const saved = resumeFrom ? readTrainerState(resumeFrom) : null;
  if (resumeFrom && saved && path.dirname(resumeFrom) !== out) // resumed into another directory: the log so far comes along
    for (const f of ["metrics.jsonl", "samples.jsonl"]) {
      const src = path.join(path.dirname(resumeFrom), f);
      if (fs.existsSync(src) && !fs.existsSync(path.join(out, f))) fs.copyFileSync(src, path.join(out, f));
    }

  const policy = await Llama.load(resumeFrom ?? cfg.policy);
  if (policy.head !== "lm") throw new Error(`${cfg.policy}: PPO needs a causal LM policy`);
  const tokDir = resumeFrom ?? cfg.policy;
  const tok = await Tokenizer.load(tokDir);
  const tokenizerFiles = TOKENIZER_FILES.map((f) => path.join(tokDir, f)).filter((f) => fs.existsSync(f));
  const reference = await Llama.load(cfg.reference ?? cfg.policy, { trainable: false });
  const value = resumeFrom ? await Llama.load(path.join(resumeFrom, "value"))
    : cfg.value ? await Llama.load(cfg.value) : rewardModelFrom((cfg.reward_helpful ?? cfg.reward_safety)!, cfg.seed, 0.02);
  if (value.head !== "score") throw new Error(`${cfg.value}: the value model must be a LlamaForSequenceClassification`);
  const rms = await RewardModels.load(cfg.reward_helpful, cfg.reward_safety);
  // After the models load: a run that fails during setup leaves OUT as it found it (none, if it made it).
  writeFileAtomic(path.join(out, "config.yaml"), configToYaml(cfg as unknown as ConfigValues));
  const adamw = { beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weight_decay };
  const popt = new AdamW(policy.params.filter((p) => p.trainable), adamw);
  const vopt = new AdamW(value.params.filter((p) => p.trainable), adamw);
  const rng = new Rng(cfg.seed);
  const data: PpoData = { epoch: 0, cursor: 0, best_eval: null, evals_without_gain: 0, value_optimizer_step: 0 };
  let iteration = 0, tokens = 0;
  if (resumeFrom && saved) {
    Object.assign(data, saved.data as PpoData);
    loadOptimizerState(resumeFrom, popt, saved.optimizer_step);
    loadOptimizerState(path.join(resumeFrom, "value"), vopt, data.value_optimizer_step);
    rng.setState(saved.rng);
    iteration = saved.step;
    tokens = saved.tokens;
  }
  const prompts: PromptRow[] = await readPrompts(cfg.prompts);
  const evalPrompts = cfg.eval_prompts ? (await readPrompts(cfg.eval_prompts)).slice(0, cfg.eval_max_prompts) : null;
  let order = permutation(prompts.length, new Rng(cfg.seed + 7919 * (data.epoch + 1)));
  const metrics = new MetricsLog(out);
  metrics.truncateAfter(iteration);
  truncateJsonl(path.join(out, "samples.jsonl"), "iteration", iteration);
  if (resumeFrom) log(`resuming from ${resumeFrom} (iteration ${iteration})`);
  let lastRow: Record<string, number> = saved?.metrics ?? {};
  const save = async (): Promise<string> => {
    data.value_optimizer_step = vopt.step;
    const state: TrainerState = {
      format: "llama2-ts-trainer-state", version: 1, step: iteration, optimizer_step: popt.step, tokens, rng: rng.state(),
      data, config: cfg as unknown as Record<string, unknown>, metrics: lastRow, saved_at: new Date().toISOString(),
    };
    return saveCheckpoint(out, policy, popt, state, { extraFiles: tokenizerFiles, parts: [{ dir: "value", model: value, optimizer: vopt }] });
  };

  const nextPrompts = (n: number): PromptRow[] => {
    const batch: PromptRow[] = [];
    while (batch.length < n) {
      if (data.cursor >= order.length) { data.epoch++; data.cursor = 0; order = permutation(prompts.length, new Rng(cfg.seed + 7919 * (data.epoch + 1))); }
      batch.push(prompts[order[data.cursor++]!]!);
    }
    return batch;
  };

  let stopped = false;
  while (iteration < cfg.iterations) {
    if (opts.shouldStop?.()) { stopped = true; break; }
    const it = iteration + 1;
    const t0 = performance.now();
    const batch = nextPrompts(cfg.batch_size);
    // Sampled and scored together (a rollout job); row i samples from streamSeed(iteration stream, i).
    const stream = streamSeed(cfg.seed, it);
    const [rolls] = (await backend.run({ policy: { model: policy, tokenizer: tok, dir: null, tokenizerDir: tokDir }, rms }, [{
      rows: batch.map((p, i) => ({ messages: p.messages, isSafety: p.isSafety, seed: streamSeed(stream, i) })),
      sampling: { maxNewTokens: cfg.max_new_tokens, temperature: cfg.temperature, topP: 1, topK: 0, batchSize: cfg.gen_batch_size },
      rowsPerJob: cfg.rollout.job_prompts,
    }])) as [ScoredRollout[]];
    const scored = rolls;
    const t1 = performance.now();
    const rTilde = ppoRewards(scored.map((s) => s.reward));
    const t2 = performance.now();
    const samples: PpoSample[] = rolls.map((r) => {
      const resp = r.ids.length > 0 ? r.ids : [tok.eosId];
      const seq = Int32Array.from([...r.promptIds, ...resp]);
      const n = resp.length;
      return { seq, p: r.promptIds.length, r: n, oldLogp: new Float32Array(n), refLogp: new Float32Array(n), oldValues: new Float32Array(n), advantages: new Float32Array(n), returns: new Float32Array(n) };
    });
    // Old policy, reference and values from the same training forward path.
    forwardAll(policy, samples, "logp", cfg.temperature, (s, lp) => s.oldLogp.set(lp));
    forwardAll(reference, samples, "logp", cfg.temperature, (s, lp) => s.refLogp.set(lp));
    forwardAll(value, samples, "value", 1, (s, v) => s.oldValues.set(v));
    const t3 = performance.now();
    let klSum = 0, entropyProxy = 0, lenSum = 0;
    samples.forEach((s, i) => {
      const rewards = tokenRewards(s.oldLogp, s.refLogp, rTilde[i]!, cfg.kl_coef);
      const g = gae(rewards, s.oldValues, cfg.gamma, cfg.lam);
      s.advantages.set(g.advantages);
      s.returns.set(g.returns);
      for (let t = 0; t < s.r; t++) { klSum += s.oldLogp[t]! - s.refLogp[t]!; entropyProxy -= s.oldLogp[t]!; }
      lenSum += s.r;
    });
    if (cfg.whiten_advantages) {
      const all = samples.flatMap((s) => Array.from(s.advantages));
      const mean = all.reduce((a, b) => a + b, 0) / all.length;
      const sd = Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length + 1e-8);
      for (const s of samples) for (let t = 0; t < s.r; t++) s.advantages[t] = (s.advantages[t]! - mean) / sd;
    }
    // Updates: one step per mini-batch, per epoch, in an order drawn from the saved RNG.
    let pLoss = 0, vLoss = 0, clipped = 0, weight = 0, steps = 0;
    for (let e = 0; e < cfg.ppo_epochs; e++) {
      const perm = permutation(samples.length, rng);
      for (let m = 0; m < samples.length; m += cfg.mini_batch_size) {
        const mb = Array.from(perm.subarray(m, m + cfg.mini_batch_size), (k) => samples[k]!);
        const mbTokens = mb.reduce((a, s) => a + s.r, 0), parts = chunks(mb);
        const where = `iteration ${it}, epoch ${e + 1}, mini-batch ${m / cfg.mini_batch_size + 1}`;
        const pr = optimizerStep(policy.params, popt, cfg.lr, cfg.grad_clip, parts.length, (c) =>
          forwardChunk(policy, parts[c]!, "logp", cfg.temperature, () => {}, (s, lp, d) => {
            const res = clippedPolicyLoss(lp, s.oldLogp, s.advantages, new Float32Array(s.r).fill(1), s.r, 1 / mbTokens, d, { clip: cfg.clip });
            clipped += res.clippedSum; weight += res.weightSum;
            return { lossSum: res.lossSum, count: res.weightSum };
          }));
        if (!pr.ok) throw new NonFiniteError(`${where}: non-finite policy ${pr.what}; last good checkpoint: ${latestPpoCheckpoint(out) ?? "none"}`);
        pLoss += pr.lossSum;
        const vr = optimizerStep(value.params, vopt, cfg.lr, cfg.grad_clip, parts.length, (c) =>
          forwardChunk(value, parts[c]!, "value", 1, () => {}, (s, v, d) => {
            const res = clippedValueLoss(v, s.oldValues, s.returns, new Float32Array(s.r).fill(1), s.r, cfg.vf_coef / mbTokens, d, cfg.value_clip);
            return { lossSum: res.lossSum, count: s.r };
          }));
        if (!vr.ok) throw new NonFiniteError(`${where}: non-finite value ${vr.what}; last good checkpoint: ${latestPpoCheckpoint(out) ?? "none"}`);
        vLoss += vr.lossSum / mbTokens;
        steps++;
      }
    }
    const t4 = performance.now();
    iteration = it;
    tokens += lenSum;
    const mean = (xs: (number | null)[]): number => { const v = xs.filter((x): x is number => x !== null); return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN; };
    const row: Record<string, number> = {
      iteration: it, step: it,
      reward_combined: mean(scored.map((s) => s.reward)), reward_helpful: mean(scored.map((s) => s.rewardHelpful)), reward_safety: mean(scored.map((s) => s.rewardSafety)),
      kl: klSum / samples.length, entropy: entropyProxy / lenSum, clipfrac: weight ? clipped / weight : 0,
      policy_loss: weight ? pLoss / (weight / cfg.ppo_epochs) / cfg.ppo_epochs : 0, value_loss: vLoss / Math.max(1, steps),
      response_length: lenSum / samples.length,
      // generation_s: the rollout jobs, sampling and RM scoring together (here or on workers); scoring_s: R̃c over the batch
      generation_s: (t1 - t0) / 1000, scoring_s: (t2 - t1) / 1000, reference_s: (t3 - t2) / 1000, training_s: (t4 - t3) / 1000,
    };
    if (evalPrompts && cfg.eval_every > 0 && it % cfg.eval_every === 0) {
      const er = rollouts(policy, tok, evalPrompts.map((p) => p.messages), { maxNewTokens: cfg.max_new_tokens, temperature: 0, seed: 0, batchSize: cfg.gen_batch_size });
      const es = mean(rms.score(er.map((r, i) => ({ messages: evalPrompts[i]!.messages, response: r.text, isSafety: evalPrompts[i]!.isSafety }))).map((s) => s.reward));
      row.eval_reward_combined = es;
      if (data.best_eval === null || es > data.best_eval) { data.best_eval = es; data.evals_without_gain = 0; }
      else data.evals_without_gain++;
    }
    metrics.append(row);
    opts.onIteration?.(row);
    const samplesFile = path.join(out, "samples.jsonl");
    if (cfg.samples_to_log > 0) withFsContext("append to", samplesFile, () => fs.appendFileSync(samplesFile, rolls.slice(0, cfg.samples_to_log).map((r, i) =>
      JSON.stringify({ iteration: it, ...promptFields(batch[i]!), response: r.text, reward: scored[i]!.reward })).join("\n") + "\n"));
    log(`iteration ${it}/${cfg.iterations}: reward ${row.reward_combined!.toFixed(4)} kl ${row.kl!.toFixed(4)} clipfrac ${row.clipfrac!.toFixed(3)} (gen ${row.generation_s!.toFixed(1)}s, train ${row.training_s!.toFixed(1)}s)`);
    lastRow = row;
    const early = cfg.early_stop_patience > 0 && data.evals_without_gain >= cfg.early_stop_patience;
    if (it % cfg.save_every === 0 || it === cfg.iterations || early || opts.shouldStop?.()) await save();
    if (early) { log(`early stop: no better held-out reward in ${cfg.early_stop_patience} evals`); break; }
  }
  if (stopped) {
    if (iteration > 0 && latestPpoCheckpoint(out) !== path.join(out, `checkpoint-${iteration}`)) await save();
    return { out, iteration, final: null, stopped: true };
  }
  const final = await saveFinal(out, policy, { extraFiles: tokenizerFiles });
  return { out, iteration, final, stopped: false };
}
