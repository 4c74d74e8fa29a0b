// src/recipes/reward.ts end to end on the tiny world model: OUT/final is an HF sequence-classification
// directory exactly as issue 12 lists (score.weight, num_labels 1, pad_token_id 0, tokenizer files with
// the chat template, llama2_reward_stats), a stopped-and-resumed run equals an uninterrupted one bit for
// bit, the pairwise gradient through the whole model matches central differences, and config errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Llama } from "../../src/model/llama.js";
import { loadRewardConfig, rewardModelFrom, rewardStats, runReward } from "../../src/recipes/reward.js";
import { RewardTask, packPairs, scorePairs } from "../../src/recipes/reward-task.js";
import { MixtureSampler } from "../../src/data/preference-mixture.js";
import { readPreferences, tokenizePairs } from "../../src/data/preferences.js";
import { loadTokenizer } from "../../src/tokenizer/resolve.js";
import type { MetricsLine } from "../../src/train/metrics-log.js";
import { tinyWorld, tinyWorldModel } from "../helpers/tiny-world.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = (): string => tempDir("llama2-reward-");

/** The first n rows of the world's helpfulness preferences. */
function smallPrefs(n: number, name = "prefs_helpful_train.jsonl"): string {
  const lines = fs.readFileSync(path.join(tinyWorld(), name), "utf8").split("\n").filter(Boolean).slice(0, n);
  const f = path.join(tmp(), name);
  fs.writeFileSync(f, lines.join("\n") + "\n");
  return f;
}

const base = (data: string, out: string, extra: string[] = []): string[] => [
  `model=${tinyWorldModel()}`, `data=${data}`, `out=${out}`, "preset=small", "pairs_per_step=8", "batch_pairs=4",
  "threads=1", "save_every=0", ...extra,
];

test("reward train writes OUT/final as transformers' LlamaForSequenceClassification with reward stats", async () => {
  const data = smallPrefs(24), out = tmp();
  const r = await runReward(loadRewardConfig(undefined, base(data, out, ["max_steps=2"])), null, { progress: false });
  assert.equal(r.stopped, "done");
  const final = path.join(out, "final");
  assert.equal(r.final, final);
  const cfg = JSON.parse(fs.readFileSync(path.join(final, "config.json"), "utf8"));
  assert.deepEqual(cfg.architectures, ["LlamaForSequenceClassification"]);
  assert.equal(cfg.num_labels, 1);
  assert.deepEqual(cfg.id2label, { 0: "LABEL_0" });
  assert.equal(cfg.pad_token_id, 0);
  assert.notEqual(cfg.pad_token_id, cfg.eos_token_id);
  assert.equal(cfg.llama2_reward_stats.n, 48, "both sequences of 24 pairs");
  assert.ok(cfg.llama2_reward_stats.std > 0 && Number.isFinite(cfg.llama2_reward_stats.mean));
  for (const f of ["model.safetensors", "tokenizer.json", "tokenizer_config.json"]) assert.ok(fs.existsSync(path.join(final, f)), f);
  assert.match(JSON.parse(fs.readFileSync(path.join(final, "tokenizer_config.json"), "utf8")).chat_template, /\[INST\]/);
  const m = await Llama.load(final);
  assert.equal(m.head, "score");
  assert.deepEqual(m.weights.score!.weight.shape, [1, m.config.hiddenSize]);
  // The stats are the raw scores of the saved model on the training pairs.
  const tok = await loadTokenizer(final);
  const { pairs } = tokenizePairs(tok, await readPreferences(data, "small"), "small", 512);
  const s = scorePairs(m, pairs);
  const all = [...s.chosen, ...s.rejected];
  const mean = all.reduce((a, b) => a + b, 0) / all.length;
  assert.ok(Math.abs(mean - cfg.llama2_reward_stats.mean) < 1e-5, `${mean} vs ${cfg.llama2_reward_stats.mean}`);
  // Past maxPairs the stats sample every k-th pair: 24 pairs, at most 6 -> pairs 0, 4, ..., 20.
  const sampled = rewardStats(m, [pairs.slice(0, 12), pairs.slice(12)], 6);
  const picked = [0, 4, 8, 12, 16, 20].flatMap((i) => [s.chosen[i]!, s.rejected[i]!]);
  assert.equal(sampled.n, 12);
  assert.ok(Math.abs(sampled.mean - picked.reduce((a, b) => a + b, 0) / 12) < 1e-5, `${sampled.mean}`);
});

test("a run stopped after step 2 and resumed equals the uninterrupted run exactly", async () => {
  const data = smallPrefs(20); // 20 pairs, 8 a step: the 3rd step crosses into epoch 2
  const straight = tmp(), split = tmp();
  const lines = (dir: string): MetricsLine[] => fs.readFileSync(path.join(dir, "metrics.jsonl"), "utf8").trim().split("\n")
    .map((l) => JSON.parse(l) as MetricsLine).filter((l) => typeof l.loss === "number");
  await runReward(loadRewardConfig(undefined, base(data, straight, ["max_steps=4", "epochs=2"])), null, { progress: false });
  let trainer: { requestStop(): void } | null = null;
  const first = await runReward(loadRewardConfig(undefined, base(data, split, ["max_steps=4", "epochs=2"])), null, {
    progress: false, onTrainer: (t) => { trainer = t; }, onStep: (m) => { if (m.step === 2) trainer!.requestStop(); },
  });
  assert.equal(first.stopped, "requested");
  assert.equal(first.final, null, "no final/ for an unfinished run");
  const { loadRewardResumeConfig } = await import("../../src/recipes/reward.js");
  const ckpt = path.join(split, "checkpoint-2");
  await runReward(loadRewardResumeConfig(ckpt, [`out=${split}`]), ckpt, { progress: false });
  assert.deepEqual(lines(split).map((l) => l.loss), lines(straight).map((l) => l.loss));
  const a = await Llama.load(path.join(straight, "final")), b = await Llama.load(path.join(split, "final"));
  for (let i = 0; i < a.params.length; i++) assert.deepEqual(b.params[i]!.data, a.params[i]!.data, a.params[i]!.name);
});

