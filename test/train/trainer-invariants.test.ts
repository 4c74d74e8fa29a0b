// Invariants of the shared trainer (torchtune / TRL style): resuming at step k reproduces the
// uninterrupted run; batch 8 × accumulation 1 equals batch 1 × accumulation 8; the loss is
// normalised over all targets of the step even when micro-batches have different target counts.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { loadPretrainConfig, loadResumeConfig, runPretrain } from "../../src/recipes/pretrain.js";
import { listCheckpoints, readTrainerState } from "../../src/train/checkpoint.js";
import { readMetrics } from "../../src/train/metrics-log.js";
import { LmTask, type BatchSource, type LmBatch } from "../../src/train/lm-task.js";
import { Trainer } from "../../src/train/trainer.js";
import { Rng } from "../../src/model/rng.js";
import { Llama } from "../../src/model/llama.js";
import { makeDataset, syntheticCorpus, tinySets, tmpDir } from "./helpers.js";

const data = await makeDataset(syntheticCorpus(300));

async function losses(sets: string[], resumeFrom: string | null = null, stopAt = 0): Promise<Map<number, { loss: number; grad_norm: number }>> {
  const cfg = resumeFrom ? loadResumeConfig(resumeFrom, sets) : loadPretrainConfig(undefined, sets);
  const out = new Map<number, { loss: number; grad_norm: number }>();
  let trainer: { requestStop(): void } | null = null;
  await runPretrain(cfg, resumeFrom, {
    progress: false,
    onTrainer: (t) => { trainer = t; },
    onStep: (m) => {
      out.set(m.step as number, { loss: m.loss as number, grad_norm: m.grad_norm as number });
      if (stopAt > 0 && m.step === stopAt) trainer!.requestStop();
    },
  });
  return out;
}

