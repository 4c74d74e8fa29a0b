// PPO with the paper's combined reward (§3.2.3): each iteration samples one answer per prompt with the
// policy, scores it with the RMs (Rc of the safety gate, R̃c = WHITEN(LOGIT(Rc)) over the iteration),
// subtracts the per-token KL penalty β·(log πθ − log π0) along the response, estimates advantages with GAE,
// and takes one clipped-surrogate step (policy) and one clipped value step (critic) per mini-batch.
// Policy and reference log-probabilities come from the same training forward, so the KL is exactly 0 while
// they are equal. OUT/checkpoint-N (N = iteration): the policy as an HF directory at its root, value/, both
// optimizers, the RNG and the prompt position — a stopped run resumes exactly. OUT/final is the policy.
import fs from "node:fs";
import path from "node:path";
import { Llama } from "../model/llama.js";
import { Tokenizer } from "../tokenizer/tokenizer.js";
import { Rng, permutation } from "../model/rng.js";
import { AdamW } from "../train/adamw.js";
import { clipGradNorm } from "../train/grad-norm.js";
import { zeroGrads } from "../model/params.js";
import { MetricsLog } from "../train/metrics-log.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { readSafetensors, writeSafetensors } from "../io/safetensors.js";
import { configToYaml, type ConfigValues } from "../train/config.js";
import { tokenLogprobs, tokenLogprobsBackward } from "../train/losses/token-logprobs.js";
import { tokenValues, tokenValuesBackward } from "../train/losses/value-head.js";
import { clippedPolicyLoss } from "../train/losses/clipped-policy.js";
import { clippedValueLoss } from "../train/losses/clipped-value.js";
import { readPrompts, promptFields, type PromptRow } from "../rlhf/prompts.js";
import { RewardModels } from "../rlhf/reward-models.js";
import { rollouts, type Rollout } from "../rlhf/rollouts.js";
import { ppoRewards } from "../rlhf/combined-reward.js";
import { gae, tokenRewards } from "../rlhf/gae.js";
import { rewardModelFrom } from "./reward.js";
import { checkPpoConfig, type PpoConfig } from "./ppo-config.js";

import { TOKENIZER_FILES } from "./sft-train.js";
const STATE = "ppo_state.json";
const ROWS_PER_FORWARD = 8;

interface PpoState { iteration: number; rng: number[]; epoch: number; cursor: number; best_eval: number | null; evals_without_gain: number }

/** How runPpo reports and stops. */
export interface PpoOptions {
  /** One line per iteration (and resume notes); default none. */
  log?: (line: string) => void;
  /** The metrics row of each iteration, as written to OUT/metrics.jsonl. */
  onIteration?: (m: Record<string, number>) => void;
  /** Checked between iterations: true stops after a checkpoint (Ctrl-C from the CLI). */
  shouldStop?: () => boolean;
}

/** The run directory, the last iteration, OUT/final (null when stopped) and whether it stopped early. */
export interface PpoResult { out: string; iteration: number; final: string | null; stopped: boolean }

/** One rollout with everything the update needs, response-aligned ([r] arrays). */
interface Sample {
  seq: Int32Array;   // prompt + response
  p: number;         // prompt length
  r: number;         // response length
  oldLogp: Float32Array; refLogp: Float32Array; oldValues: Float32Array;
  advantages: Float32Array; returns: Float32Array;
}

