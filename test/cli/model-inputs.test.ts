// Issue 10 items 2, 3, 5 as a user meets them, run as processes: the wrong model for the job, weights
// with NaN/Inf or an integer dtype, and inputs beyond the model's limits each stop with an error that
// says what is wrong and what fits, instead of printing numbers computed from nonsense.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Llama } from "../../src/model/llama.js";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors.js";
import { firstNonFinite, unravelIndex } from "../../src/model/tensor-checks.js";
import { fixture } from "../helpers/fixtures.js";
import { llama2, llama2Json } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

const lm = fixture("models", "llama-gqa"), rm = fixture("models", "llama-seqcls");
const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/cli/main.js");

function tmp(prefix: string): string {
  return tempDir(prefix);
}

/** A copy of model directory `src` whose model.safetensors is rewritten by `edit`. */
function copyWith(src: string, edit: (name: string, t: { shape: number[]; data: Float32Array }) => void,
  dtype?: (name: string) => "F32" | "I32"): string {
  const dir = tmp("model-");
  for (const f of fs.readdirSync(src)) if (!f.startsWith("expected")) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  const { tensors } = readSafetensors(path.join(src, "model.safetensors"));
  const list: [string, { shape: number[]; data: Float32Array }][] = [...tensors].map(([n, t]) => [n, { shape: t.shape, data: t.data }]);
  for (const [n, t] of list) edit(n, t);
  writeSafetensors(path.join(dir, "model.safetensors"), list, { dtype: dtype ?? (() => "F32") });
  return dir;
}

test("generate and score on a reward model, and reward score on a causal LM, say what the directory holds and which command fits", () => {
  const gen = llama2("generate", "--model", rm, "--ids", "1,5,9", "--max-new-tokens", "3");
  assert.equal(gen.status, 1, gen.stdout);
  assert.equal(gen.stdout, "", "no ids printed");
  assert.match(gen.stderr, new RegExp(`${rm} holds a sequence-classification \\(reward/value\\) model \\(LlamaForSequenceClassification, num_labels=1\\), ` +
    "but generate needs a causal language model \\(LlamaForCausalLM\\); use `llama2 reward score`"));
  const score = llama2("score", "--model", rm, "--ids", "1,5,9");
  assert.equal(score.status, 1);
  assert.match(score.stderr, /holds a sequence-classification .* but score needs a causal language model/);
  const reward = llama2("reward", "score", "--model", lm, "--ids", "1,5,9");
  assert.equal(reward.status, 1);
  assert.match(reward.stderr, new RegExp(`${lm} holds a causal language model \\(LlamaForCausalLM\\), but reward score needs a sequence-classification \\(reward\\) model.*llama2 score`));
});

test("a NaN in a weight stops loading naming the tensor and its first bad element; --allow-nonfinite loads it anyway", async () => {
  const bad = copyWith(lm, (n, t) => {
    if (n === "model.layers.1.mlp.down_proj.weight") { t.data[t.shape[1]! * 3 + 5] = NaN; t.data[t.shape[1]! * 7] = Infinity; }
  });
  for (const args of [["generate", "--model", bad, "--ids", "1,5,9", "--greedy"], ["score", "--model", bad, "--ids", "1,5,9"]]) {
    const r = llama2(...args);
    assert.equal(r.status, 1, r.stdout);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /model\.safetensors: tensor "model\.layers\.1\.mlp\.down_proj\.weight" holds a non-finite value: NaN at index \d+ \(\[3, 5\] of shape \[\d+, \d+\]\) \(2 non-finite values in all\)/);
    assert.match(r.stderr, /--allow-nonfinite/);
  }
  await assert.rejects(Llama.load(bad), /down_proj\.weight" holds a non-finite value/);
  const forensic = llama2("score", "--model", bad, "--ids", "1,5,9", "--allow-nonfinite", "--json");
  assert.equal(forensic.status, 0, forensic.stderr);
  const m = await Llama.load(bad, { allowNonFinite: true });
  assert.ok(m.params.some((p) => p.data.some((x) => Number.isNaN(x))));
});

test("integer tensors where float weights belong are refused by name", async () => {
  const ints = copyWith(lm, (n, t) => { if (n === "model.norm.weight") t.data.fill(1); }, (n) => (n === "model.norm.weight" ? "I32" : "F32"));
  await assert.rejects(Llama.load(ints), /tensor "model\.norm\.weight" is stored as I32, but model weights must be a float dtype/);
  const r = llama2("generate", "--model", ints, "--ids", "1,2");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /"model\.norm\.weight" is stored as I32/);
});

test("firstNonFinite finds NaN and ±Inf anywhere, and passes the largest finite float32", () => {
  const x = new Float32Array(1000).fill(3.4e38);
  assert.equal(firstNonFinite(x), -1, "float32 max squared does not overflow the double accumulator");
  for (const [i, v] of [[0, NaN], [999, Infinity], [500, -Infinity]] as const) {
    const y = Float32Array.from(x);
    y[i] = v;
    assert.equal(firstNonFinite(y), i);
  }
  assert.deepEqual(unravelIndex(7 * 4 + 2, [10, 4]), [7, 2]);
  assert.deepEqual(unravelIndex(5, [8]), [5]);
});

