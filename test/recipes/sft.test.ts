import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Template } from "@huggingface/jinja";
import YAML from "yaml";
import { Llama } from "../../src/model/llama.js";
import { loadSftConfig, loadSftResumeConfig, runSft } from "../../src/recipes/sft.js";
import { stepsFor } from "../../src/recipes/sft-train.js";
import { LLAMA2_CHAT_TEMPLATE, renderChat, type ChatMessage } from "../../src/tokenizer/chat-template.js";
import { readMetrics } from "../../src/train/metrics-log.js";
import { resolveResume } from "../../src/train/checkpoint.js";
import { llama2 } from "../helpers/cli.js";
import { tinyWorld, tinyWorldModel } from "../helpers/tiny-world.js";
import { tempDir } from "../helpers/tmp.js";

function tmp(prefix: string): string {
  return tempDir(prefix);
}

/** The first n rows of the world's sft_train.jsonl in a directory of their own (no world.json: no closing eval). */
function sftRows(n: number): string {
  const lines = fs.readFileSync(path.join(tinyWorld(), "sft_train.jsonl"), "utf8").split("\n").slice(0, n);
  const f = path.join(tmp("sft-rows-"), "sft.jsonl");
  fs.writeFileSync(f, lines.join("\n") + "\n");
  return f;
}

const base = (data: string, out: string): string[] => [
  `model=${tinyWorldModel()}`, `data=${data}`, `out=${out}`, "batch_size=4", "grad_accum=2", "seq_len=192", "lr=1e-3", "threads=1",
];

async function weights(dir: string): Promise<Float32Array[]> {
  return (await Llama.load(dir)).params.map((p) => Float32Array.from(p.data));
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((x, k) => { for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - b[k]![i]!)); });
  return m;
}

test("llama2 sft runs with only model, data and out; defaults are the paper's; OUT/final is a chat-ready HF directory", async () => {
  const data = sftRows(16), out = path.join(tmp("sft-cli-"), "run");
  const r = llama2("sft", "--set", `model=${tinyWorldModel()}`, "--set", `data=${data}`, "--set", `out=${out}`,
    "--set", "max_steps=2", "--set", "batch_size=2", "--set", "grad_accum=2", "--quiet");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /finished at step 2/);
  const cfg = YAML.parse(fs.readFileSync(path.join(out, "config.yaml"), "utf8"));
  assert.equal(cfg.lr, 2e-5);
  assert.equal(cfg.epochs, 2);
  assert.equal(cfg.warmup, 0);
  assert.equal(cfg.weight_decay, 0.1);
  assert.equal(cfg.min_lr_ratio, 0.1);
  assert.equal(cfg.packing, true);
  assert.equal(cfg.schedule, "cosine");
  const final = path.join(out, "final");
  for (const f of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]) assert.ok(fs.existsSync(path.join(final, f)), f);
  const before = await weights(tinyWorldModel()), after = await weights(final);
  assert.ok(maxDiff(before, after) > 0, "the model changed");
  // Its chat template renders the Llama 2 format.
  const tc = JSON.parse(fs.readFileSync(path.join(final, "tokenizer_config.json"), "utf8"));
  const msgs: ChatMessage[] = [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }, { role: "user", content: "Bye" }];
  assert.equal(new Template(tc.chat_template).render({ messages: msgs, bos_token: "<s>", eos_token: "</s>" }), renderChat(msgs));
  assert.equal(renderChat(msgs), "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello </s><s>[INST] Bye [/INST]");
  assert.equal(typeof LLAMA2_CHAT_TEMPLATE, "string");
  // generate --chat loads it as it is.
  const g = llama2("generate", "--model", final, "--prompt", "Compute 2 + 3.", "--chat", "--greedy", "--max-new-tokens", "8", "--json");
  assert.equal(g.status, 0, g.stderr);
});

test("steps come from epochs counted in samples (batch_size × grad_accum); max_steps wins", () => {
  assert.equal(stepsFor({ max_steps: null, epochs: 2, batch_size: 4, grad_accum: 2 }, 40), 10);
  assert.equal(stepsFor({ max_steps: null, epochs: 2, batch_size: 4, grad_accum: 2 }, 41), 11);
  assert.equal(stepsFor({ max_steps: 3, epochs: 2, batch_size: 4, grad_accum: 2 }, 40), 3);
  const cfg = loadSftConfig(undefined, ["model=m", "data=a.jsonl,b.jsonl", "out=o"]);
  assert.deepEqual(cfg.data, [path.resolve("a.jsonl"), path.resolve("b.jsonl")], "paths stored absolute (issue 10)");
  assert.throws(() => loadSftConfig(undefined, ["data=a.jsonl", "out=o"]), /key "model" is required/);
  assert.throws(() => loadSftConfig(undefined, ["model=m", "out=o"]), /key "data" is required/);
  assert.throws(() => loadSftConfig(undefined, ["model=m", "data=a", "out=o", "batch_size=0"]), /batch_size/);
});

