// `lora:` in a training config, through the shared trainer: only adapters train (base files and
// weights untouched), checkpoints and RUN_DIR/final are PEFT adapter directories that load with the
// base, and resuming a LoRA run with dropout reproduces the uninterrupted losses.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { loadPretrainConfig, loadResumeConfig, runPretrain } from "../../src/recipes/pretrain.js";
import { listCheckpoints } from "../../src/train/checkpoint.js";
import { Llama } from "../../src/model/llama.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import { fixture } from "../helpers/fixtures.js";
import { makeDataset, syntheticCorpus, tmpDir } from "./helpers.js";

const data = await makeDataset(syntheticCorpus(200));
const base = path.resolve(fixture("models", "llama-gqa"));

function sets(out: string, more: string[] = []): string[] {
  return [`data=${data}`, `out=${out}`, `model.init_from=${base}`, "batch_size=2", "seq_len=16", "max_steps=4", "warmup=0",
    "lr=1e-2", "eval_every=0", "save_every=2", "seed=3", "threads=1", "lora.r=4", "lora.alpha=8", "lora.dropout=0.1",
    "lora.targets=q_proj,v_proj,down_proj", ...more];
}

async function run(cfgSets: string[], resume: string | null = null, stopAt = 0): Promise<Map<number, number>> {
  const cfg = resume ? loadResumeConfig(resume, cfgSets) : loadPretrainConfig(undefined, cfgSets);
  const losses = new Map<number, number>();
  let trainer: { requestStop(): void } | null = null;
  await runPretrain(cfg, resume, {
    onTrainer: (t) => { trainer = t; },
    onStep: (m) => { losses.set(m.step as number, m.loss as number); if (m.step === stopAt) trainer!.requestStop(); },
  });
  return losses;
}

test("a LoRA run trains adapters only and ends with a PEFT adapter directory; resume is exact", async () => {
  const baseBytes = fs.readFileSync(path.join(base, "model.safetensors"));
  const out = tmpDir("lora-run-");
  const full = await run(sets(out));
  assert.deepEqual(listCheckpoints(out).map((c) => c.step), [2, 4]);
  for (const d of ["checkpoint-2", "final"]) {
    const cfg = JSON.parse(fs.readFileSync(path.join(out, d, "adapter_config.json"), "utf8"));
    assert.equal(cfg.base_model_name_or_path, base, d);
    assert.deepEqual(cfg.target_modules, ["q_proj", "v_proj", "down_proj"]);
    assert.ok(!fs.existsSync(path.join(out, d, "model.safetensors")), `${d} holds adapters, not a copy of the base`);
  }
  const opt = readSafetensors(path.join(out, "checkpoint-4", "optimizer.safetensors")).tensors;
  assert.ok([...opt.keys()].every((k) => /lora_[AB]\.weight\.exp_avg(_sq)?$/.test(k)), "optimizer state for adapters only");
  assert.equal(opt.size, 2 * 2 * 3 * 2);
  assert.deepEqual(fs.readFileSync(path.join(base, "model.safetensors")), baseBytes, "the base directory is untouched");
  // The final adapter, on its base, differs from the base and its base weights are the base's bit for bit.
  const tuned = await Llama.load(path.join(out, "final")), plain = await Llama.load(base);
  plain.params.forEach((p, i) => assert.deepEqual(tuned.params[i]!.data, p.data, p.name));
  const ids = Int32Array.from([1, 60, 61, 62, 63, 64]);
  const a = tuned.forward(ids, 1, 6).slice(), b = plain.forward(ids, 1, 6).slice();
  assert.ok(a.some((v, i) => Math.abs(v - b[i]!) > 1e-4), "the adapters learned something");
  // Stop at step 2, resume from its adapter checkpoint: the same losses as the uninterrupted run (dropout included).
  const out2 = tmpDir("lora-stop-");
  const first = await run(sets(out2), null, 2);
  const rest = await run([], path.join(out2, "checkpoint-2"));
  for (const [step, loss] of [...first, ...rest]) assert.ok(Math.abs(loss - full.get(step)!) <= 1e-6, `step ${step}: ${loss} vs ${full.get(step)}`);
  assert.deepEqual([...rest.keys()], [3, 4]);
});

