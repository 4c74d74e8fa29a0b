// The exported GGUF run by llama.cpp itself (node-llama-cpp 3.21.1 ships it): a model with the real
// 32,000-piece Llama 2 vocabulary (test/fixtures/tokenizer/llama2-32k, made by scripts/make-llama2-vocab.mjs)
// and seeded weights gives llama.cpp the same greedy tokens as `llama2 generate` (f32), the same
// tokenization, the chat template; f16 and q8_0 files decode in llama.cpp as their stored weights decode here.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaLogLevel, type Llama as LlamaCpp } from "node-llama-cpp";
import { Llama } from "../../src/model/llama.js";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { readGguf } from "../../src/io/gguf.js";
import { dequantizeQ8_0 } from "../../src/model/q8_0.js";
import { unpermuteForRope } from "../../src/model/gguf-export.js";
import { decodeF16 } from "../../src/io/dtype.js";
import { generate } from "../../src/model/generate.js";
import { llama2, llama2Json } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const vocabDir = path.join(root, "test", "fixtures", "tokenizer", "llama2-32k");
const work = tempDir("gguf-cpp-");
const modelDir = path.join(work, "model");
const NEW = 24;

let cpp: LlamaCpp | null = null;
after(async () => { await cpp?.dispose(); fs.rmSync(work, { recursive: true, force: true }); });

async function makeModel(): Promise<void> {
  if (fs.existsSync(modelDir)) return;
  // GQA (4 query heads, 2 kv heads) so the k_proj permutation with the kv head count is exercised.
  const m = new Llama({ vocabSize: 32000, hiddenSize: 64, intermediateSize: 128, numHiddenLayers: 2, numAttentionHeads: 4,
    numKeyValueHeads: 2, headDim: 16, maxPositionEmbeddings: 256, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: false,
    bosTokenId: 1, eosTokenId: 2, padTokenId: null });
  m.initRandom(7, 0.3); // large weights: peaked logits, so float summation order cannot flip an argmax
  await m.save(modelDir);
  for (const f of ["tokenizer.json", "tokenizer_config.json"]) fs.copyFileSync(path.join(vocabDir, f), path.join(modelDir, f));
}

async function llamaCppGreedy(file: string, prompt: number[], n: number): Promise<{ ids: number[]; tokenize: (s: string) => number[]; template: string | undefined }> {
  cpp ??= await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const model = await cpp.loadModel({ modelPath: file });
  const ctx = await model.createContext({ contextSize: 128, threads: 1 });
  const ids: number[] = [];
  for await (const t of ctx.getSequence().evaluate(prompt as never[], { temperature: 0 })) {
    ids.push(t as unknown as number);
    if (ids.length >= n) break;
  }
  const tokenize = (s: string): number[] => model.tokenize(s) as unknown as number[];
  const meta = model.fileInfo.metadata as { tokenizer?: { chat_template?: string } };
  const res = { ids, tokenize, template: meta.tokenizer?.chat_template };
  await ctx.dispose();
  return res;
}

const PROMPT = "Once upon a time, in 1987, a ünïcödé fox\nsaid:";

test("llama.cpp runs the f32 GGUF export with the same greedy tokens and tokenization as llama2-ts", async () => {
  await makeModel();
  const file = path.join(work, "m-f32.gguf");
  const r = llama2("export", "--model", modelDir, "--format", "gguf", "--out", file);
  assert.equal(r.status, 0, r.stderr);
  const ours = llama2Json("generate", "--model", modelDir, "--prompt", PROMPT, "--greedy", "--max-new-tokens", String(NEW), "--json");
  const tok = await Tokenizer.load(modelDir);
  const promptIds = tok.encode(PROMPT);
  const cppRun = await llamaCppGreedy(file, promptIds, NEW);
  assert.deepEqual(cppRun.ids, ours.ids);
  for (const s of [PROMPT, "Hello world", "  two  spaces and 12345", "naïve café — “quotes”", "line1\nline2\n\n", "日本語のテキスト"])
    assert.deepEqual([1, ...cppRun.tokenize(s)], tok.encode(s), JSON.stringify(s));
  assert.equal(cppRun.template, JSON.parse(fs.readFileSync(path.join(modelDir, "tokenizer_config.json"), "utf8")).chat_template);
  assert.match(cppRun.template ?? "", /\[INST\]/);
});

