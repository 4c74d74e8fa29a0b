// A Llama model directory as a GGUF v3 file llama.cpp loads as it is (llama.cpp convert_hf_to_gguf.py
// LlamaModel): llama.* hyper-parameters, the SentencePiece vocabulary with scores and token types
// (byte tokens included: llama.cpp finds "\n" as <0x0A>), bos/eos/unk/pad ids, add_bos/add_eos, the chat
// template, and tensors under ggml's names with q_proj/k_proj rows permuted from HF's rotate-half order
// to Meta's interleaved RoPE pairs. 1-D tensors (norms) stay F32 whatever the file type, as llama.cpp's
// converter keeps them.
import type { LlamaConfig } from "./config.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import { encodeF16 } from "../io/dtype.js";
import { gguf, GgmlType, writeGguf, type GgufTensorSpec, type GgufValue } from "../io/gguf.js";
import { quantizeQ8_0 } from "./q8_0.js";

/** The tensor storage of the exported file (llama.cpp's --outtype names). */
export type GgufFileType = "f32" | "f16" | "q8_0";

/** llama_ftype values for general.file_type. */
const FILE_TYPE: Record<GgufFileType, number> = { f32: 0, f16: 1, q8_0: 7 };

/** What the exporter needs of a model: config and HF-named float32 tensors. */
export interface ExportSource {
  config: LlamaConfig;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  name: string;
}

/**
 * HF rotate-half rows → Meta's interleaved rows: per head, rows (i, i + D/2) become (2i, 2i + 1)
 * (convert_hf_to_gguf.py permute: reshape(heads, 2, D/2, C).swapaxes(1, 2)).
 */
export function permuteForRope(w: Float32Array, heads: number, rows: number, cols: number): Float32Array {
  const D = rows / heads, half = D / 2;
  if (!Number.isInteger(D) || D % 2 !== 0) throw new Error(`gguf: ${rows} rows do not split into ${heads} heads of even size`);
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < half; i++)
      for (let j = 0; j < 2; j++) {
        const src = (h * D + j * half + i) * cols, dst = (h * D + 2 * i + j) * cols;
        out.set(w.subarray(src, src + cols), dst);
      }
  return out;
}

/** The inverse of permuteForRope: Meta's interleaved rows back to HF's rotate-half order. */
export function unpermuteForRope(w: Float32Array, heads: number, rows: number, cols: number): Float32Array {
  const D = rows / heads, half = D / 2;
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < half; i++)
      for (let j = 0; j < 2; j++) {
        const dst = (h * D + j * half + i) * cols, src = (h * D + 2 * i + j) * cols;
        out.set(w.subarray(src, src + cols), dst);
      }
  return out;
}

function encodeTensor(data: Float32Array, shape: number[], type: GgmlType): Uint8Array {
  if (type === GgmlType.F32) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (type === GgmlType.F16) {
    const h = new Uint16Array(data.length);
    encodeF16(data, h);
    return new Uint8Array(h.buffer);
  }
  if (type === GgmlType.Q8_0) return quantizeQ8_0(data, shape[shape.length - 1]!);
  throw new Error(`gguf: cannot encode type ${type}`);
}

/**
 * SentencePiece scores of every piece: the model's own when it came from tokenizer.model; otherwise (tokenizer.json
 * has none) minus the rank of the first merge that produces the piece. SentencePiece (and llama.cpp, llama2.c) merge
 * the adjacent pair whose concatenation scores highest, so -rank reproduces the BPE merge order exactly; pieces that
 * are never a merge result (characters, bytes, controls) get 0, which no merge reads.
 */
export function pieceScores(tok: Tokenizer): Float32Array {
  const spec = tok.spec;
  if (spec.scores) return spec.scores;
  const scores = new Float32Array(spec.pieces.length);
  const m = spec.bpe.merges, seen = new Uint8Array(spec.pieces.length);
  for (let r = 0; r < m.left.length; r++) {
    const id = m.merged[r]!, s = -m.rank[r]!;
    if (!seen[id] || s > scores[id]!) { scores[id] = s; seen[id] = 1; }
  }
  return scores;
}

/** GGUF's vocabulary arrays from a loaded tokenizer. */
export function tokenizerMetadata(tok: Tokenizer, chatTemplate: string | null): Map<string, GgufValue> {
  const spec = tok.spec, V = spec.pieces.length;
  const scores = pieceScores(tok);
  const types = new Int32Array(V);
  for (let i = 0; i < V; i++) types[i] = spec.kinds[i] || 1; // sentencepiece Type numbering = GGUF token_type
  const kv = new Map<string, GgufValue>([
    ["tokenizer.ggml.model", gguf.str("llama")],
    ["tokenizer.ggml.tokens", gguf.strings(spec.pieces)],
    ["tokenizer.ggml.scores", gguf.f32s(scores)],
    ["tokenizer.ggml.token_type", gguf.i32s(types)],
    ["tokenizer.ggml.bos_token_id", gguf.u32(spec.bosId)],
    ["tokenizer.ggml.eos_token_id", gguf.u32(spec.eosId)],
  ]);
  if (spec.unkId >= 0) kv.set("tokenizer.ggml.unknown_token_id", gguf.u32(spec.unkId));
  if (spec.padId >= 0) kv.set("tokenizer.ggml.padding_token_id", gguf.u32(spec.padId));
  kv.set("tokenizer.ggml.add_bos_token", gguf.bool(spec.addBos));
  kv.set("tokenizer.ggml.add_eos_token", gguf.bool(spec.addEos));
  if (chatTemplate !== null) kv.set("tokenizer.chat_template", gguf.str(chatTemplate));
  return kv;
}

