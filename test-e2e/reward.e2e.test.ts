// End-to-end quality of the reward models on the world (issue 12), from the committed tiny pretrained
// world model with `preset: small`, one epoch: the safety RM (configs/reward-safety-world.yaml's mixture)
// must separate safe from unsafe responses and rank every "only chosen safe" pair correctly; a
// helpfulness RM on the helpfulness pairs must beat chance clearly on held-out pairs. Measured on the
// loaded 2-core machine: safety AUC 0.99999, only_chosen_safe 100%; helpfulness 69% (README "Reward models").
// Budget: about 4 minutes of CPU on 2 cores.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadRewardConfig, runReward } from "../src/recipes/reward.js";
import { Llama } from "../src/model/llama.js";
import { loadTokenizer } from "../src/tokenizer/resolve.js";
import { readPreferences, tokenizePairs } from "../src/data/preferences.js";
import { scorePairs } from "../src/recipes/reward-task.js";
import { pairMetrics } from "../src/recipes/reward-eval.js";
import { tinyWorld, tinyWorldModel } from "../test/helpers/tiny-world.js";

async function scored(dir: string, file: string) {
  const model = await Llama.load(dir, { trainable: false });
  const { pairs } = tokenizePairs(await loadTokenizer(dir), await readPreferences(file, "small"), "small", 512);
  const s = scorePairs(model, pairs, 16);
  return { pairs, s, m: pairMetrics(pairs, s) };
}

test("the safety RM separates safe from unsafe responses; the helpfulness RM beats chance on held-out pairs", async () => {
  const world = tinyWorld(), out = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-reward-"));
  const w = (f: string): string => path.join(world, f);
  const safety = await runReward(loadRewardConfig(undefined, [`model=${tinyWorldModel()}`,
    `data=[{"path":"${w("prefs_safety_train.jsonl")}","weight":1},{"path":"${w("prefs_helpful_train.jsonl")}","weight":0.074}]`,
    `out=${path.join(out, "rm-safety")}`, "preset=small", "save_every=0"]), null, {});
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
  const ht = await scored(helpful.final!, w("prefs_helpful_test.jsonl"));
  console.log(`helpfulness RM: ${JSON.stringify(ht.m)}`);
  assert.ok(ht.m.accuracy >= 0.6, `accuracy ${ht.m.accuracy}`);
  assert.ok(ht.m.by_rating.significantly_better.accuracy! >= 0.65, `significantly_better ${ht.m.by_rating.significantly_better.accuracy}`);
});
