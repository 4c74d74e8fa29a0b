// pretrain(config) from code: a typed partial config over the schema defaults (the same run as the
// YAML + --set form), progress per step, an AbortSignal that stops with a resumable checkpoint, and
// config errors that name the key.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { pretrain, resolvePretrainConfig, type PretrainConfigInput, type TrainProgress } from "../../src/index.js";
import { loadPretrainConfig, runPretrain } from "../../src/recipes/pretrain.js";
import { readMetrics } from "../../src/train/metrics-log.js";
import { makeDataset, syntheticCorpus, tinySets, tmpDir } from "../train/helpers.js";

const data = await makeDataset(syntheticCorpus(200));
const tiny = (out: string, more: PretrainConfigInput = {}): PretrainConfigInput => ({
  data, out, batch_size: 4, seq_len: 16, max_steps: 6, warmup: 2, lr: 1e-2, eval_every: 0, save_every: 0, seed: 7, threads: 1,
  model: { preset: "stories260K", hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64 },
  ...more,
});

test("pretrain(config) merges over the defaults exactly as --set does, and trains the same losses", async () => {
  const out = tmpDir("api-pretrain-");
  assert.deepEqual(resolvePretrainConfig(tiny(out)), loadPretrainConfig(undefined, tinySets(data, out)));
  const seen: TrainProgress[] = [];
  const r = await pretrain(tiny(out), { onProgress: (p) => seen.push(p) });
  assert.equal(r.stopped, "done");
  assert.equal(r.step, 6);
  assert.equal(r.runDir, out);
  assert.deepEqual(seen.map((p) => p.step), [1, 2, 3, 4, 5, 6]);
  assert.ok(seen.every((p) => p.maxSteps === 6 && p.loss === p.metrics.loss && Number.isFinite(p.loss)));
  assert.ok(r.final && fs.existsSync(path.join(r.final, "model.safetensors")), "a finished run has RUN_DIR/final");
  const lines = readMetrics(path.join(out, "metrics.jsonl"));
  assert.equal(r.metrics.loss, lines.at(-1)!.loss);
  // The CLI path (loadPretrainConfig + runPretrain) on the same settings gives the same losses.
  const cliOut = tmpDir("api-pretrain-cli-");
  await runPretrain(loadPretrainConfig(undefined, tinySets(data, cliOut)), null, {});
  assert.deepEqual(readMetrics(path.join(cliOut, "metrics.jsonl")).map((m) => m.loss), lines.map((m) => m.loss));
});

test("an AbortSignal stops training after the current step with a checkpoint; resume continues it", async () => {
  const out = tmpDir("api-pretrain-abort-");
  const ac = new AbortController();
  const r = await pretrain(tiny(out), { signal: ac.signal, onProgress: (p) => { if (p.step === 2) ac.abort(); } });
  assert.equal(r.stopped, "aborted");
  assert.equal(r.step, 2);
  assert.equal(r.final, null);
  assert.ok(r.checkpoint && fs.existsSync(r.checkpoint));
  const resumed = await pretrain({}, { resume: out });
  assert.equal(resumed.stopped, "done");
  assert.equal(resumed.step, 6);
  await assert.rejects(pretrain(tiny(tmpDir("api-pretrain-pre-")), { signal: AbortSignal.abort() }), { name: "AbortError" });
});

test("config mistakes name the key: unknown keys, wrong types, missing data/out", async () => {
  await assert.rejects(pretrain({ data, out: tmpDir("x-"), max_stepz: 3 } as PretrainConfigInput), /pretrain\(config\): unknown key "max_stepz"/);
  await assert.rejects(pretrain({ data, out: tmpDir("x-"), lr: "fast" as unknown as number }), /key "lr": expected a number/);
  await assert.rejects(pretrain({ data, out: tmpDir("x-"), model: { presetz: "x" } as never }), /unknown key "model.presetz"/);
  await assert.rejects(pretrain({ out: tmpDir("x-") }), /key "data" is required/);
});
