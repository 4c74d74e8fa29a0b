// Issue 10 item 6: ranges are validated, each error naming the key and, in a file, its line; a
// tokenizer path that does not exist is an error; --resume refuses architecture changes; the saved
// config stores paths absolute, so a run resumes the same from any working directory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { loadPretrainConfig } from "../../src/recipes/pretrain.js";
import { loadSftConfig } from "../../src/recipes/sft.js";
import { loadGattConfig } from "../../src/recipes/gatt.js";
import { loadRewardConfig } from "../../src/recipes/reward.js";
import { inRange, loadConfig } from "../../src/train/config.js";
import { ADAMW_SCHEMA, OPTIM_SCHEMA } from "../../src/recipes/optimizer-config.js";
import { PPO_SCHEMA, type PpoConfig } from "../../src/recipes/ppo-config.js";
import { readTrainerState } from "../../src/train/checkpoint.js";
import { fixture } from "../helpers/fixtures.js";
import { llama2 } from "../helpers/cli.js";
import { makeDataset, syntheticCorpus, tinySets, tmpDir } from "./helpers.js";

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/cli/main.js");

test("range notation: [a, b) (a, b] > >= and infinities", () => {
  assert.ok(inRange(0, "[0, 1)") && !inRange(1, "[0, 1)") && inRange(0.999, "[0, 1)"));
  assert.ok(!inRange(0, "(0, 1]") && inRange(1, "(0, 1]"));
  assert.ok(inRange(0, ">= 0") && !inRange(0, "> 0") && inRange(1e-12, "> 0") && !inRange(0, ">= 1"));
  assert.ok(inRange(5, "[0, inf)") && inRange(-3, "(-inf, 0]"));
});

test("each optimizer/schedule key out of range is an error naming the key, and its line in a file", () => {
  const bad: [string, string, RegExp][] = [
    ["beta1", "1", /must be in \[0, 1\), got 1/], ["beta2", "-0.1", /must be in \[0, 1\), got -0.1/], ["eps", "0", /must be > 0, got 0/],
    ["weight_decay", "-0.01", /must be >= 0, got -0.01/], ["grad_clip", "-1", /must be >= 0, got -1/],
    ["min_lr_ratio", "1.5", /must be in \[0, 1\], got 1.5/], ["log_every", "0", /must be >= 1, got 0/], ["lr", "0", /must be > 0, got 0/],
  ];
  const dir = tmpDir("ranges-");
  for (const [key, value, why] of bad) {
    assert.throws(() => loadPretrainConfig(undefined, ["data=x", "out=y", `${key}=${value}`]),
      (e: Error) => e.message.startsWith(`--set ${key}: `) && why.test(e.message), `${key}=${value}`);
    const file = path.join(dir, `${key}.yaml`);
    fs.writeFileSync(file, `# a config\ndata: x\nout: y\n\n${key}: ${value}\n`);
    assert.throws(() => loadPretrainConfig(file, []), (e: Error) => e.message.startsWith(`${file}:5: key "${key}": `) && why.test(e.message), e2s(key));
  }
  for (const ok of ["beta1=0", "beta2=0.999", "min_lr_ratio=0", "min_lr_ratio=1", "grad_clip=0", "weight_decay=0"])
    loadPretrainConfig(undefined, ["data=x", "out=y", ok]);
});

test("every training recipe takes the one optimizer block: the same keys refused the same way, the recipe's own defaults", () => {
  const ppo = (file: string | undefined, sets: string[]): PpoConfig => loadConfig<PpoConfig>(PPO_SCHEMA, file, sets);
  const recipes: [string, (f: string | undefined, s: string[]) => unknown, string[], string[]][] = [
    ["sft", loadSftConfig, ["model=m", "data=d", "out=o"], [...Object.keys(OPTIM_SCHEMA)]],
    ["gatt", loadGattConfig, ["model=m", "dialogues=d", "out=o"], [...Object.keys(OPTIM_SCHEMA)]],
    ["reward", loadRewardConfig, ["model=m", "data=d", "out=o"], [...Object.keys(OPTIM_SCHEMA)]],
    ["ppo", ppo, ["policy=p", "prompts=q", "out=o", "reward_helpful=r"], ["lr", ...Object.keys(ADAMW_SCHEMA)]],
  ];
  const bad: Record<string, string> = { beta1: "1", beta2: "-0.1", eps: "0", weight_decay: "-0.01", grad_clip: "-1", min_lr_ratio: "1.5", lr: "0", warmup: "-1", schedule: "linear" };
  for (const [name, load, base, keys] of recipes)
    for (const key of keys)
      assert.throws(() => load(undefined, [...base, `${key}=${bad[key]}`]), (e: Error) => e.message.startsWith(`--set ${key}: `), `${name} ${key}=${bad[key]}`);
  // Each recipe's defaults (paper values) survive the shared block.
  const sft = loadSftConfig(undefined, ["model=m", "data=d", "out=o"]), rm = loadRewardConfig(undefined, ["model=m", "data=d", "out=o"]);
  const p = ppo(undefined, ["policy=p", "prompts=q", "out=o", "reward_helpful=r"]), pre = loadPretrainConfig(undefined, ["data=x", "out=y"]);
  assert.deepEqual([pre.lr, pre.warmup, sft.lr, sft.warmup, rm.lr, rm.warmup, p.lr], [3e-4, 2000, 2e-5, 0, null, null, 1e-6]);
  for (const c of [pre, sft, rm, p]) assert.deepEqual([c.beta1, c.beta2, c.eps, c.weight_decay, c.grad_clip], [0.9, 0.95, 1e-5, 0.1, 1]);
});