test("the pairwise gradient through the model matches central differences", async () => {
  const data = smallPrefs(3);
  const tok = await loadTokenizer(tinyWorldModel());
  const { pairs } = tokenizePairs(tok, await readPreferences(data, "small"), "small", 512);
  const model = rewardModelFrom(tinyWorldModel(), 5, 0.2);
  const task = new RewardTask(model, [pairs], new MixtureSampler([pairs.length], [1], 1), 3, 0, null);
  const batch = task.nextBatch();
  model.zeroGrads();
  const loss = (): number => {
    const out = model.forward(batch.ids, batch.B, batch.T, batch.layout);
    let s = 0;
    for (let i = 0; i < batch.chosenAt.length; i++) {
      const d = out[batch.chosenAt[i]!]! - out[batch.rejectedAt[i]!]! - batch.margins[i]!;
      s += Math.log1p(Math.exp(-d));
    }
    return s / 3;
  };
  task.forwardBackward(batch, 1 / 3);
  const probe: [string, number][] = [["score.weight", 5], ["score.weight", 17], ["model.norm.weight", 3],
    ["model.layers.3.mlp.down_proj.weight", 101], ["model.embed_tokens.weight", batch.ids[2]! * 64 + 7]];
  for (const [name, i] of probe) {
    const p = model.params.find((q) => q.name === name)!;
    const g = p.grad![i]!, x0 = p.data[i]!, h = 3e-2; // float32 forward: a smaller h drowns in rounding
    p.data[i] = x0 + h; const lp = loss();
    p.data[i] = x0 - h; const lm = loss();
    p.data[i] = x0;
    const num = (lp - lm) / (2 * h);
    assert.ok(Math.abs(g - num) <= 1e-2 * Math.abs(num) + 3e-5, `${name}[${i}]: ${g} vs ${num}`);
  }
});

test("chosen and rejected share one packed forward whose scores equal scoring each sequence alone", async () => {
  const data = smallPrefs(5);
  const tok = await loadTokenizer(tinyWorldModel());
  const { pairs } = tokenizePairs(tok, await readPreferences(data, "small"), "small", 512);
  const b = packPairs(pairs);
  const real = pairs.reduce((a, p) => a + p.chosen.length + p.rejected.length, 0);
  assert.equal(b.tokens, real);
  assert.equal(b.T, Math.max(...pairs.flatMap((p) => [p.chosen.length, p.rejected.length])), "rows as long as the longest sequence");
  assert.ok(b.B < 2 * pairs.length, `best-fit shares rows (${b.B} rows for ${2 * pairs.length} sequences)`);
  for (const at of [...b.chosenAt, ...b.rejectedAt]) assert.equal(b.ids[at], tok.eosId, "each score is read at a </s>");
  const firstOfRow = b.layout.pos!.filter((x, i) => x === 0 && i % b.T !== 0).length;
  assert.ok(firstOfRow >= 2 * pairs.length - b.B, "positions restart at each packed sequence");
  const model = rewardModelFrom(tinyWorldModel(), 3, 0.5);
  const packed = scorePairs(model, pairs, 5);
  for (let i = 0; i < pairs.length; i++) for (const [seq, got] of [[pairs[i]!.chosen, packed.chosen[i]!], [pairs[i]!.rejected, packed.rejected[i]!]] as const) {
    const alone = model.forward(seq, 1, seq.length);
    assert.ok(Math.abs(alone[seq.length - 1]! - got) < 1e-5, `pair ${i}: ${alone[seq.length - 1]} vs ${got}`);
  }
});

test("config errors name the key; data takes a JSON list of {path, weight} through --set", () => {
  assert.throws(() => loadRewardConfig(undefined, ["data=a.jsonl", "out=o"]), /key "model" is required/);
  assert.throws(() => loadRewardConfig(undefined, ["model=m", "out=o"]), /key "data" is required/);
  assert.throws(() => loadRewardConfig(undefined, ["model=m", "data=a", "out=o", "margin=huge"]), /expected one of none, small, large/);
  assert.throws(() => loadRewardConfig(undefined, ["model=m", "data=a", "out=o", "pairs_per_step=10", "batch_pairs=4"]), /multiple of batch_pairs/);
  assert.throws(() => loadRewardConfig(undefined, ["model=m", 'data=[{"path":"a","weight":-2}]', "out=o"]), /"weight" must be a number >= 0/);
  const c = loadRewardConfig(undefined, ["model=m", 'data=[{"path":"a","weight":0.1},"b"]', "out=o"]);
  assert.deepEqual(c.data, [{ path: path.resolve("a"), weight: 0.1 }, path.resolve("b")], "paths stored absolute (issue 10)");
  assert.equal(c.margin, "small", "the default margin is small (Table 27)");
});
