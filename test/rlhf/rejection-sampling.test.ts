// Rejection sampling on the committed tiny world model with untrained reward heads (mechanics, not quality):
// the layout and rows the issue names, best.jsonl = best of ALL iterations so far, curve.json's max never
// falls with K, and a run stopped after iteration 1 and resumed (also into another directory) is identical.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { tinyWorld, tinyWorldModel, untrainedRewardModels } from "../helpers/tiny-world.js";
import { runRejectionSampling, poolBest, rewardCurve, type SampleRow } from "../../src/recipes/rejection-sampling.js";
import { RS_SCHEMA, type RsConfig } from "../../src/recipes/rejection-sampling-config.js";
import { defaults, mergeObject } from "../../src/train/config.js";
import { llama2 } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

const work = tempDir("rs-");
let cfgBase: Record<string, unknown>;

before(async () => {
  const world = await tinyWorld();
  const model = tinyWorldModel();
  const rm = await untrainedRewardModels(work);
  cfgBase = {
    policy: model, reward_helpful: rm.helpful, reward_safety: rm.safety,
    prompts: path.join(world, "prompts_train.jsonl"), iterations: 2, k: 3, temperature: [0.8, 1.2], max_new_tokens: 12,
    max_prompts: 6, batch_size: 8, seed: 5, sft: { max_steps: 2, batch_size: 2, grad_accum: 1, seq_len: 128 }, threads: 1,
  };
});

function cfg(out: string, extra: Record<string, unknown> = {}): RsConfig {
  const c = defaults(RS_SCHEMA);
  mergeObject(RS_SCHEMA, c, { ...cfgBase, out, ...extra }, "test");
  return c as unknown as RsConfig;
}

const read = (f: string): SampleRow[] => fs.readFileSync(f, "utf8").trim().split("\n").map((l) => JSON.parse(l) as SampleRow);

test("two iterations write the issue's layout; best.jsonl pools the best of every iteration; curve max never falls", async () => {
  const out = path.join(work, "a");
  const r = await runRejectionSampling(cfg(out));
  assert.equal(r.final, path.join(out, "final"));
  for (const n of [1, 2]) for (const f of ["samples.jsonl", "best.jsonl", "curve.json", "model/config.json", "model/model.safetensors"])
    assert.ok(fs.existsSync(path.join(out, `iteration-${n}`, f)), `iteration-${n}/${f}`);
  assert.ok(fs.existsSync(path.join(out, "final", "config.json")));
  const s1 = read(path.join(out, "iteration-1", "samples.jsonl")), s2 = read(path.join(out, "iteration-2", "samples.jsonl"));
  assert.equal(s1.length, 6 * 2 * 3);
  // prompt order, then sample order; every field the issue lists; no timings
  s1.forEach((row, i) => {
    assert.equal(row.prompt_index, Math.floor(i / 6));
    assert.equal(row.sample, i % 6);
    assert.equal(row.temperature, row.sample < 3 ? 0.8 : 1.2);
    assert.deepEqual(Object.keys(row).sort(), ["prompt", "prompt_index", "response", "reward", "reward_helpful", "reward_safety", "sample", "temperature"]);
    assert.ok(row.reward > 0 && row.reward < 1); // Rc is a probability with two RMs
  });
  const b2 = read(path.join(out, "iteration-2", "best.jsonl"));
  assert.equal(b2.length, 6);
  for (const b of b2) {
    const all = [...s1, ...s2].filter((s) => s.prompt_index === b.prompt_index).map((s) => s.reward);
    assert.equal(b.reward, Math.max(...all));
  }
  const curve = JSON.parse(fs.readFileSync(path.join(out, "iteration-1", "curve.json"), "utf8"));
  assert.deepEqual(curve.k, [1, 2, 3]);
  for (const T of ["0.8", "1.2"]) {
    const mx = curve.by_temperature[T].max as number[];
    for (let i = 1; i < mx.length; i++) assert.ok(mx[i]! >= mx[i - 1]!);
    assert.ok(curve.by_temperature[T].median.length === 3);
  }
});

test("a run stopped after iteration 1 and resumed (in place, and into another directory) is identical to the uninterrupted run", async () => {
  const a = path.join(work, "a");
  if (!fs.existsSync(path.join(a, "final"))) await runRejectionSampling(cfg(a));
  const b = path.join(work, "b");
  const stopped = await runRejectionSampling(cfg(b), { stopAfter: "sft" });
  assert.equal(stopped.final, "");
  assert.ok(!fs.existsSync(path.join(b, "iteration-2")));
  // resume into another directory through the CLI
  const c = path.join(work, "c");
  const r = llama2("rejection-sample", "--resume", b, "--set", `out=${c}`, "--quiet");
  assert.equal(r.status, 0, r.stderr);
  await runRejectionSampling(cfg(b), { resume: true }); // and in place
  for (const dir of [b, c]) {
    for (const f of ["iteration-1/samples.jsonl", "iteration-2/samples.jsonl", "iteration-2/best.jsonl", "iteration-2/curve.json", "final/model.safetensors"])
      assert.ok(fs.readFileSync(path.join(dir, f)).equals(fs.readFileSync(path.join(a, f))), `${dir}/${f}`);
  }
});

test("poolBest keeps the earlier row on a tie and takes a strictly better later one", () => {
  const row = (p: number, reward: number, iteration: number): SampleRow => ({ prompt: "q", prompt_index: p, sample: 0, temperature: 1, response: `r${iteration}`, reward, reward_helpful: null, reward_safety: null, iteration });
  const best = poolBest([row(0, 0.5, 1), row(1, 0.9, 1)], [row(0, 0.5, 2), row(1, 0.95, 2)], 2);
  assert.equal(best[0]!.iteration, 1);
  assert.equal(best[1]!.iteration, 2);
});

test("rewardCurve: mean over prompts of the max and the median of the first K samples", () => {
  // prompt A: 0.1, 0.5, 0.3; prompt B: 0.4, 0.2, 0.9
  // K=1: max (0.1+0.4)/2 = 0.25, median 0.25; K=2: max (0.5+0.4)/2 = 0.45, median ((0.3)+(0.3))/2 = 0.3
  // K=3: max (0.5+0.9)/2 = 0.7, median (0.3+0.4)/2 = 0.35
  const c = rewardCurve([[0.1, 0.5, 0.3], [0.4, 0.2, 0.9]], 3);
  const close = (a: number[], b: number[]) => a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-12, `${a} vs ${b}`));
  close(c.max, [0.25, 0.45, 0.7]);
  close(c.median, [0.25, 0.3, 0.35]);
});
