// --resume refuses a change to a key the saved state depends on, naming the key and both values: beside the
// architecture, starting model, tokenizer and LoRA shape, also seq_len (pretrain's token windows, SFT's rows,
// reward's max_length), rejection sampling's fixed `sft.*` keys, and the reward models of PPO and RS.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { defaults, mergeResumeObject, resumeConfig, type ConfigValues, type Schema } from "../../src/train/config.js";
import { PRETRAIN_SCHEMA } from "../../src/recipes/pretrain-config.js";
import { SFT_SCHEMA } from "../../src/recipes/sft-config.js";
import { GATT_SCHEMA } from "../../src/recipes/gatt-config.js";
import { REWARD_SCHEMA } from "../../src/recipes/reward-config.js";
import { RS_SCHEMA } from "../../src/recipes/rejection-sampling-config.js";
import { PPO_SCHEMA } from "../../src/recipes/ppo-config.js";

/** A saved config: the schema's defaults with `over` on top (as a finished run's config.yaml holds). */
function saved(schema: Schema, over: Record<string, unknown>): ConfigValues {
  return { ...defaults(schema), ...over } as ConfigValues;
}

const refusal = (set: string, key: string, was: unknown, now: unknown): RegExp => new RegExp(
  `^Error: --set ${esc(set)}: --resume cannot change ${esc(key)}, .* has ${esc(key)}: ${esc(JSON.stringify(was))}, this gives ${esc(JSON.stringify(now))}\\); keep it`);
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("seq_len is fixed where it decides the data position: pretrain's windows, SFT's and GAtt's rows, reward's max_length", () => {
  const ck = "/runs/x/checkpoint-2";
  assert.throws(() => resumeConfig(PRETRAIN_SCHEMA, saved(PRETRAIN_SCHEMA, { seq_len: 64 }), ["seq_len=128"], ck), refusal("seq_len=128", "seq_len", 64, 128));
  assert.throws(() => resumeConfig(SFT_SCHEMA, saved(SFT_SCHEMA, { seq_len: null }), ["seq_len=256"], ck), refusal("seq_len=256", "seq_len", null, 256));
  assert.throws(() => resumeConfig(GATT_SCHEMA, saved(GATT_SCHEMA, { seq_len: 512 }), ["seq_len=128"], ck), refusal("seq_len=128", "seq_len", 512, 128));
  assert.throws(() => resumeConfig(REWARD_SCHEMA, saved(REWARD_SCHEMA, { max_length: 512 }), ["max_length=256"], ck), refusal("max_length=256", "max_length", 512, 256));
  // Keys that only steer the rest of the run still change.
  assert.equal(resumeConfig(PRETRAIN_SCHEMA, saved(PRETRAIN_SCHEMA, { seq_len: 64 }), ["seq_len=64", "max_steps=9"], ck).max_steps, 9);
  assert.equal(resumeConfig(SFT_SCHEMA, saved(SFT_SCHEMA, {}), ["lr=1e-4"], ck).lr, 1e-4);
});

test("rejection sampling: its sft keys that SFT fixes (seq_len, tokenizer, LoRA shape) are fixed, each with its default filled in", () => {
  const run = "/runs/rs";
  const s = saved(RS_SCHEMA, { sft: { epochs: 1, seq_len: 128, lora: { r: 4 } } });
  assert.throws(() => resumeConfig(RS_SCHEMA, s, ['sft={"epochs":1,"seq_len":256,"lora":{"r":4}}'], run),
    /--resume cannot change sft\.seq_len, the rows .* \(the run directory \/runs\/rs has sft\.seq_len: 128, this gives 256\)/);
  assert.throws(() => resumeConfig(RS_SCHEMA, s, ['sft={"epochs":1,"seq_len":128}'], run),
    /--resume cannot change sft\.lora\.r, the adapters' shape \(the run directory \/runs\/rs has sft\.lora\.r: 4, this gives 0\)/);
  assert.throws(() => resumeConfig(RS_SCHEMA, saved(RS_SCHEMA, {}), ['sft={"tokenizer":"/tok"}'], run),
    /--resume cannot change sft\.tokenizer, the vocabulary .* has sft\.tokenizer: null, this gives "\/tok"\)/);
  // The other SFT keys (how long and how fast each iteration fine-tunes) may change; spelling a default is no change.
  const c = resumeConfig(RS_SCHEMA, s, ['sft={"epochs":3,"lr":1e-5,"seq_len":128,"lora":{"r":4,"alpha":16}}', "iterations=5"], run);
  assert.deepEqual([c.iterations, (c.sft as { epochs: number }).epochs], [5, 3]);
});

test("the reward models of PPO and rejection sampling are fixed, from --set and from the library's config object", () => {
  const rmH = path.resolve("rm-h"), rmS = path.resolve("rm-s"), other = path.resolve("rm-other");
  for (const [schema, name] of [[PPO_SCHEMA, "ppo"], [RS_SCHEMA, "rs"]] as const) {
    const s = saved(schema, { reward_helpful: rmH, reward_safety: rmS });
    assert.throws(() => resumeConfig(schema, s, ["reward_helpful=rm-other"], "/runs/x/checkpoint-1"),
      refusal("reward_helpful=rm-other", "reward_helpful", rmH, other), name);
    assert.throws(() => resumeConfig(schema, s, ["reward_safety=null"], "/runs/x/checkpoint-1"), refusal("reward_safety=null", "reward_safety", rmS, null), name);
    const cfg = resumeConfig(schema, s, [], "/runs/x");
    assert.throws(() => mergeResumeObject(schema, cfg, { reward_safety: other }, `${name}(config)`, "/runs/x"),
      new RegExp(`^Error: ${name}\\(config\\): --resume cannot change reward_safety, `), name);
    // The same model by a relative path is no change.
    resumeConfig(schema, s, ["reward_helpful=rm-h"], "/runs/x/checkpoint-1");
  }
});
