// A run that fails during setup (a starting model or reward model that does not load) leaves no empty OUT
// behind when it made OUT itself; a directory that was there before, or one the run wrote into, stays.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { openRunDir } from "../../src/train/run-dir.js";
import { gatt, pretrain, sft, trainReward } from "../../src/index.js";
import { ppo, rejectionSample } from "../../src/api/rlhf.js";
import { fixture } from "../helpers/fixtures.js";
import { tempDir } from "../helpers/tmp.js";

test("openRunDir: release() removes the directory it created when nothing was written there, and only then", (t) => {
  const w = tempDir("setup-fail-", t);
  const fresh = path.join(w, "fresh");
  openRunDir(fresh).release();
  assert.ok(!fs.existsSync(fresh), "made here, nothing written: removed with the lock");

  const wrote = path.join(w, "wrote");
  const r = openRunDir(wrote);
  fs.writeFileSync(path.join(wrote, "metrics.jsonl"), "");
  r.release();
  assert.deepEqual(fs.readdirSync(wrote), ["metrics.jsonl"], "written into: kept, lock gone");

  const before = path.join(w, "before");
  fs.mkdirSync(before);
  openRunDir(before).release();
  assert.ok(fs.existsSync(before), "an empty directory that was there before stays");
});

test("every training stage that fails loading its models leaves no OUT it made", async (t) => {
  const w = tempDir("setup-fail-", t);
  const notModel = path.join(w, "not-a-model");
  fs.mkdirSync(notModel);
  fs.writeFileSync(path.join(notModel, "README"), "not a model directory");
  const rows = path.join(w, "rows.jsonl"), prompts = path.join(w, "prompts.jsonl");
  fs.writeFileSync(rows, `${JSON.stringify({ prompt: "hi", response: "hello" })}\n`);
  fs.writeFileSync(prompts, `${JSON.stringify({ prompt: "hi" })}\n`);
  const policy = fixture("tiny-world");
  const stages: [string, (out: string) => Promise<unknown>][] = [
    ["sft", (out) => sft({ model: notModel, data: [rows], out })],
    ["gatt", (out) => gatt({ model: notModel, dialogues: [rows], out })],
    ["reward", (out) => trainReward({ model: notModel, data: rows, out })],
    ["pretrain", (out) => pretrain({ data: notModel, out })],
    // The policy loads; the reward model does not (RS and PPO wrote config.yaml before loading it).
    ["rejection-sample", (out) => rejectionSample({ policy, reward_helpful: notModel, prompts, out, threads: 1 })],
    ["ppo", (out) => ppo({ policy, reward_helpful: notModel, prompts, out, threads: 1 })],
  ];
  for (const [name, run] of stages) {
    const out = path.join(w, `out-${name}`);
    await assert.rejects(run(out), (e: Error) => e.message.includes(notModel), name);
    assert.ok(!fs.existsSync(out), `${name}: left ${out} (${fs.existsSync(out) ? fs.readdirSync(out).join(", ") : ""})`);
  }
});
