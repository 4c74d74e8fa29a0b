// Adapters as PEFT itself saves them for settings our writer never produces (test/fixtures/models/peft-variants,
// made by scripts/reference/make_peft_variants.py): target_modules="all-linear" (saved as full module paths), a
// regex string, use_rslora (scale alpha/√r); each gives PEFT's logits loaded and merged, and re-saved by us
// (PEFT loaded that copy with the same logits when the fixture was made). modules_to_save=["lm_head"], a Hub id
// as the base and LoRA on some layers only are refused naming the file and field.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Llama } from "../../src/model/llama.js";
import { loraScale } from "../../src/model/lora.js";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors.js";
import { fixture, maxAbsDiff } from "../helpers/fixtures.js";
import { tmpDir } from "../train/helpers.js";
import { llama2 } from "../helpers/cli.js";

const root = fixture("models", "peft-variants");
const exp = readSafetensors(path.join(root, "expected.safetensors")).tensors;
const info = JSON.parse(fs.readFileSync(path.join(root, "expected.json"), "utf8"));
const [B, T] = exp.get("input_ids")!.shape as [number, number];
const ids = Int32Array.from(exp.get("input_ids")!.data);

for (const [name, targets, scale] of [
  ["all-linear", ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], 7 / 2],
  ["regex", ["q_proj", "o_proj", "down_proj"], 1],
  ["rslora", ["q_proj", "v_proj"], 8 / Math.sqrt(4)],
] as const) {
  test(`PEFT's ${name} adapter loads with PEFT's logits (targets ${targets.join(",")}), merges to them and saves as a list PEFT reads`, async (t) => {
    const dir = path.join(root, name);
    assert.equal(info.variants[name].peft_loads_ours_max_abs_diff, 0);
    const model = await Llama.load(dir);
    assert.deepEqual([...model.lora!.targets].sort(), [...targets].sort());  // PEFT saves a list of kinds in set order
    assert.equal(model.lora!.rslora, name === "rslora" ? true : undefined);
    assert.equal(loraScale(model.lora!), scale);
    const want = exp.get(`logits.${name}`)!.data;
    const err = maxAbsDiff(model.forward(ids, B, T).slice(), want);
    assert.ok(err < 1e-4, `adapter logits err ${err}`);
    const tmp = tmpDir("peft-variant-");
    t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
    // Re-saved by us: kinds in target_modules, use_rslora kept; loads back to the same logits.
    await model.save(path.join(tmp, "ours"));
    const cfg = JSON.parse(fs.readFileSync(path.join(tmp, "ours", "adapter_config.json"), "utf8"));
    assert.deepEqual([...cfg.target_modules].sort(), [...targets].sort());
    assert.equal(cfg.use_rslora, name === "rslora");
    assert.deepEqual((await Llama.load(path.join(tmp, "ours"))).forward(ids, B, T).slice(), model.forward(ids, B, T).slice());
    const r = llama2("lora", "merge", "--model", fixture("models", "llama-gqa"), "--adapter", dir, "--out", path.join(tmp, "merged"));
    assert.equal(r.status, 0, r.stderr);
    const merr = maxAbsDiff((await Llama.load(path.join(tmp, "merged"))).forward(ids, B, T).slice(), want);
    assert.ok(merr < 1e-4, `merged logits err ${merr}`);
  });
}

test("PEFT's modules_to_save=[\"lm_head\"] adapter is refused naming modules_to_save (not as an unexpected tensor)", async () => {
  await assert.rejects(Llama.load(path.join(root, "modules-to-save")),
    /modules-to-save[/\\]adapter_config\.json: field "modules_to_save" has "lm_head"; fully trained modules other than .*merge_and_unload/);
});

test("target_modules outside the decoder's linear layers, LoRA on some layers, and a Hub id as the base are refused naming the field", async (t) => {
  const tmp = tmpDir("peft-bad-");
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const src = path.join(root, "all-linear");
  const write = (edit: (c: Record<string, unknown>) => void, drop?: RegExp): string => {
    const d = fs.mkdtempSync(path.join(tmp, "a-"));
    const c = JSON.parse(fs.readFileSync(path.join(src, "adapter_config.json"), "utf8"));
    c.base_model_name_or_path = path.resolve(fixture("models", "llama-gqa"));
    edit(c);
    fs.writeFileSync(path.join(d, "adapter_config.json"), JSON.stringify(c));
    if (!drop) fs.copyFileSync(path.join(src, "adapter_model.safetensors"), path.join(d, "adapter_model.safetensors"));
    else {
      const kept = [...readSafetensors(path.join(src, "adapter_model.safetensors")).tensors].filter(([n]) => !drop.test(n));
      writeSafetensors(path.join(d, "adapter_model.safetensors"), kept.map(([n, x]) => [n, { shape: x.shape, data: x.data }]));
    }
    return d;
  };
  await assert.rejects(Llama.load(write((c) => { c.target_modules = ["q_proj", "lm_head"]; })),
    /field "target_modules" has "lm_head"; LoRA is supported on the decoder's linear layers \(q_proj, k_proj/);
  await assert.rejects(Llama.load(write((c) => { c.target_modules = "model\\.layers\\.\\d+\\.self_attn\\.q_proj"; })),
    /field "target_modules" does not select "model\.layers\.0\.mlp\.down_proj", but the adapter has tensor/);
  await assert.rejects(Llama.load(write(() => {}, /layers\.0\.self_attn\.q_proj/)),
    /has no tensor "base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight" but has q_proj adapters on other layers; LoRA on some layers only is not supported/);
  await assert.rejects(Llama.load(write((c) => { c.base_model_name_or_path = "meta-llama/Llama-2-7b-hf"; })),
    /field "base_model_name_or_path" is "meta-llama\/Llama-2-7b-hf", which is no model directory .*no Hugging Face Hub downloads.*llama2 lora merge/);
  await assert.rejects(Llama.load(write((c) => { c.trainable_token_indices = [32000]; })), /field "trainable_token_indices" is set; not supported/);
});
