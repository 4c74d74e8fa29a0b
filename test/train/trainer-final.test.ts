// The trainer as a library component: it reports through callbacks, leaves the process's signal
// handlers alone unless asked, and ends every finished run with RUN_DIR/final (an HF model
// directory with the tokenizer files and chat template) beside the checkpoints.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { LmTask } from "../../src/train/lm-task.js";
import { Trainer, type StepProgress, type TrainerOptions } from "../../src/train/trainer.js";
import { listCheckpoints, resolveResume } from "../../src/train/checkpoint.js";
import { TokenLoader } from "../../src/data/token-loader.js";
import { Rng } from "../../src/model/rng.js";
import { Llama } from "../../src/model/llama.js";
import { LLAMA2_CHAT_TEMPLATE } from "../../src/tokenizer/chat-template.js";
import { makeDataset, syntheticCorpus, tmpDir } from "./helpers.js";

const data = await makeDataset(syntheticCorpus(200));
const config = {
  vocabSize: 259, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 1, numAttentionHeads: 2, numKeyValueHeads: 1,
  headDim: 8, maxPositionEmbeddings: 16, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: false,
  bosTokenId: 1, eosTokenId: 2, padTokenId: null,
};

function setup(runDir: string, maxSteps: number, more: Partial<TrainerOptions> = {}): { model: Llama; trainer: Trainer<unknown> } {
  const model = new Llama(config).initRandom(3);
  const task = new LmTask(model, new TokenLoader(data, "train", { B: 2, T: 8, seed: 1 }));
  const trainer = new Trainer(task, {
    runDir, maxSteps, gradAccum: 1, schedule: { lr: 1e-3, warmup: 0, maxSteps, minLrRatio: 0.1 },
    optimizer: { beta1: 0.9, beta2: 0.95, eps: 1e-5, weightDecay: 0 }, gradClip: 1, evalEvery: 0, saveEvery: 2,
    config: {}, rng: new Rng(1), ...more,
  }) as Trainer<unknown>;
  return { model, trainer };
}

test("the trainer installs no signal handler unless asked, and reports through its callbacks", async () => {
  const before = [process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")];
  const during: number[][] = [], steps: StepProgress[] = [], logs: string[] = [];
  let done = 0;
  const { trainer } = setup(tmpDir("lib-"), 3, {
    onStep: () => during.push([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]),
    progress: { step: (p) => steps.push(p), log: (m) => logs.push(m), done: () => done++ },
  });
  await trainer.run();
  assert.deepEqual(during, [before, before, before]);
  assert.deepEqual(steps.map((s) => [s.step, s.maxSteps]), [[1, 3], [2, 3], [3, 3]]);
  assert.ok(steps.every((s) => Number.isFinite(s.loss) && s.tokensPerSecond > 0 && s.etaSeconds >= 0));
  assert.ok(logs.some((m) => /saved .*checkpoint-2/.test(m)) && logs.some((m) => /final model in/.test(m)), logs.join("\n"));
  assert.equal(done, 1);

  const asked = setup(tmpDir("cli-"), 2, {
    handleSignals: true, onStep: () => during.push([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]),
  });
  await asked.trainer.run();
  assert.deepEqual(during.at(-1), [before[0]! + 1, before[1]! + 1]);
  assert.deepEqual([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")], before, "handlers removed after the run");
});

test("a finished run ends with RUN_DIR/final: the trained model, tokenizer files and the Llama 2 chat template (replacing another)", async () => {
  const run = tmpDir("final-"), tok = tmpDir("tok-");
  // A chat model's own template (ChatML here) is replaced: the recipes train the Llama 2 format.
  fs.writeFileSync(path.join(tok, "tokenizer_config.json"), JSON.stringify({ bos_token: "<s>", eos_token: "</s>",
    chat_template: "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}" }));
  fs.writeFileSync(path.join(tok, "tokenizer.json"), "{}");
  const { model, trainer } = setup(run, 3, { extraFiles: [path.join(tok, "tokenizer_config.json"), path.join(tok, "tokenizer.json")] });
  const res = await trainer.run();
  assert.equal(res.final, path.join(run, "final"));
  assert.deepEqual(listCheckpoints(run).map((c) => c.step), [2, 3]);
  const final = await Llama.load(res.final!);
  model.params.forEach((p, i) => assert.deepEqual(final.params[i]!.data, p.data, p.name));
  const tc = JSON.parse(fs.readFileSync(path.join(run, "final", "tokenizer_config.json"), "utf8"));
  assert.equal(tc.chat_template, LLAMA2_CHAT_TEMPLATE);
  assert.equal(tc.bos_token, "<s>");
  assert.ok(fs.existsSync(path.join(run, "final", "tokenizer.json")));
  assert.ok(!fs.existsSync(path.join(run, "final", "optimizer.safetensors")), "final holds the model, not the training state");
  assert.deepEqual(fs.readdirSync(run).filter((f) => f.startsWith(".")), [], "no temp directory left");
});

test("a stopped run has no final until a resume finishes it; --resume takes the run or a checkpoint", async () => {
  const run = tmpDir("stop-");
  const first = setup(run, 4, { onStep: (m) => { if (m.step === 2) first.trainer.requestStop(); } });
  const r1 = await first.trainer.run();
  assert.equal(r1.stopped, "requested");
  assert.equal(r1.final, null);
  assert.ok(!fs.existsSync(path.join(run, "final")));
  const { checkpoint } = resolveResume(run);
  assert.equal(checkpoint, path.join(run, "checkpoint-2"));
  assert.equal(resolveResume(path.join(run, "checkpoint-2")).runDir, run);
  const again = setup(run, 4, { runMode: "resume" });
  again.trainer.restore(checkpoint);
  const r2 = await again.trainer.run();
  assert.equal(r2.stopped, "done");
  assert.equal(r2.final, path.join(run, "final"));
  assert.ok(fs.existsSync(path.join(run, "final", "model.safetensors")));
  assert.throws(() => resolveResume(path.join(run, "final")), /no complete checkpoint/);
});