test("resuming from the checkpoint at step 3 reproduces the uninterrupted run's losses (max diff <= 1e-6)", async () => {
  const full = await losses(tinySets(data, tmpDir("full-"), ["eval_every=2", "eval_batches=2"]));
  const run = tmpDir("stopped-");
  const first = await losses(tinySets(data, run, ["eval_every=2", "eval_batches=2"]), null, 3);
  assert.deepEqual([...first.keys()], [1, 2, 3]);
  assert.deepEqual(listCheckpoints(run).map((c) => c.step), [3], "the stop wrote checkpoint-3");
  const ckpt = path.join(run, "checkpoint-3");
  assert.equal(readTrainerState(ckpt).step, 3);
  const rest = await losses([], ckpt);
  assert.deepEqual([...rest.keys()], [4, 5, 6]);
  let maxDiff = 0;
  for (const [step, m] of [...first, ...rest]) maxDiff = Math.max(maxDiff, Math.abs(m.loss - full.get(step)!.loss));
  assert.ok(maxDiff <= 1e-6, `max |Δloss| = ${maxDiff}`);
  assert.ok(Math.abs(full.get(6)!.loss - full.get(1)!.loss) > 1e-3, "the loss moved, so the comparison is not vacuous");
  // The resumed run's log has each step once, and its eval lines continue where they stopped.
  const lines = readMetrics(path.join(run, "metrics.jsonl"));
  assert.deepEqual(lines.filter((l) => "loss" in l).map((l) => l.step), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(lines.filter((l) => "val_loss" in l).map((l) => l.step), [2, 4, 6]);
  assert.deepEqual(listCheckpoints(run).map((c) => c.step), [3, 6]);
});

test("batch 8 × accumulation 1 equals batch 1 × accumulation 8 (losses and gradient norms)", async () => {
  const a = await losses(tinySets(data, tmpDir("b8-"), ["batch_size=8", "grad_accum=1", "max_steps=3"]));
  const b = await losses(tinySets(data, tmpDir("b1-"), ["batch_size=1", "grad_accum=8", "max_steps=3"]));
  for (const step of [1, 2, 3]) {
    const x = a.get(step)!, y = b.get(step)!;
    assert.ok(Math.abs(x.loss - y.loss) <= 1e-5 * x.loss, `step ${step}: loss ${x.loss} vs ${y.loss}`);
    assert.ok(Math.abs(x.grad_norm - y.grad_norm) <= 1e-4 * x.grad_norm, `step ${step}: grad norm ${x.grad_norm} vs ${y.grad_norm}`);
  }
});

test("with unevenly masked micro-batches, the step loss is the mean over all the step's targets", async () => {
  // Two rows of T=8; row 0 trains 2 targets, row 1 trains 7. Split 2×1 or 1×2, the loss and
  // gradients must match torch's cross_entropy(ignore_index=-100) over the concatenated step —
  // not the mean of the two micro-batch means.
  const T = 8;
  const ids = Int32Array.from({ length: 2 * T }, (_, i) => 3 + ((i * 7) % 40));
  const targets = Int32Array.from({ length: 2 * T }, (_, i) => (i < T ? (i >= 6 ? 3 + (i % 11) : -100) : i === T ? -100 : 3 + ((i * 5) % 40)));
  const source = (B: number): BatchSource => {
    let row = 0;
    return {
      get position() { return row; },
      seek(p: unknown) { row = p as number; },
      next(): LmBatch {
        const r = row % 2;
        row += B;
        return { ids: ids.slice(r * T, (r + B) * T), targets: targets.slice(r * T, (r + B) * T), B, T };
      },
    };
  };
  const run = async (B: number, accum: number): Promise<{ loss: number; grad_norm: number }> => {
    const model = new Llama({ vocabSize: 64, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 1, numAttentionHeads: 2,
      numKeyValueHeads: 1, headDim: 8, maxPositionEmbeddings: 16, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: false,
      bosTokenId: 1, eosTokenId: 2, padTokenId: null }).initRandom(3);
    let m: { loss: number; grad_norm: number } | null = null;
    const trainer = new Trainer(new LmTask(model, source(B)), {
      runDir: tmpDir("mask-"), maxSteps: 1, gradAccum: accum, schedule: { lr: 1e-3, warmup: 0, maxSteps: 1, minLrRatio: 0.1 },
      optimizer: { beta1: 0.9, beta2: 0.95, eps: 1e-5, weightDecay: 0.1 }, gradClip: 0, evalEvery: 0, saveEvery: 0,
      config: {}, rng: new Rng(1), progress: false, onStep: (l) => { m = { loss: l.loss as number, grad_norm: l.grad_norm as number }; },
    });
    await trainer.run();
    // Reference: per-token losses of the whole step from one no-grad pass, averaged over the 9 targets.
    return m!;
  };
  const whole = await run(2, 1);
  const split = await run(1, 2);
  assert.ok(Math.abs(whole.loss - split.loss) <= 1e-6 * whole.loss, `${whole.loss} vs ${split.loss}`);
  assert.ok(Math.abs(whole.grad_norm - split.grad_norm) <= 1e-5 * whole.grad_norm, `${whole.grad_norm} vs ${split.grad_norm}`);
  // And it is not the mean of micro-batch means (which would weight row 0's 2 targets like row 1's 7).
  const model = new Llama({ vocabSize: 64, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 1, numAttentionHeads: 2,
    numKeyValueHeads: 1, headDim: 8, maxPositionEmbeddings: 16, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: false,
    bosTokenId: 1, eosTokenId: 2, padTokenId: null }).initRandom(3);
  const r0 = model.lmLoss(ids.slice(0, T), targets.slice(0, T), 1, T);
  const r1 = model.lmLoss(ids.slice(T), targets.slice(T), 1, T);
  assert.equal(r0.count + r1.count, 9);
  assert.ok(Math.abs(whole.loss - (r0.lossSum + r1.lossSum) / 9) <= 1e-6 * whole.loss);
  assert.ok(Math.abs(whole.loss - (r0.lossSum / r0.count + r1.lossSum / r1.count) / 2) > 1e-4);
});
