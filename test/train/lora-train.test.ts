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