test("a YAML config may name one data file or a list", () => {
  const d = tmp("sft-yaml-");
  fs.writeFileSync(path.join(d, "one.yaml"), "model: m\ndata: a.jsonl\nout: o\n");
  fs.writeFileSync(path.join(d, "two.yaml"), "model: m\ndata:\n  - a.jsonl\n  - b.jsonl\nout: o\n");
  assert.deepEqual(loadSftConfig(path.join(d, "one.yaml"), []).data, [path.resolve("a.jsonl")]);
  assert.deepEqual(loadSftConfig(path.join(d, "two.yaml"), []).data, [path.resolve("a.jsonl"), path.resolve("b.jsonl")]);
});

test("an epoch of data trains each sample once: packing on and off give the same trajectory", async () => {
  const data = sftRows(16);
  const run = async (packing: boolean) => {
    const out = path.join(tmp("sft-pack-"), "run");
    const losses: number[] = [];
    const r = await runSft(loadSftConfig(undefined, [...base(data, out), `packing=${packing}`, "epochs=1"]), null, { progress: false, onStep: (m) => losses.push(m.loss as number) });
    assert.equal(r.step, 2); // 16 samples / (4 × 2)
    return { losses, w: await weights(r.final!) };
  };
  const a = await run(true), b = await run(false);
  a.losses.forEach((l, i) => assert.ok(Math.abs(l - b.losses[i]!) < 1e-5, `step ${i + 1}: ${l} vs ${b.losses[i]}`));
  assert.ok(maxDiff(a.w, b.w) < 1e-5, `weights differ by ${maxDiff(a.w, b.w)}`);
});

test("SFT resumes exactly (<= 1e-6 against the uninterrupted run)", async () => {
  const data = sftRows(24);
  const full = path.join(tmp("sft-full-"), "run");
  const fullLosses: number[] = [];
  const a = await runSft(loadSftConfig(undefined, [...base(data, full), "max_steps=4"]), null, { progress: false, onStep: (m) => fullLosses.push(m.loss as number) });
  assert.equal(a.step, 4);

  const part = path.join(tmp("sft-part-"), "run");
  const first = await runSft(loadSftConfig(undefined, [...base(data, part), "max_steps=4"]), null, {
    progress: false, onTrainer: (t) => { const orig = t.opts.onStep; t.opts.onStep = (m) => { orig?.(m); if (m.step === 2) t.requestStop(); }; },
  });
  assert.equal(first.step, 2);
  assert.equal(first.final, null, "a stopped run has no final model");
  assert.ok(!fs.existsSync(path.join(part, "final")));
  const { checkpoint, runDir } = resolveResume(part);
  const resumedLosses: number[] = [];
  const b = await runSft(loadSftResumeConfig(checkpoint, [`out=${runDir}`]), checkpoint, { progress: false, onStep: (m) => resumedLosses.push(m.loss as number) });
  assert.equal(b.step, 4);
  resumedLosses.forEach((l, i) => assert.ok(Math.abs(l - fullLosses[i + 2]!) <= 1e-6, `step ${i + 3}: ${l} vs ${fullLosses[i + 2]}`));
  const d = maxDiff(await weights(a.final!), await weights(b.final!));
  assert.ok(d <= 1e-6, `final weights differ by ${d}`);
  const m = readMetrics(path.join(part, "metrics.jsonl")).filter((x) => typeof x.loss === "number");
  assert.deepEqual(m.map((x) => x.step), [1, 2, 3, 4]);
});

test("bad SFT data stops the run before training, naming file:line and field", async () => {
  const d = tmp("sft-bad-");
  const f = path.join(d, "bad.jsonl");
  fs.writeFileSync(f, `${JSON.stringify({ messages: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }] })}\n${JSON.stringify({ messages: [{ role: "assistant", content: "b" }] })}\n`);
  const r = llama2("sft", "--set", `model=${tinyWorldModel()}`, "--set", `data=${f}`, "--set", `out=${path.join(d, "run")}`, "--quiet");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.jsonl:2: messages\[0\]\.role: is "assistant", expected "user"/);
  assert.ok(!fs.existsSync(path.join(d, "run", "checkpoint-1")));
});

test("llama2 pretrain accepts --set model=DIR as shorthand for model.init_from", async () => {
  const { loadPretrainConfig } = await import("../../src/recipes/pretrain.js");
  const cfg = loadPretrainConfig(undefined, ["data=d", "out=o", `model=${tinyWorldModel()}`]);
  assert.equal(cfg.model.init_from, tinyWorldModel());
  assert.equal(cfg.model.preset, "stories260K", "the section's other keys keep their defaults");
  const r = llama2("pretrain", "--set", "data=d", "--set", "out=o", "--set", "model=/some/dir", "--print-config");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /init_from: \/some\/dir/);
});

test("samples longer than seq_len are truncated at the end with a warning count", () => {
  const data = sftRows(12), out = path.join(tmp("sft-trunc-"), "run");
  const r = llama2("sft", "--set", `model=${tinyWorldModel()}`, "--set", `data=${data}`, "--set", `out=${out}`,
    "--set", "max_steps=1", "--set", "batch_size=4", "--set", "grad_accum=1", "--set", "seq_len=20", "--quiet");
  assert.equal(r.status, 0, r.stderr);
  const m = /warning: (\d+) of 12 samples are longer than seq_len 20 and were truncated at the end/.exec(r.stderr);
  assert.ok(m && Number(m[1]) > 0, r.stderr);
});
