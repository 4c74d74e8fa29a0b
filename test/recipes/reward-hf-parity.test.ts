// Reward models against transformers (fixtures from scripts/reference/make_reward_hf_fixture.py and
// check_reward_model.py): an HF LlamaForSequenceClassification with the real 32k Llama 2 vocabulary
// loads here and `llama2 reward eval` reports transformers' accuracy, loss and per-group numbers on the
// same pairs, from the same chat-template token ids; and a reward model trained here scores, in
// transformers, the same ids the same (≤ 1e-4).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Llama } from "../../src/model/llama.js";
import { loadTokenizer } from "../../src/tokenizer/resolve.js";
import { readPreferences, tokenizePairs } from "../../src/data/preferences.js";
import { scoreSequences } from "../../src/recipes/reward-task.js";
import { fixture } from "../helpers/fixtures.js";
import { llama2Json } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

/** The HF checkpoint with the 32k tokenizer files beside it, as a user's model directory would be. */
function hfModelDir(): string {
  const dir = tempDir("llama2-hfrm-");
  for (const src of [fixture("reward", "hf-seqcls-32k"), fixture("tokenizer", "llama2-32k")])
    for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  return dir;
}

interface HfFixture {
  transformers_class: string;
  ids: number[][];
  scores: number[];
  eval: { n: number; accuracy: number; loss: number; mean_margin: number;
    by_rating: Record<string, { n: number; accuracy: number | null }>; by_safety: Record<string, { n: number; accuracy: number | null }> };
}

test("an HF sequence-classification checkpoint (32k vocab): our chat ids and scores are transformers'", async () => {
  const want = JSON.parse(fs.readFileSync(fixture("reward", "hf-seqcls-32k.json"), "utf8")) as HfFixture;
  assert.equal(want.transformers_class, "LlamaForSequenceClassification");
  const dir = hfModelDir();
  const tok = await loadTokenizer(dir);
  assert.equal(tok.vocabSize, 32000);
  const { pairs } = tokenizePairs(tok, await readPreferences(fixture("reward", "pairs-32k.jsonl"), "small"), "small", 4096);
  const ours = pairs.flatMap((p) => [Array.from(p.chosen), Array.from(p.rejected)]);
  assert.deepEqual(ours, want.ids, "chosen/rejected token ids equal transformers' apply_chat_template");
  const model = await Llama.load(dir, { trainable: false });
  const s = scoreSequences(model, want.ids.map((x) => Int32Array.from(x)));
  let err = 0;
  for (let i = 0; i < s.length; i++) err = Math.max(err, Math.abs(s[i]! - want.scores[i]!));
  assert.ok(err <= 1e-4, `max |score - transformers| = ${err}`);
});

test("llama2 reward eval equals transformers' accuracy, loss and groups on the 32k fixture", () => {
  const want = (JSON.parse(fs.readFileSync(fixture("reward", "hf-seqcls-32k.json"), "utf8")) as HfFixture).eval;
  const got = llama2Json("reward", "eval", "--model", hfModelDir(), "--data", fixture("reward", "pairs-32k.jsonl"), "--json");
  assert.equal(got.n, want.n);
  assert.equal(got.accuracy, want.accuracy);
  assert.ok(Math.abs(got.loss - want.loss) <= 1e-5, `loss ${got.loss} vs ${want.loss}`);
  assert.ok(Math.abs(got.mean_margin - want.mean_margin) <= 1e-5, `mean margin ${got.mean_margin} vs ${want.mean_margin}`);
  assert.deepEqual(got.by_rating, want.by_rating);
  assert.deepEqual(got.by_safety, want.by_safety);
});

test("a reward model trained here loads in transformers and scores the same ids the same (<= 1e-4)", async () => {
  // rm-trained-here/ is `llama2 reward train`'s OUT/final (scripts/make-reward-fixture.ts); transformers'
  // view of it comes from scripts/reference/check_reward_model.py.
  const hf = JSON.parse(fs.readFileSync(fixture("reward", "rm-trained-here-hf.json"), "utf8"));
  const ours = JSON.parse(fs.readFileSync(fixture("reward", "rm-trained-here-ours.json"), "utf8")) as { ids: number[][]; scores: number[] };
  assert.equal(hf.transformers_class, "LlamaForSequenceClassification");
  assert.equal(hf.num_labels, 1);
  assert.equal(hf.pad_token_id, 0);
  assert.equal(hf.template_ids_equal, true, "transformers' apply_chat_template gives the ids our reader gives");
  const dir = fixture("reward", "rm-trained-here");
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
  assert.deepEqual(hf.llama2_reward_stats, cfg.llama2_reward_stats, "transformers kept llama2_reward_stats");
  // Our scores now (this build) on the same ids, against transformers'.
  const model = await Llama.load(dir, { trainable: false });
  const now = scoreSequences(model, ours.ids.map((x) => Int32Array.from(x)));
  let err = 0;
  for (let i = 0; i < now.length; i++) err = Math.max(err, Math.abs(now[i]! - hf.scores[i]!));
  assert.ok(err <= 1e-4, `max |ours - transformers| = ${err}`);
  assert.ok(Math.max(...hf.scores) - Math.min(...hf.scores) > 1e-2, "the scores differ between sequences (a real check)");
  // The ids are the chat rendering our reader produces for the pairs file.
  const tok = await loadTokenizer(dir);
  const { pairs } = tokenizePairs(tok, await readPreferences(fixture("reward", "rm-trained-here-pairs.jsonl"), "small"), "small", 512);
  assert.deepEqual(pairs.flatMap((p) => [Array.from(p.chosen), Array.from(p.rejected)]), ours.ids);
});
