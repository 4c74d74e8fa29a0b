// The trainer under failure: a SIGKILL in the middle of writing a checkpoint leaves the previous
// one complete and resumable; SIGINT stops cleanly after writing a checkpoint; a non-finite loss
// stops the run naming the step, the batch and the last good checkpoint, or skips the batch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadPretrainConfig, runPretrain } from "../../src/recipes/pretrain.js";
import { listCheckpoints, readTrainerState } from "../../src/train/checkpoint.js";
import { readMetrics } from "../../src/train/metrics-log.js";
import { LmTask, type LmBatch } from "../../src/train/lm-task.js";
import { NonFiniteError, Trainer } from "../../src/train/trainer.js";
import { TokenLoader } from "../../src/data/token-loader.js";
import { Rng } from "../../src/model/rng.js";
import { Llama } from "../../src/model/llama.js";
import { makeDataset, syntheticCorpus, tinySets, tmpDir } from "./helpers.js";

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/cli/main.js");
const data = await makeDataset(syntheticCorpus(300));

function runCli(args: string[], env: Record<string, string> = {}, onSpawn?: (p: ReturnType<typeof spawn>) => void):
  Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr!.on("data", (d) => { stderr += String(d); });
    onSpawn?.(p);
    p.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
}

const setArgs = (sets: string[]): string[] => sets.flatMap((s) => ["--set", s]);

test("a run SIGKILLed while writing checkpoint-4 leaves checkpoint-2 complete, loadable and resumable", async () => {
  const run = tmpDir("killed-");
  const r = await runCli(["pretrain", "--quiet", ...setArgs(tinySets(data, run, ["save_every=2"]))], { LLAMA2_CRASH_IN_SAVE: "4" });
  assert.equal(r.signal, "SIGKILL", r.stderr);
  assert.deepEqual(listCheckpoints(run).map((c) => c.step), [2]);
  assert.ok(fs.readdirSync(run).some((f) => f.startsWith(".checkpoint-4.")), "the half-written checkpoint is a hidden temp dir");
  const model = await Llama.load(path.join(run, "checkpoint-2"));
  assert.equal(model.config.numHiddenLayers, 2);
  assert.equal(readTrainerState(path.join(run, "checkpoint-2")).step, 2);

  const again = await runCli(["pretrain", "--quiet", "--resume", run]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(listCheckpoints(run).map((c) => c.step), [2, 4, 6]);
  assert.ok(!fs.readdirSync(run).some((f) => f.startsWith(".checkpoint-")), "temp dirs are cleaned up");
  assert.deepEqual(readMetrics(path.join(run, "metrics.jsonl")).map((l) => l.step), [1, 2, 3, 4, 5, 6]);
});

test("SIGINT stops the run after writing a checkpoint of the last completed step (exit code 130)", async () => {
  const run = tmpDir("sigint-");
  const r = await runCli(["pretrain", "--quiet", ...setArgs(tinySets(data, run, ["max_steps=100000"]))], {}, (p) => {
    const timer = setInterval(() => {
      const f = path.join(run, "metrics.jsonl");
      if (fs.existsSync(f) && fs.readFileSync(f, "utf8").split("\n").length > 3) {
        clearInterval(timer);
        p.kill("SIGINT");
      }
    }, 20);
  });
  assert.equal(r.code, 130, r.stderr);
  const ckpts = listCheckpoints(run);
  assert.equal(ckpts.length, 1);
  const lines = readMetrics(path.join(run, "metrics.jsonl"));
  assert.equal(ckpts[0].step, lines[lines.length - 1].step, "the checkpoint is of the last logged step");
  assert.match(r.stderr, /stopped \(SIGINT\) at step \d+/);
  await Llama.load(ckpts[0].dir);
});

test("a non-finite loss stops the run naming the step, the micro-batch and the last good checkpoint", async () => {
  const run = tmpDir("nan-");
  const cfg = loadPretrainConfig(undefined, tinySets(data, run, ["save_every=2"]));
  let model: Llama | null = null;
  await assert.rejects(runPretrain(cfg, null, {
    progress: false,
    onTrainer: (t) => { model = t.task.model as Llama; },
    onStep: (m) => { if (m.step === 2) model!.params[0].data.fill(NaN); }, // poison the embedding
  }), (e: Error) => e instanceof NonFiniteError && e.message.startsWith("step 3: non-finite loss NaN in micro-batch 1/1 (data position")
    && e.message.includes(`Last good checkpoint: ${path.join(run, "checkpoint-2")}`));
  assert.deepEqual(listCheckpoints(run).map((c) => c.step), [2], "no checkpoint of the poisoned state");
});

test("with skip_nonfinite, a batch whose loss is not finite is skipped and training goes on", async () => {
  class Flaky extends LmTask {
    calls = 0;
    override forwardBackward(b: LmBatch, s: number) {
      const r = super.forwardBackward(b, s);
      return ++this.calls === 2 ? { lossSum: Infinity, count: r.count } : r;
    }
  }
  const model = new Llama(loadModelConfig()).initRandom(1);
  const run = tmpDir("skip-");
  const task = new Flaky(model, new TokenLoader(data, "train", { B: 2, T: 8, seed: 1 }));
  const before = Float32Array.from(model.params[0].data);
  const steps: number[] = [];
  const trainer = new Trainer(task, {
    runDir: run, maxSteps: 3, gradAccum: 1, schedule: { lr: 1e-3, warmup: 0, maxSteps: 3, minLrRatio: 0.1 },
    optimizer: { beta1: 0.9, beta2: 0.95, eps: 1e-5, weightDecay: 0 }, gradClip: 1, evalEvery: 0, saveEvery: 0,
    skipNonFinite: true, config: {}, rng: new Rng(1), progress: false, onStep: (m) => steps.push(m.step as number),
  });
  const res = await trainer.run();
  assert.equal(res.step, 3);
  assert.deepEqual(steps, [1, 2, 3]);
  assert.equal(task.calls, 4, "one extra batch replaced the skipped one");
  const lines = readMetrics(path.join(run, "metrics.jsonl"));
  assert.deepEqual(lines.filter((l) => l.skipped).map((l) => l.step), [1], "the skip is logged after step 1");
  assert.ok(model.params.every((p) => p.data.every(Number.isFinite)));
  assert.notDeepEqual(model.params[0].data, before);
});

function loadModelConfig() {
  return { vocabSize: 259, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 1, numAttentionHeads: 2, numKeyValueHeads: 1,
    headDim: 8, maxPositionEmbeddings: 16, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: false,
    bosTokenId: 1, eosTokenId: 2, padTokenId: null };
}