test("lora without a base directory, or with an unknown target, is a clear error", async () => {
  const noBase = sets(tmpDir("lora-nobase-")).filter((s) => !s.startsWith("model.init_from"));
  await assert.rejects(run([...noBase, "model.preset=stories260K", "model.hidden_size=32", "model.num_attention_heads=4", "model.num_key_value_heads=2", "model.intermediate_size=64", "model.num_hidden_layers=1"]),
    /lora: adapters train on a base model loaded from a directory/);
  await assert.rejects(run(sets(tmpDir("lora-bad-"), ["lora.targets=qproj"])), /field "targets" has "qproj"/);
});

test("reward training with lora: a SEQ_CLS adapter on the causal-LM base (score head trained too) that loads back as the reward model", async () => {
  const { loadRewardConfig, runReward } = await import("../../src/recipes/reward.js");
  const { scorePairs } = await import("../../src/recipes/reward-task.js");
  const { readPreferences, tokenizePairs } = await import("../../src/data/preferences.js");
  const { loadTokenizer } = await import("../../src/tokenizer/resolve.js");
  const { tinyWorld, tinyWorldModel } = await import("../helpers/tiny-world.js");
  const lines = fs.readFileSync(path.join(tinyWorld(), "prefs_helpful_train.jsonl"), "utf8").split("\n").filter(Boolean).slice(0, 16);
  const data = path.join(tmpDir("rm-lora-data-"), "prefs.jsonl");
  fs.writeFileSync(data, lines.join("\n") + "\n");
  const out = tmpDir("rm-lora-");
  const r = await runReward(loadRewardConfig(undefined, [`model=${tinyWorldModel()}`, `data=${data}`, `out=${out}`, "preset=small",
    "pairs_per_step=8", "batch_pairs=4", "threads=1", "save_every=0", "max_steps=2", "lora.r=4", "lora.targets=q_proj,v_proj"]), null, {});
  assert.equal(r.final, path.join(out, "final"));
  const cfg = JSON.parse(fs.readFileSync(path.join(out, "final", "adapter_config.json"), "utf8"));
  assert.equal(cfg.task_type, "SEQ_CLS");
  assert.equal(cfg.base_model_name_or_path, path.resolve(tinyWorldModel()));
  assert.deepEqual(cfg.modules_to_save, ["classifier", "score"]);
  const names = [...readSafetensors(path.join(out, "final", "adapter_model.safetensors")).tensors.keys()];
  assert.ok(names.includes("base_model.model.score.weight") && names.some((n) => n.endsWith("q_proj.lora_A.weight")));
  const m = await Llama.load(path.join(out, "final"));
  assert.equal(m.head, "score");
  assert.equal(m.lora?.r, 4);
  // The recorded stats are this model's raw scores on the training pairs.
  const tok = await loadTokenizer(path.join(out, "final"));
  const { pairs } = tokenizePairs(tok, await readPreferences(data, "small"), "small", 512);
  const s = scorePairs(m, pairs), all = [...s.chosen, ...s.rejected];
  const mean = all.reduce((a, b) => a + b, 0) / all.length;
  assert.ok(Math.abs(mean - cfg.llama2_reward_stats.mean) < 1e-5, `${mean} vs ${cfg.llama2_reward_stats.mean}`);
});

test("a LoRA adapter directory as a reward model's starting point is merged into its base first", async () => {
  const { rewardModelFrom } = await import("../../src/recipes/reward.js");
  const dir = fixture("models", "lora-gqa", "peft");
  const rm = rewardModelFrom(dir, 1, 0.02);
  assert.equal(rm.head, "score");
  assert.equal(rm.lora, null);
  assert.equal(rm.baseDir, null, "merged weights belong to no directory");
  const merged = await Llama.load(dir);
  merged.mergeLora();
  const byName = new Map(merged.params.map((p) => [p.name, p.data]));
  for (const p of rm.params) if (p.name !== "score.weight") assert.deepEqual(p.data, byName.get(p.name), p.name);
  const plain = await Llama.load(base);
  assert.notDeepEqual(rm.weights.layers[0]!.qProj.weight.data, plain.weights.layers[0]!.qProj.weight.data);
});