test("score and reward score refuse inputs longer than max_position_embeddings (64 here)", () => {
  const ids = Array.from({ length: 65 }, (_, i) => 3 + (i % 50)).join(",");
  for (const args of [["score", "--model", lm, "--ids", ids], ["reward", "score", "--model", rm, "--ids", ids]]) {
    const r = llama2(...args);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /65 tokens, more than the model's max_position_embeddings 64/);
  }
  const ok = llama2Json("score", "--model", lm, "--ids", ids.split(",").slice(0, 64).join(","), "--json");
  assert.equal(ok.token_logprobs.length, 63);
});

test("ids are checked as given: beyond the vocabulary or 2^31 they are reported, not wrapped", () => {
  for (const bad of ["4294967297", "2147483648", "-1", "260"]) {
    const r = llama2("score", "--model", lm, "--ids", `1,${bad},3`);
    assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`--ids: ${bad} is not a token id of this model \\(vocabulary 260: 0\\.\\.259\\)`));
  }
});

test("--max-new-tokens -1 says so; the default fits the context; too many is an error naming both numbers", () => {
  const neg = llama2("generate", "--model", lm, "--ids", "1,2,3", "--max-new-tokens", "-1");
  assert.equal(neg.status, 2);
  assert.match(neg.stderr, /--max-new-tokens must be >= 0, got -1/);
  const prompt = Array.from({ length: 40 }, (_, i) => 3 + i).join(",");
  const def = llama2Json("generate", "--model", lm, "--ids", prompt, "--greedy", "--json");
  assert.ok(def.ids.length <= 24, `the default stops at the context: ${def.ids.length}`);
  const many = llama2("generate", "--model", lm, "--ids", prompt, "--max-new-tokens", "100");
  assert.equal(many.status, 2);
  assert.match(many.stderr, /--max-new-tokens 100: the prompt has 40 tokens and the model's context is 64, so at most 24 new tokens fit/);
});

test("--text-file reads long inputs from a file or stdin (-), past argv's 128 KiB limit", async () => {
  const dir = tmp("textfile-");
  const tokDir = fixture("tokenizer", "hf");
  const text = "Hello world. ".repeat(20_000); // 260 KB: more than one argv string may hold
  fs.writeFileSync(path.join(dir, "in.txt"), text);
  // A model with a long enough context is not needed to show the reading: the limit error proves the length.
  const model = tmp("tok-model-");
  await new Llama({ ...(await Llama.load(lm)).config, vocabSize: 1200 }).initRandom(3).save(model);
  for (const f of ["tokenizer.json", "tokenizer_config.json"]) fs.copyFileSync(path.join(tokDir, f), path.join(model, f));
  const fromFile = llama2("score", "--model", model, "--text-file", path.join(dir, "in.txt"));
  assert.match(fromFile.stderr, /\d{5,} tokens, more than the model's max_position_embeddings 64/);
  const r = spawnSync(process.execPath, [main, "score", "--model", model, "--text-file", "-"], { input: text, encoding: "utf8" });
  assert.match(r.stderr, /\d{5,} tokens, more than the model's max_position_embeddings 64/);
  const short = spawnSync(process.execPath, [main, "score", "--model", model, "--text-file", "-", "--json"], { input: "Hello world", encoding: "utf8" });
  assert.equal(short.status, 0, short.stderr);
  assert.deepEqual(JSON.parse(short.stdout), llama2Json("score", "--model", model, "--text", "Hello world", "--json"));
});

test("a NaN in a bf16 checkpoint is found whether the weights load as float32 or stay bfloat16 (--dtype bfloat16)", async () => {
  const src = fixture("models", "llama-gqa-bf16");
  const dir = tmp("bf16-nan-");
  for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  const file = path.join(dir, "model.safetensors");
  const { readSafetensorsHeader } = await import("../../src/io/safetensors.js");
  const e = readSafetensorsHeader(file).entries.get("model.layers.0.self_attn.q_proj.weight")!;
  assert.equal(e.dtype, "BF16");
  const fd = fs.openSync(file, "r+");
  fs.writeSync(fd, Buffer.from([0xc0, 0x7f]), 0, 2, e.begin + 2 * 5); // element 5 := bf16 NaN (0x7fc0)
  fs.closeSync(fd);
  for (const dtype of ["float32", "bfloat16"]) {
    const r = llama2("generate", "--model", dir, "--ids", "1,5,9", "--dtype", dtype, "--max-new-tokens", "2");
    assert.equal(r.status, 1, `${dtype}: ${r.stdout}`);
    assert.match(r.stderr, /tensor "model\.layers\.0\.self_attn\.q_proj\.weight" holds a non-finite value: NaN at index 5 \(\[0, 5\]/, dtype);
  }
});
