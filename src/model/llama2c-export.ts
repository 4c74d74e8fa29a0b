// A Llama model directory in karpathy/llama2.c's formats, byte for byte as its export.py writes them
// (legacy_export v0 — the one run.c reads —, version1_export v1 fp32, version2_export v2 int8 groups for
// runq.c) plus tokenizer.bin as its tokenizer.py writes it. llama2.c keeps Meta's interleaved RoPE rows
// (export.py permute_reverse undoes HF's rotate-half order; k_proj here with the kv head count, so GQA
// models export too), hard-codes rope theta 10000 and head_size = dim / n_heads: other models are refused.
import fs from "node:fs";
import path from "node:path";
import type { LlamaConfig } from "./config.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import { permuteForRope, pieceScores, type ExportSource } from "./gguf-export.js";
import { mkdirpOrExplain } from "../io/fs-errors.js";

export type Llama2cVersion = 0 | 1 | 2;

const MAGIC = 0x616b3432; // "ak42"

/** Why run.c / runq.c cannot run this model, or null. */
export function llama2cIncompatibility(c: LlamaConfig): string | null {
  if (c.headDim * c.numAttentionHeads !== c.hiddenSize) return `head_dim ${c.headDim} x ${c.numAttentionHeads} heads != hidden_size ${c.hiddenSize} (run.c uses dim / n_heads)`;
  if (c.ropeTheta !== 10000) return `rope_theta is ${c.ropeTheta}; run.c hard-codes 10000`;
  return null;
}

/** Buffered little-endian writer into a file descriptor. */
class FileSink {
  private buf = Buffer.alloc(1 << 20);
  private n = 0;
  written = 0;
  constructor(private readonly fd: number) {}
  private room(k: number): void { if (this.n + k > this.buf.length) this.flush(); if (k > this.buf.length) this.buf = Buffer.alloc(k); }
  flush(): void { if (this.n > 0) fs.writeSync(this.fd, this.buf, 0, this.n); this.n = 0; }
  i32(v: number): void { this.room(4); this.buf.writeInt32LE(v, this.n); this.n += 4; this.written += 4; }
  u32(v: number): void { this.room(4); this.buf.writeUInt32LE(v, this.n); this.n += 4; this.written += 4; }
  u8(v: number): void { this.room(1); this.buf.writeUInt8(v, this.n); this.n += 1; this.written += 1; }
  f32s(a: Float32Array): void { this.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)); }
  bytes(b: Uint8Array): void { this.flush(); fs.writeSync(this.fd, b); this.written += b.byteLength; }
  padTo(k: number): void { while (this.written < k) this.u8(0); }
}

/** export.py's precompute_freqs_cis(dim // n_heads, max_seq_len) in torch's float32 arithmetic: cos and sin [T, D/2]. */
export function freqsCis(headDim: number, T: number, theta = 10000): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2, f = Math.fround;
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = f(1 / f(Math.pow(theta, f(f(2 * i) / headDim))));
  const cos = new Float32Array(T * half), sin = new Float32Array(T * half);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < half; i++) {
      const a = f(t * freqs[i]!);
      cos[t * half + i] = Math.cos(a);
      sin[t * half + i] = Math.sin(a);
    }
  return { cos, sin };
}

/**
 * export.py quantize_q80: symmetric int8 per group of `group` values, scale = max|w| / 127 (float32),
 * q = torch.round(w / scale) — round half to even.
 */
export function quantizeGroups(w: Float32Array, group: number): { q: Int8Array; scales: Float32Array } {
  if (w.length % group !== 0) throw new Error(`llama2c: ${w.length} values are not a multiple of group size ${group}`);
  const q = new Int8Array(w.length), scales = new Float32Array(w.length / group);
  for (let g = 0; g < scales.length; g++) {
    let wmax = 0;
    for (let i = g * group; i < (g + 1) * group; i++) wmax = Math.max(wmax, Math.abs(w[i]!));
    const scale = Math.fround(wmax / 127);
    scales[g] = scale;
    for (let i = g * group; i < (g + 1) * group; i++) {
      const x = Math.fround(w[i]! / scale);
      const r = Math.round(x), even = r - x === 0.5 && r % 2 !== 0 ? r - 1 : r; // rint: ties to even
      q[i] = Number.isFinite(even) ? even : 0;
    }
  }
  return { q, scales };
}

