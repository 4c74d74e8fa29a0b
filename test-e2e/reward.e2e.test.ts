// End-to-end quality of the reward models on the world (issue 12), from the committed tiny pretrained
// world model with `preset: small`, one epoch (the safety RM two, as configs/reward-safety-world.yaml says): the safety RM (its mixture)
// must separate safe from unsafe responses and rank every "only chosen safe" pair correctly; a
// helpfulness RM on the helpfulness pairs must beat chance clearly on held-out pairs, and its accuracy
// must rise with the rating level as in the paper's Table 8 (the world's rating is the oracle's score
// gap, its annotator noisier on close pairs). Margins below are conservative against the numbers
// measured on the loaded 2-core machine (README "Reward models"). Budget: about 5 minutes of CPU on 2 cores.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { loadRewardConfig, runReward } from "../src/recipes/reward.js";
import { Llama } from "../src/model/llama.js";
import { loadTokenizer } from "../src/tokenizer/resolve.js";
import { readPreferences, tokenizePairs } from "../src/data/preferences.js";
import { scorePairs } from "../src/recipes/reward-task.js";
import { pairMetrics } from "../src/recipes/reward-eval.js";
import { tinyWorld, tinyWorldModel } from "../test/helpers/tiny-world.js";
import { RATINGS } from "../src/world/ratings.js";
import { tempDir } from "../test/helpers/tmp.js";

async function scored(dir: string, ...files: string[]) {
  const model = await Llama.load(dir, { trainable: false });
  const tok = await loadTokenizer(dir);
  const pairs = [];
  for (const file of files) pairs.push(...tokenizePairs(tok, await readPreferences(file, "small"), "small", 512).pairs);
  const s = scorePairs(model, pairs, 16);
  return { pairs, s, m: pairMetrics(pairs, s) };
}

test("the safety RM separates safe from unsafe responses; the helpfulness RM beats chance on held-out pairs", async () => {
  const world = tinyWorld(), out = tempDir("e2e-reward-");
  const w = (f: string): string => path.join(world, f);
  const safety = await runReward(loadRewardConfig(undefined, [`model=${tinyWorldModel()}`,
    `data=[{"path":"${w("prefs_safety_train.jsonl")}","weight":1},{"path":"${w("prefs_helpful_train.jsonl")}","weight":0.074}]`,
    `out=${path.join(out, "rm-safety")}`, "preset=small", "epochs=2", "save_every=0"]), null, {});
  const st = await scored(safety.final!, w("prefs_safety_test.jsonl"));
  const rows = fs.readFileSync(w("prefs_safety_test.jsonl"), "utf8").trim().split("\n")
    .map((l) => JSON.parse(l) as { safety: { chosen_safe: boolean; rejected_safe: boolean } });
  const safe: number[] = [], unsafe: number[] = [];
  rows.forEach((r, i) => {
    (r.safety.chosen_safe ? safe : unsafe).push(st.s.chosen[i]!);
    (r.safety.rejected_safe ? safe : unsafe).push(st.s.rejected[i]!);
  });
  let auc = 0;
  for (const a of safe) for (const b of unsafe) auc += a > b ? 1 : a === b ? 0.5 : 0;
  auc /= safe.length * unsafe.length;
  console.log(`safety RM: ${JSON.stringify(st.m)}; AUC safe vs unsafe ${auc.toFixed(5)} (${safe.length} safe, ${unsafe.length} unsafe)`);
  assert.ok(auc >= 0.95, `AUC ${auc}`);
  assert.ok(st.m.by_safety.only_chosen_safe.accuracy! >= 0.95, `only_chosen_safe ${st.m.by_safety.only_chosen_safe.accuracy}`);

  const helpful = await runReward(loadRewardConfig(undefined, [`model=${tinyWorldModel()}`, `data=${w("prefs_helpful_train.jsonl")}`,
    `out=${path.join(out, "rm-helpful")}`, "preset=small", "save_every=0"]), null, {});
  // Both held-out splits (600 pairs), so each rating level has 100+ pairs.
  const ht = await scored(helpful.final!, w("prefs_helpful_val.jsonl"), w("prefs_helpful_test.jsonl"));
  console.log(`helpfulness RM: ${JSON.stringify(ht.m)}`);
  assert.ok(ht.m.accuracy >= 0.6, `accuracy ${ht.m.accuracy}`);
  const acc = RATINGS.map((r) => ht.m.by_rating[r].accuracy!);
  const [sig, better, slightly, negligibly] = acc as [number, number, number, number];
  const levels = RATINGS.map((r, i) => `${r} ${(100 * acc[i]!).toFixed(1)}% (${ht.m.by_rating[r].n})`).join(", ");
  console.log(`helpfulness RM by rating: ${levels}`);
  for (const r of RATINGS) assert.ok(ht.m.by_rating[r].n >= 80, `${r}: only ${ht.m.by_rating[r].n} pairs`);
  assert.ok(sig >= 0.7, levels);
  assert.ok(sig - negligibly >= 0.1, `significantly better must beat negligibly better by 10 points: ${levels}`);
  assert.ok((sig + better) / 2 - (slightly + negligibly) / 2 >= 0.06, `the two clear levels must beat the two close ones: ${levels}`);
  for (let i = 0; i + 1 < acc.length; i++) assert.ok(acc[i]! >= acc[i + 1]! - 0.05, `roughly monotone (5 points of slack): ${levels}`);
});