/** Our model with the weights a GGUF file stores (f16 decoded, q8_0 dequantised, RoPE rows permuted back). */
async function modelFromGguf(file: string): Promise<Llama> {
  const model = await Llama.load(modelDir);
  const g = readGguf(file), buf = fs.readFileSync(file), c = model.config;
  const byName = new Map(model.params.map((p) => [p.name, p]));
  const hfName = (n: string): string => {
    const fixed: Record<string, string> = { "token_embd.weight": "model.embed_tokens.weight", "output.weight": "lm_head.weight", "output_norm.weight": "model.norm.weight" };
    if (fixed[n]) return fixed[n]!;
    const m = /^blk\.(\d+)\.(\w+)\.weight$/.exec(n)!;
    const sub: Record<string, string> = { attn_norm: "input_layernorm", attn_q: "self_attn.q_proj", attn_k: "self_attn.k_proj", attn_v: "self_attn.v_proj",
      attn_output: "self_attn.o_proj", ffn_norm: "post_attention_layernorm", ffn_gate: "mlp.gate_proj", ffn_up: "mlp.up_proj", ffn_down: "mlp.down_proj" };
    return `model.layers.${m[1]}.${sub[m[2]!]}.weight`;
  };
  for (const t of g.tensors) {
    const p = byName.get(hfName(t.name))!, bytes = new Uint8Array(buf.buffer, buf.byteOffset + t.offset, t.bytes);
    let w: Float32Array;
    if (t.type === 0) w = new Float32Array(bytes.slice().buffer);
    else if (t.type === 1) { w = new Float32Array(p.data.length); decodeF16(new Uint16Array(bytes.slice().buffer), w); }
    else w = dequantizeQ8_0(bytes, p.data.length);
    if (t.name.endsWith("attn_q.weight")) w = unpermuteForRope(w, c.numAttentionHeads, p.shape[0]!, p.shape[1]!);
    if (t.name.endsWith("attn_k.weight")) w = unpermuteForRope(w, c.numKeyValueHeads, p.shape[0]!, p.shape[1]!);
    p.data.set(w);
  }
  return model;
}

test("f16 and q8_0 exports: llama.cpp decodes greedily what their stored weights decode to here", async () => {
  await makeModel();
  const tok = await Tokenizer.load(modelDir);
  const promptIds = tok.encode(PROMPT);
  for (const type of ["f16", "q8_0"]) {
    const file = path.join(work, `m-${type}.gguf`);
    assert.equal(llama2("export", "--model", modelDir, "--format", "gguf", "--out", file, "--type", type).status, 0);
    const got = (await llamaCppGreedy(file, promptIds, NEW)).ids;
    // The same weights through our f32 kernels: llama.cpp also rounds activations (q8_0 dot products), so a
    // near-tie may flip late in the sequence; the first half must agree token for token.
    const want = generate(await modelFromGguf(file), [promptIds], { maxNewTokens: NEW, greedy: true }).ids[0]!;
    let same = 0;
    while (same < NEW && got[same] === want[same]) same++;
    assert.ok(same >= NEW / 2, `${type}: only ${same} leading tokens agree (${got} vs ${want})`);
  }
});

test("the q8_0 export's blocks dequantise to the weights within half a quantisation step (plus the f16 rounding of d), norms stay f32", async () => {
  await makeModel();
  const file = path.join(work, "m-q8_0.gguf");
  if (!fs.existsSync(file)) assert.equal(llama2("export", "--model", modelDir, "--format", "gguf", "--out", file, "--type", "q8_0").status, 0);
  const g = readGguf(file);
  assert.equal(g.metadata.get("general.file_type"), 7);
  assert.equal(g.metadata.get("general.quantization_version"), 2);
  const buf = fs.readFileSync(file);
  const model = await Llama.load(modelDir);
  const byName = new Map(model.params.map((p) => [p.name, p]));
  const v = g.tensors.find((t) => t.name === "blk.1.attn_v.weight")!;
  assert.equal(v.type, 8);
  const w = byName.get("model.layers.1.self_attn.v_proj.weight")!.data;
  const deq = dequantizeQ8_0(new Uint8Array(buf.buffer, buf.byteOffset + v.offset, v.bytes), w.length);
  for (let b = 0; b < w.length / 32; b++) {
    let amax = 0;
    for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(w[b * 32 + i]!));
    for (let i = 0; i < 32; i++) assert.ok(Math.abs(deq[b * 32 + i]! - w[b * 32 + i]!) <= amax / 127 * (0.5 + 127 * 2 ** -11) + 1e-7, `block ${b}`);
  }
  assert.equal(g.tensors.find((t) => t.name === "blk.0.attn_norm.weight")!.type, 0);
  assert.equal(g.tensors.find((t) => t.name === "output.weight")!.type, 8);
});
