// trainReward() and evaluateReward() from the public API (src/index.ts): a partial config over the
// schema defaults, progress per step, an AbortSignal that stops with a checkpoint, resume from it,
// and the eval result equal to what `llama2 reward eval` computes.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { trainReward, evaluateReward } from "../../src/index.js";
import { tinyWorld, tinyWorldModel } from "../helpers/tiny-world.js";
import { llama2Json } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

test("trainReward trains from a partial config, aborts with a checkpoint, resumes, and evaluateReward reports it", async () => {
  const dir = tempDir("llama2-api-rm-");
  const lines = fs.readFileSync(path.join(tinyWorld(), "prefs_helpful_train.jsonl"), "utf8").split("\n").filter(Boolean).slice(0, 12);
  const data = path.join(dir, "p.jsonl");
  fs.writeFileSync(data, lines.join("\n") + "\n");
  const out = path.join(dir, "run");
  const ac = new AbortController();
  const steps: number[] = [];
  const config = { model: tinyWorldModel(), data: [{ path: data, weight: 1 }], out, preset: "small" as const, pairs_per_step: 4,
    batch_pairs: 4, max_steps: 3, threads: 1, save_every: 0 };
  const first = await trainReward(config, { signal: ac.signal, onProgress: (p) => { steps.push(p.step); if (p.step === 1) ac.abort(); } });
  assert.equal(first.stopped, "aborted");
  assert.equal(first.final, null);
  assert.ok(first.checkpoint?.endsWith("checkpoint-1"));
  const done = await trainReward({}, { resume: out, onProgress: (p) => steps.push(p.step) });
  assert.equal(done.stopped, "done");
  assert.deepEqual(steps, [1, 2, 3]);
  assert.equal(done.stats?.n, 24);
  const r = await evaluateReward(done.final!, data, { margin: "large" });
  assert.deepEqual(r, llama2Json("reward", "eval", "--model", done.final!, "--data", data, "--margin", "large", "--json"));
});

test("trainReward({...}, {overwrite: true}) starts over in a directory holding another run, as --overwrite, and says so through onLog", async (t) => {
  const dir = tempDir("llama2-api-rm-ow-", t);
  const lines = fs.readFileSync(path.join(tinyWorld(), "prefs_helpful_train.jsonl"), "utf8").split("\n").filter(Boolean).slice(0, 8);
  const data = path.join(dir, "p.jsonl");
  fs.writeFileSync(data, lines.join("\n") + "\n");
  const out = path.join(dir, "run");
  const config = { model: tinyWorldModel(), data, out, preset: "small" as const, pairs_per_step: 4, batch_pairs: 4, max_steps: 1, threads: 1, save_every: 0 };
  await trainReward(config);
  await assert.rejects(trainReward(config), /holds another run/);
  const notes: string[] = [];
  const again = await trainReward(config, { overwrite: true, onLog: (m) => notes.push(m) });
  assert.equal(again.stopped, "done");
  assert.ok(notes.some((n) => /--overwrite: cleared/.test(n)), notes.join("\n"));
});