function e2s(k: string): string {
  return `file error for ${k}`;
}

test("sampling options out of range are errors naming the key (generate)", () => {
  const lm = fixture("models", "llama-gqa");
  for (const [flag, value, why] of [["--top-p", "0", /top_p must be in \(0, 1\], got 0/], ["--top-p", "1.5", /top_p must be in \(0, 1\], got 1.5/],
    ["--top-k", "-2", /top_k must be an integer >= 0, got -2/], ["--temperature", "-1", /temperature must be >= 0, got -1/]] as const) {
    const r = llama2("generate", "--model", lm, "--ids", "1,2,3", flag, value, "--max-new-tokens", "2");
    assert.equal(r.status, 1, `${flag} ${value}: ${r.stderr}`);
    assert.match(r.stderr, why);
  }
});

test("a tokenizer path that does not exist is an error, not a checkpoint without a tokenizer", () => {
  assert.throws(() => loadPretrainConfig(undefined, ["data=x", "out=y", "tokenizer=/no/such/tokenizer"]),
    /key "tokenizer": \/no\/such\/tokenizer does not exist/);
  // The same in every recipe that takes tokenizer= (it used to fail later, for reward train with a hint about --ids).
  const sft = ["model=m", "data=d.jsonl", "out=o", "tokenizer=/no/such/tokenizer"];
  for (const load of [() => loadSftConfig(undefined, sft), () => loadGattConfig(undefined, ["model=m", "dialogues=d.jsonl", "out=o", "tokenizer=/no/such/tokenizer"]),
    () => loadRewardConfig(undefined, sft)])
    assert.throws(load, { message: '--set: key "tokenizer": /no/such/tokenizer does not exist (a tokenizer directory with tokenizer.json or tokenizer.model)' });
});

test("saved configs hold absolute paths; --resume works from another directory and refuses architecture changes", async () => {
  const data = await makeDataset(syntheticCorpus(120));
  const base = tmpDir("abs-");
  fs.mkdirSync(path.join(base, "elsewhere"));
  // Relative data= and out=, resolved against the working directory of the first run.
  const rel = (p: string): string => path.relative(base, p);
  const sets = tinySets(rel(data), "runs/a", ["max_steps=2", "save_every=2"]).flatMap((s) => ["--set", s]);
  const first = spawnSync(process.execPath, [cli, "pretrain", "--quiet", ...sets], { cwd: base, encoding: "utf8" });
  assert.equal(first.status, 0, first.stderr);
  const run = path.join(base, "runs", "a");
  const saved = YAML.parse(fs.readFileSync(path.join(run, "config.yaml"), "utf8")) as { data: string; out: string };
  assert.equal(saved.data, data);
  assert.equal(saved.out, run);
  assert.equal(readTrainerState(path.join(run, "checkpoint-2")).config.data, data);

  const arch = spawnSync(process.execPath, [cli, "pretrain", "--quiet", "--resume", run, "--set", "model.hidden_size=64"], { cwd: path.join(base, "elsewhere"), encoding: "utf8" });
  assert.equal(arch.status, 1);
  assert.match(arch.stderr, /--set model\.hidden_size=64: --resume cannot change model\.hidden_size, the model's architecture \(a new run can start from a checkpoint's weights with model\.init_from=CHECKPOINT\) \(the checkpoint .*checkpoint-2 has model\.hidden_size: 32, this gives 64\)/);

  const again = spawnSync(process.execPath, [cli, "pretrain", "--quiet", "--resume", run, "--set", "max_steps=3"], { cwd: path.join(base, "elsewhere"), encoding: "utf8" });
  assert.equal(again.status, 0, again.stderr);
  assert.ok(fs.existsSync(path.join(run, "checkpoint-3")), "resumed in the same run directory, not in elsewhere/runs/a");
  assert.ok(!fs.existsSync(path.join(base, "elsewhere", "runs")));
});