function streamSeed(seed: number, iteration: number): number {
  let h = (seed >>> 0) ^ Math.imul(iteration + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return (h ^ (h >>> 12)) >>> 0;
}

/**
 * Log-probs of the response tokens and values of their states for samples, through the training forward
 * in chunks of rows; with `grad`, also the losses' backward (policy: clipped surrogate; value: clipped value loss).
 */
function responseForward(model: Llama, samples: readonly Sample[], kind: "logp" | "value",
  each: (s: Sample, out: Float32Array) => void, backward?: (s: Sample, out: Float32Array, d: Float32Array) => void): void {
  for (let c = 0; c < samples.length; c += ROWS_PER_FORWARD) {
    const part = samples.slice(c, c + ROWS_PER_FORWARD);
    const T = Math.max(...part.map((s) => s.seq.length)) - 1; // positions that predict a next token
    const B = part.length, N = B * T;
    const ids = new Int32Array(N), targets = new Int32Array(N).fill(-100);
    part.forEach((s, b) => {
      ids.set(s.seq.subarray(0, Math.min(T, s.seq.length)), b * T);
      for (let j = 0; j < s.r; j++) targets[b * T + s.p - 1 + j] = s.seq[s.p + j]!;
    });
    const out = model.forward(ids, B, T);
    const W = kind === "logp" ? model.config.vocabSize : model.numLabels;
    const perPos = kind === "logp" ? tokenLogprobs(out, targets, N, W) : tokenValues(out, N, W);
    part.forEach((s, b) => each(s, perPos.subarray(b * T + s.p - 1, b * T + s.p - 1 + s.r)));
    if (!backward) continue;
    const d = new Float32Array(N);
    part.forEach((s, b) => backward(s, perPos.subarray(b * T + s.p - 1, b * T + s.p - 1 + s.r), d.subarray(b * T + s.p - 1, b * T + s.p - 1 + s.r)));
    if (kind === "logp") tokenLogprobsBackward(out, targets, d, N, W);
    else tokenValuesBackward(out, d, N, W);
    model.backward(out);
  }
}

async function saveCheckpoint(out: string, it: number, policy: Llama, value: Llama, popt: AdamW, vopt: AdamW, state: PpoState, tokDir: string, cfg: PpoConfig): Promise<string> {
  const final = path.join(out, `checkpoint-${it}`), tmp = path.join(out, `.checkpoint-${it}.partial-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  await policy.save(tmp);
  for (const f of TOKENIZER_FILES) if (fs.existsSync(path.join(tokDir, f))) fs.copyFileSync(path.join(tokDir, f), path.join(tmp, f));
  await value.save(path.join(tmp, "value"));
  writeSafetensors(path.join(tmp, "optimizer.safetensors"), popt.stateTensors(), { metadata: { step: String(popt.step) } });
  writeSafetensors(path.join(tmp, "value", "optimizer.safetensors"), vopt.stateTensors(), { metadata: { step: String(vopt.step) } });
  fs.writeFileSync(path.join(tmp, STATE), JSON.stringify({ ...state, policy_step: popt.step, value_step: vopt.step, config: cfg }, null, 2) + "\n");
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(tmp, final);
  return final;
}

function loadOpt(opt: AdamW, file: string, step: number): void {
  const flat = new Map<string, Float32Array>();
  for (const [k, t] of readSafetensors(file).tensors) flat.set(k, t.data);
  opt.loadState(step, flat, file);
}

/** The newest checkpoint-N of a PPO run directory, or null. */
export function latestPpoCheckpoint(out: string): string | null {
  if (!fs.existsSync(out)) return null;
  const n = fs.readdirSync(out).map((d) => /^checkpoint-(\d+)$/.exec(d)).filter((m): m is RegExpExecArray => m !== null && fs.existsSync(path.join(out, m[0], STATE)))
    .map((m) => Number(m[1])).sort((a, b) => b - a)[0];
  return n === undefined ? null : path.join(out, `checkpoint-${n}`);
}

export async function runPpo(cfg: PpoConfig, opts: PpoOptions = {}): Promise<PpoResult> {
  checkPpoConfig(cfg, "ppo");
  const log = opts.log ?? (() => {});
  const out = path.resolve(cfg.out);
  fs.mkdirSync(out, { recursive: true });
  if (cfg.threads !== null) (await import("../native/addon.js")).native.setThreadCount(cfg.threads);
  const resumeFrom = latestPpoCheckpoint(out);
  if (!resumeFrom) writeFileAtomic(path.join(out, "config.yaml"), configToYaml(cfg as unknown as ConfigValues));
  const saved = resumeFrom ? (JSON.parse(fs.readFileSync(path.join(resumeFrom, STATE), "utf8")) as PpoState & { policy_step: number; value_step: number }) : null;

  const policy = await Llama.load(resumeFrom ?? cfg.policy);
  if (policy.head !== "lm") throw new Error(`${cfg.policy}: PPO needs a causal LM policy`);
  const tokDir = resumeFrom ?? cfg.policy;
  const tok = await Tokenizer.load(tokDir);
  const reference = await Llama.load(cfg.reference ?? cfg.policy, { trainable: false });
  const value = resumeFrom ? await Llama.load(path.join(resumeFrom, "value"))
    : cfg.value ? await Llama.load(cfg.value) : rewardModelFrom((cfg.reward_helpful ?? cfg.reward_safety)!, cfg.seed, 0.02);
  if (value.head !== "score") throw new Error(`${cfg.value}: the value model must be a LlamaForSequenceClassification`);
  const rms = await RewardModels.load(cfg.reward_helpful, cfg.reward_safety);
  const adamw = { beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weight_decay };
  const popt = new AdamW(policy.params.filter((p) => p.trainable), adamw);
  const vopt = new AdamW(value.params.filter((p) => p.trainable), adamw);
  if (resumeFrom && saved) {
    loadOpt(popt, path.join(resumeFrom, "optimizer.safetensors"), saved.policy_step);
    loadOpt(vopt, path.join(resumeFrom, "value", "optimizer.safetensors"), saved.value_step);
  }
  const prompts: PromptRow[] = await readPrompts(cfg.prompts);
  const evalPrompts = cfg.eval_prompts ? (await readPrompts(cfg.eval_prompts)).slice(0, cfg.eval_max_prompts) : null;
  const rng = new Rng(cfg.seed);
  const state: PpoState = saved ? { iteration: saved.iteration, rng: saved.rng, epoch: saved.epoch, cursor: saved.cursor, best_eval: saved.best_eval, evals_without_gain: saved.evals_without_gain }
    : { iteration: 0, rng: rng.state(), epoch: 0, cursor: 0, best_eval: null, evals_without_gain: 0 };
  rng.setState(state.rng);
  let order = permutation(prompts.length, new Rng(cfg.seed + 7919 * (state.epoch + 1)));
  const metrics = new MetricsLog(out);
  metrics.truncateAfter(state.iteration);
  if (resumeFrom) log(`resuming from ${resumeFrom} (iteration ${state.iteration})`);

  const nextPrompts = (n: number): PromptRow[] => {
    const batch: PromptRow[] = [];
    while (batch.length < n) {
      if (state.cursor >= order.length) { state.epoch++; state.cursor = 0; order = permutation(prompts.length, new Rng(cfg.seed + 7919 * (state.epoch + 1))); }
      batch.push(prompts[order[state.cursor++]!]!);
    }
    return batch;
  };

  let stopped = false;
  while (state.iteration < cfg.iterations) {
    if (opts.shouldStop?.()) { stopped = true; break; }
    const it = state.iteration + 1;
    const t0 = performance.now();
    const batch = nextPrompts(cfg.batch_size);
    const rolls: Rollout[] = rollouts(policy, tok, batch.map((p) => p.messages), { maxNewTokens: cfg.max_new_tokens, temperature: cfg.temperature, seed: streamSeed(cfg.seed, it), batchSize: cfg.gen_batch_size });
    const t1 = performance.now();
    const scored = rms.score(rolls.map((r, i) => ({ messages: batch[i]!.messages, response: r.text, isSafety: batch[i]!.isSafety })));
    const rTilde = ppoRewards(scored.map((s) => s.reward));
    const t2 = performance.now();
    const samples: Sample[] = rolls.map((r) => {
      const resp = r.ids.length > 0 ? r.ids : [tok.eosId];
      const seq = Int32Array.from([...r.promptIds, ...resp]);
      const n = resp.length;
      return { seq, p: r.promptIds.length, r: n, oldLogp: new Float32Array(n), refLogp: new Float32Array(n), oldValues: new Float32Array(n), advantages: new Float32Array(n), returns: new Float32Array(n) };
    });
    // Old policy, reference and values from the same training forward path.
    responseForward(policy, samples, "logp", (s, lp) => s.oldLogp.set(lp));
    responseForward(reference, samples, "logp", (s, lp) => s.refLogp.set(lp));
    responseForward(value, samples, "value", (s, v) => s.oldValues.set(v));
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
        const tokens = mb.reduce((a, s) => a + s.r, 0);
        zeroGrads(policy.params);
        responseForward(policy, mb, "logp", () => {}, (s, lp, d) => {
          const res = clippedPolicyLoss(lp, s.oldLogp, s.advantages, new Float32Array(s.r).fill(1), s.r, 1 / tokens, d, { clip: cfg.clip });
          pLoss += res.lossSum; clipped += res.clippedSum; weight += res.weightSum;
        });
        clipGradNorm(policy.params, cfg.grad_clip);
        popt.update(cfg.lr);
        zeroGrads(value.params);
        responseForward(value, mb, "value", () => {}, (s, v, d) => {
          vLoss += clippedValueLoss(v, s.oldValues, s.returns, new Float32Array(s.r).fill(1), s.r, cfg.vf_coef / tokens, d, cfg.value_clip).lossSum;
        });
        clipGradNorm(value.params, cfg.grad_clip);
        vopt.update(cfg.lr);
        steps++;
      }
    }
    const t4 = performance.now();
    state.iteration = it;
    const mean = (xs: (number | null)[]): number => { const v = xs.filter((x): x is number => x !== null); return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN; };
    const row: Record<string, number> = {
      iteration: it, step: it,
      reward_combined: mean(scored.map((s) => s.reward)), reward_helpful: mean(scored.map((s) => s.rewardHelpful)), reward_safety: mean(scored.map((s) => s.rewardSafety)),
      kl: klSum / samples.length, entropy: entropyProxy / lenSum, clipfrac: weight ? clipped / weight : 0,
      policy_loss: weight ? pLoss / (weight / cfg.ppo_epochs) / cfg.ppo_epochs : 0, value_loss: vLoss / Math.max(1, steps),
      response_length: lenSum / samples.length,
      generation_s: (t1 - t0) / 1000, scoring_s: (t2 - t1) / 1000, reference_s: (t3 - t2) / 1000, training_s: (t4 - t3) / 1000,
    };
    if (evalPrompts && cfg.eval_every > 0 && it % cfg.eval_every === 0) {
      const er = rollouts(policy, tok, evalPrompts.map((p) => p.messages), { maxNewTokens: cfg.max_new_tokens, temperature: 0, seed: 0, batchSize: cfg.gen_batch_size });
      const es = mean(rms.score(er.map((r, i) => ({ messages: evalPrompts[i]!.messages, response: r.text, isSafety: evalPrompts[i]!.isSafety }))).map((s) => s.reward));
      row.eval_reward_combined = es;
      if (state.best_eval === null || es > state.best_eval) { state.best_eval = es; state.evals_without_gain = 0; }
      else state.evals_without_gain++;
    }
    metrics.append(row);
    opts.onIteration?.(row);
    if (cfg.samples_to_log > 0) fs.appendFileSync(path.join(out, "samples.jsonl"), rolls.slice(0, cfg.samples_to_log).map((r, i) =>
      JSON.stringify({ iteration: it, ...promptFields(batch[i]!), response: r.text, reward: scored[i]!.reward })).join("\n") + "\n");
    log(`iteration ${it}/${cfg.iterations}: reward ${row.reward_combined!.toFixed(4)} kl ${row.kl!.toFixed(4)} clipfrac ${row.clipfrac!.toFixed(3)} (gen ${row.generation_s!.toFixed(1)}s, train ${row.training_s!.toFixed(1)}s)`);
    state.rng = rng.state();
    const early = cfg.early_stop_patience > 0 && state.evals_without_gain >= cfg.early_stop_patience;
    if (it % cfg.save_every === 0 || it === cfg.iterations || early || opts.shouldStop?.()) await saveCheckpoint(out, it, policy, value, popt, vopt, state, tokDir, cfg);
    if (early) { log(`early stop: no better held-out reward in ${cfg.early_stop_patience} evals`); break; }
  }
  if (stopped) {
    if (state.iteration > 0 && latestPpoCheckpoint(out) !== path.join(out, `checkpoint-${state.iteration}`)) await saveCheckpoint(out, state.iteration, policy, value, popt, vopt, state, tokDir, cfg);
    return { out, iteration: state.iteration, final: null, stopped: true };
  }
  const final = path.join(out, "final"), tmp = `${final}.partial-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  await policy.save(tmp);
  for (const f of TOKENIZER_FILES) if (fs.existsSync(path.join(tokDir, f))) fs.copyFileSync(path.join(tokDir, f), path.join(tmp, f));
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(tmp, final);
  return { out, iteration: state.iteration, final, stopped: false };
}