/** Writes `src` (with its tokenizer) as a GGUF file of the given type. */
export function exportGguf(src: ExportSource, tok: Tokenizer, chatTemplate: string | null, file: string, type: GgufFileType): void {
  const c = src.config;
  if (tok.spec.pieces.length > c.vocabSize)
    throw new Error(`gguf: the tokenizer has ${tok.spec.pieces.length} pieces but the model's vocab_size is ${c.vocabSize}`);
  const meta = new Map<string, GgufValue>([
    ["general.architecture", gguf.str("llama")],
    ["general.name", gguf.str(src.name)],
    ["general.file_type", gguf.u32(FILE_TYPE[type])],
    ["llama.context_length", gguf.u32(c.maxPositionEmbeddings)],
    ["llama.embedding_length", gguf.u32(c.hiddenSize)],
    ["llama.block_count", gguf.u32(c.numHiddenLayers)],
    ["llama.feed_forward_length", gguf.u32(c.intermediateSize)],
    ["llama.rope.dimension_count", gguf.u32(c.headDim)],
    ["llama.attention.head_count", gguf.u32(c.numAttentionHeads)],
    ["llama.attention.head_count_kv", gguf.u32(c.numKeyValueHeads)],
    ["llama.attention.key_length", gguf.u32(c.headDim)],
    ["llama.attention.value_length", gguf.u32(c.headDim)],
    ["llama.rope.freq_base", gguf.f32(c.ropeTheta)],
    ["llama.attention.layer_norm_rms_epsilon", gguf.f32(c.rmsNormEps)],
    ["llama.vocab_size", gguf.u32(c.vocabSize)],
  ]);
  if (type === "q8_0") meta.set("general.quantization_version", gguf.u32(2));
  for (const [k, v] of tokenizerMetadata(tok, chatTemplate)) meta.set(k, v);
  // The vocabulary arrays must cover every embedding row: pad with unused pieces when the model is larger.
  if (tok.spec.pieces.length < c.vocabSize) padVocabulary(meta, tok.spec.pieces.length, c.vocabSize);

  const matType = type === "f32" ? GgmlType.F32 : type === "f16" ? GgmlType.F16 : GgmlType.Q8_0;
  const get = (name: string): { shape: number[]; data: Float32Array } => {
    const t = src.tensors.get(name);
    if (!t) throw new Error(`gguf: model has no tensor "${name}"`);
    return t;
  };
  const specs: GgufTensorSpec[] = [];
  const add = (ggName: string, hfName: string, transform?: (w: Float32Array, shape: number[]) => Float32Array): void => {
    const t = get(hfName);
    // Matrices whose rows fit the block size are quantised; anything else (norms, odd widths) stays F32.
    const rowLen = t.shape[t.shape.length - 1]!;
    const tt = t.shape.length === 1 ? GgmlType.F32 : matType === GgmlType.Q8_0 && rowLen % 32 !== 0 ? GgmlType.F16 : matType;
    specs.push({ name: ggName, shape: t.shape, type: tt, data: () => encodeTensor(transform ? transform(t.data, t.shape) : t.data, t.shape, tt) });
  };
  add("token_embd.weight", "model.embed_tokens.weight");
  for (let l = 0; l < c.numHiddenLayers; l++) {
    const hf = `model.layers.${l}.`, gg = `blk.${l}.`;
    add(`${gg}attn_norm.weight`, `${hf}input_layernorm.weight`);
    add(`${gg}attn_q.weight`, `${hf}self_attn.q_proj.weight`, (w, s) => permuteForRope(w, c.numAttentionHeads, s[0]!, s[1]!));
    add(`${gg}attn_k.weight`, `${hf}self_attn.k_proj.weight`, (w, s) => permuteForRope(w, c.numKeyValueHeads, s[0]!, s[1]!));
    add(`${gg}attn_v.weight`, `${hf}self_attn.v_proj.weight`);
    add(`${gg}attn_output.weight`, `${hf}self_attn.o_proj.weight`);
    add(`${gg}ffn_norm.weight`, `${hf}post_attention_layernorm.weight`);
    add(`${gg}ffn_gate.weight`, `${hf}mlp.gate_proj.weight`);
    add(`${gg}ffn_up.weight`, `${hf}mlp.up_proj.weight`);
    add(`${gg}ffn_down.weight`, `${hf}mlp.down_proj.weight`);
  }
  add("output_norm.weight", "model.norm.weight");
  if (!c.tieWordEmbeddings) add("output.weight", "lm_head.weight"); // absent = tied (llama.cpp reuses token_embd)
  writeGguf(file, meta, specs);
}

function padVocabulary(meta: Map<string, GgufValue>, have: number, want: number): void {
  const tokens = (meta.get("tokenizer.ggml.tokens") as { value: string[] }).value.slice();
  const scores = Array.from((meta.get("tokenizer.ggml.scores") as { value: ArrayLike<number> }).value);
  const types = Array.from((meta.get("tokenizer.ggml.token_type") as { value: ArrayLike<number> }).value);
  for (let i = have; i < want; i++) { tokens.push(`[PAD${i}]`); scores.push(0); types.push(5); } // 5 = unused
  meta.set("tokenizer.ggml.tokens", gguf.strings(tokens));
  meta.set("tokenizer.ggml.scores", gguf.f32s(scores));
  meta.set("tokenizer.ggml.token_type", gguf.i32s(types));
}