/** Writes DIR/model.bin in the given llama2.c version. */
export function exportLlama2cModel(src: ExportSource, file: string, version: Llama2cVersion): void {
  const c = src.config;
  const bad = llama2cIncompatibility(c);
  if (bad) throw new Error(`llama2c: ${bad}`);
  // Tensors are thunks, read (and permuted) one at a time as they are written: src.tensors may read each
  // from disk on access (openModelDirLazily), so peak memory is about the largest tensor, not the model.
  type Thunk = () => Float32Array;
  const t = (name: string): Thunk => {
    const x = src.tensors.get(name);
    if (!x) throw new Error(`llama2c: model has no tensor "${name}"`);
    return () => x.data;
  };
  const L = c.numHiddenLayers, C = c.hiddenSize, KD = c.numKeyValueHeads * c.headDim;
  const layer = (l: number, n: string): Thunk => t(`model.layers.${l}.${n}.weight`);
  const each = (f: (l: number) => Thunk): Thunk[] => Array.from({ length: L }, (_, l) => f(l));
  const embed = t("model.embed_tokens.weight");
  const output = c.tieWordEmbeddings ? embed : t("lm_head.weight");
  const shared = c.tieWordEmbeddings || buffersEqual(embed(), output());
  const norms1 = each((l) => layer(l, "input_layernorm")), norms2 = each((l) => layer(l, "post_attention_layernorm"));
  const wq = each((l) => () => permuteForRope(layer(l, "self_attn.q_proj")(), c.numAttentionHeads, C, C));
  const wk = each((l) => () => permuteForRope(layer(l, "self_attn.k_proj")(), c.numKeyValueHeads, KD, C));
  const wv = each((l) => layer(l, "self_attn.v_proj")), wo = each((l) => layer(l, "self_attn.o_proj"));
  const w1 = each((l) => layer(l, "mlp.gate_proj")), w2 = each((l) => layer(l, "mlp.down_proj")), w3 = each((l) => layer(l, "mlp.up_proj"));
  const finalNorm = t("model.norm.weight");
  const params = [C, c.intermediateSize, L, c.numAttentionHeads, c.numKeyValueHeads, c.vocabSize, c.maxPositionEmbeddings];

  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, "w");
  try {
    const out = new FileSink(fd);
    if (version === 0) {
      params.forEach((v, i) => out.i32(i === 5 && !shared ? -v : v)); // negative vocab_size = separate classifier
      for (const w of [embed, ...norms1, ...wq, ...wk, ...wv, ...wo, ...norms2, ...w1, ...w2, ...w3, finalNorm]) out.f32s(w());
      const { cos, sin } = freqsCis(c.headDim, c.maxPositionEmbeddings);
      out.f32s(cos);
      out.f32s(sin);
      if (!shared) out.f32s(output());
    } else if (version === 1) {
      out.u32(MAGIC); out.i32(1);
      params.forEach((v) => out.i32(v));
      out.u8(shared ? 1 : 0);
      out.padTo(256);
      for (const w of [...norms1, ...norms2, finalNorm, embed, ...wq, ...wk, ...wv, ...wo, ...w1, ...w2, ...w3]) out.f32s(w());
      if (!shared) out.f32s(output());
    } else {
      let group = 64;
      while (C % group !== 0) group /= 2; // export.py's BACKOFF
      out.u32(MAGIC); out.i32(2);
      params.forEach((v) => out.i32(v));
      out.u8(shared ? 1 : 0);
      out.i32(group);
      out.padTo(256);
      for (const w of [...norms1, ...norms2, finalNorm]) out.f32s(w());
      for (const w of [embed, ...wq, ...wk, ...wv, ...wo, ...w1, ...w2, ...w3, ...(shared ? [] : [output])]) {
        const { q, scales } = quantizeGroups(w(), group);
        out.bytes(new Uint8Array(q.buffer));
        out.f32s(scales);
      }
    }
    out.flush();
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

/** tokenizer.bin as llama2.c's tokenizer.py export() writes it: max token length, then (score, length, bytes) per piece. */
export function exportLlama2cTokenizer(tok: Tokenizer, file: string): void {
  const spec = tok.spec, scores = pieceScores(tok);
  const bytes = spec.pieces.map((p, i) => {
    const t = i === spec.bosId ? "\n<s>\n" : i === spec.eosId ? "\n</s>\n" : p;
    return Buffer.from(t.replaceAll("\u2581", " "), "utf8");
  });
  const maxLen = Math.max(...bytes.map((b) => b.length));
  const size = 4 + bytes.reduce((a, b) => a + 8 + b.length, 0);
  const buf = Buffer.alloc(size);
  let p = buf.writeUInt32LE(maxLen, 0);
  bytes.forEach((b, i) => {
    p = buf.writeFloatLE(scores[i]!, p);
    p = buf.writeUInt32LE(b.length, p);
    p += b.copy(buf, p);
  });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, buf);
  fs.renameSync(tmp, file);
}

/** DIR/model.bin + DIR/tokenizer.bin. */
export function exportLlama2c(src: ExportSource, tok: Tokenizer | null, dir: string, version: Llama2cVersion): void {
  mkdirpOrExplain(dir);
  exportLlama2cModel(src, path.join(dir, "model.bin"), version);
  if (tok) exportLlama2cTokenizer(tok, path.join(dir, "tokenizer.bin"));
}

function buffersEqual(a: Float32Array, b: Float32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
