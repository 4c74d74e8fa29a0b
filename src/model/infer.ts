// The no-grad forward against a KV cache: prefill of a prompt and incremental decoding of new
// tokens (llama2.c run.c's forward, batched) through the same layer sequence as training
// (src/model/layer.ts). Saves nothing for backward; its scratch buffers are sized by capacity and reused.
// Decoding steps (T = 1) run the whole model in one native call (native.decodeStep, native/decode.cpp:
// one parallel region per token, the same per-row kernels, bit-identical to the op-by-op path).
import { native } from "../native/addon.js";
import type { LlamaConfig } from "./config.js";
import type { KVCache } from "./kv-cache.js";
import { useHugePages } from "./huge-pages.js";
import { layerForward, type LayerBuffers } from "./layer.js";
import type { Linear } from "./linear.js";
import type { LlamaWeights } from "./weights.js";

/** Rows of a decoding step kept on the small-M GEMM path (native/gemm.cpp kSmallMTransB). */
const DECODE_ROWS = 32;

class Scratch {
  readonly x: Float32Array; readonly ln: Float32Array; readonly rstd: Float32Array;
  readonly q: Float32Array; readonly k: Float32Array; readonly v: Float32Array; readonly att: Float32Array;
  readonly gate: Float32Array; readonly up: Float32Array; readonly h: Float32Array;
  readonly last: Float32Array; readonly pos: Int32Array; readonly out: Float32Array;

  constructor(readonly rows: number, c: LlamaConfig, headWidth: number) {
    const C = c.hiddenSize, F = c.intermediateSize, HD = c.numAttentionHeads * c.headDim, KD = c.numKeyValueHeads * c.headDim;
    const f = (n: number) => new Float32Array(n);
    this.x = f(rows * C); this.ln = f(rows * C); this.rstd = f(rows); this.last = f(rows * C);
    this.q = f(rows * HD); this.k = f(rows * KD); this.v = f(rows * KD); this.att = f(rows * HD);
    this.gate = f(rows * F); this.up = f(rows * F); this.h = f(rows * F);
    this.pos = new Int32Array(rows); this.out = f(rows * headWidth);
  }
}

/** The weight a Linear's forward reads, as native.decodeStep takes it; null when an adapter is attached. */
function storedWeight(l: Linear): Float32Array | Uint16Array | Uint8Array | null {
  if (l.lora) return null;
  const s = l.storage;
  return s.kind === "f32" ? l.weight.data : s.kind === "bf16" ? s.bits : s.blocks;
}

export class InferenceEngine {
  private scratch: Scratch | null = null;
  private chunkOut: Float32Array | null = null;
  private stepOut: Float32Array | null = null;
  /**
   * Decoding steps (T = 1) run as one native call per step (native.decodeStep: one parallel region, the
   * same kernels and bits as the op-by-op path). False forces the op-by-op path (tests compare the two).
   */
  fusedDecode = true;
  private onHugePages = false;

  constructor(private readonly c: LlamaConfig, private readonly w: LlamaWeights, private readonly head: Linear) {}

  /** decodeStep's weight list (read per call: storage may change), or null when a layer has an adapter. */
  private decodeWeights(): (Float32Array | Uint16Array | Uint8Array)[] | null {
    const head = storedWeight(this.head);
    if (!head) return null;
    const out = [this.w.embed.data, this.w.finalNorm.data, head];
    for (const l of this.w.layers) {
      const m = [l.qProj, l.kProj, l.vProj, l.oProj, l.gateProj, l.upProj, l.downProj].map(storedWeight);
      if (m.some((x) => x === null)) return null;
      out.push(l.inputNorm.data, m[0]!, m[1]!, m[2]!, m[3]!, l.postNorm.data, m[4]!, m[5]!, m[6]!);
    }
    return out;
  }

  /** One new token per named row through native.decodeStep; null when it cannot run (adapters). */
  private decodeFused(cache: KVCache, ids: Int32Array, B: number, slots: ArrayLike<number> | null): Float32Array | null {
    if (!this.onHugePages) {  // once: the weights every step streams onto 2 MiB pages (src/model/huge-pages.ts)
      this.onHugePages = true;
      if (this.decodeWeights()) useHugePages(this.w.linears, this.w.all.every((p) => !p.trainable));
    }
    const weights = this.decodeWeights();
    if (!weights) return null;
    const c = this.c, W = this.headWidth;
    const out = (this.stepOut = this.stepOut && this.stepOut.length >= B * W ? this.stepOut : new Float32Array(Math.max(B, 1) * W)).subarray(0, B * W);
    const rows = slots ? Int32Array.from(slots) : Int32Array.from({ length: B }, (_, b) => b);
    native.decodeStep(out, ids.length === B ? ids : ids.subarray(0, B), rows, B, weights, cache.k, cache.v, cache.lengths, cache.keyStart,
      cache.B, cache.S, c.numHiddenLayers, c.hiddenSize, c.intermediateSize, c.numAttentionHeads, c.numKeyValueHeads,
      c.headDim, W, c.vocabSize, c.rmsNormEps, c.ropeTheta);
    for (let b = 0; b < B; b++) cache.lengths[rows[b]!]! += 1;
    return out;
  }

  private get headWidth(): number { return this.head.outFeatures; }

  /** A decoding step of more than DECODE_ROWS rows, run DECODE_ROWS rows at a time. */
  private forwardInChunks(cache: KVCache, ids: Int32Array, B: number, slots: ArrayLike<number> | null): Float32Array {
    const W = this.headWidth;
    const out = (this.chunkOut = this.chunkOut && this.chunkOut.length >= B * W ? this.chunkOut : new Float32Array(B * W)).subarray(0, B * W);
    for (let b0 = 0; b0 < B; b0 += DECODE_ROWS) {
      const n = Math.min(DECODE_ROWS, B - b0);
      const sub = Int32Array.from({ length: n }, (_, i) => (slots ? slots[b0 + i]! : b0 + i));
      out.set(this.forward(cache, ids.subarray(b0, b0 + n), n, 1, false, sub), b0 * W);
    }
    return out;
  }

  /**
   * Runs ids[B,T] through the model: T new tokens for each of B cache rows (slots[b], default b),
   * appended at that row's own length, writing their keys and values into the cache. Rows not named
   * are untouched and cost nothing. Returns the head output [B, W] for each row's last token, or
   * [B*T, W] for every token when allPositions is set. The returned view is reused by the next call.
   * A row's outputs do not depend on the other rows in the call: attention runs row by row, and
   * decoding calls (T = 1) run the row kernels (native/gemm_small.inc, qmatmul), whose per-row sums do
   * not depend on M — in native.decodeStep, or op by op in chunks of at most 32 rows.
   */
  forward(cache: KVCache, ids: Int32Array, B: number, T: number, allPositions = false, slots: ArrayLike<number> | null = null): Float32Array {
    const c = this.c, w = this.w;
    const C = c.hiddenSize, H = c.numAttentionHeads, KH = c.numKeyValueHeads, D = c.headDim;
    const HD = H * D, KD = KH * D, N = B * T, S = cache.S;
    if (ids.length < N) throw new RangeError(`infer: ids has ${ids.length} tokens, B*T = ${N}`);
    if (!slots && B !== cache.B) throw new Error(`infer: batch ${B} does not match the cache's ${cache.B} rows (pass slots to run a subset)`);
    if (slots && slots.length !== B) throw new Error(`infer: slots names ${slots.length} cache rows for a batch of ${B}`);
    const row = (b: number): number => (slots ? slots[b]! : b);
    const seen = new Set<number>();
    for (let b = 0; b < B; b++) {
      const r = row(b);
      if (!(Number.isInteger(r) && r >= 0 && r < cache.B)) throw new RangeError(`infer: cache row ${r} is outside [0, ${cache.B})`);
      if (seen.has(r)) throw new Error(`infer: cache row ${r} appears twice in one call`);
      seen.add(r);
      if (cache.lengths[r]! + T > S) throw new RangeError(`infer: row ${r}: ${cache.lengths[r]! + T} positions exceed the cache capacity ${S}`);
    }
    if (T === 1 && this.fusedDecode) {
      const out = this.decodeFused(cache, ids, B, slots);
      if (out) return out;
    }
    if (T === 1 && B > DECODE_ROWS) return this.forwardInChunks(cache, ids, B, slots);
    if (!this.scratch || this.scratch.rows < N) this.scratch = new Scratch(Math.max(N, 1), c, this.headWidth);
    const s = this.scratch;
    for (let b = 0; b < B; b++) {
      const r = row(b), pos0 = cache.lengths[r]!;
      for (let t = 0; t < T; t++) s.pos[b * T + t] = Math.max(0, pos0 + t - cache.keyStart[r]!);
    }
    native.embeddingForward(s.x, ids, w.embed.data, N, C, c.vocabSize);
    // x, xMid and out are one buffer (the residual updated in place); ln1 and ln2 share one too.
    const buf: LayerBuffers = {
      x: s.x, ln1: s.ln, rstd1: s.rstd, q: s.q, k: s.k, v: s.v, att: s.att, xMid: s.x,
      ln2: s.ln, rstd2: s.rstd, gate: s.gate, up: s.up, h: s.h, out: s.x,
    };
    for (let l = 0; l < c.numHiddenLayers; l++) {
      const kc = cache.k[l]!, vc = cache.v[l]!;
      layerForward(c, w.layers[l]!, buf, N, s.pos, (q, k, v, att) => {
        for (let b = 0; b < B; b++) {  // append row r's keys/values at cache[r, pos0 .. pos0+T), attend over them
          const r = row(b), pos0 = cache.lengths[r]!, base = r * S * KD;
          kc.set(k.subarray(b * T * KD, (b + 1) * T * KD), base + pos0 * KD);
          vc.set(v.subarray(b * T * KD, (b + 1) * T * KD), base + pos0 * KD);
          native.attentionForward(att.subarray(b * T * HD, (b + 1) * T * HD), null, q.subarray(b * T * HD, (b + 1) * T * HD),
            kc.subarray(base, base + S * KD), vc.subarray(base, base + S * KD), 1, T, S, pos0, H, KH, D,
            cache.keyStart.subarray(r, r + 1), null);
        }
      });
    }
    for (let b = 0; b < B; b++) cache.lengths[row(b)]! += T;
    // Final norm and head: on every token, or on each row's last token only (generation).
    let rows = N, x = s.x;
    if (!allPositions && T > 1) {
      for (let b = 0; b < B; b++) s.last.set(s.x.subarray(((b + 1) * T - 1) * C, (b + 1) * T * C), b * C);
      x = s.last;
      rows = B;
    }
    native.rmsnormForward(s.ln, s.rstd, x, w.finalNorm.data, rows, C, c.rmsNormEps);
    const out = s.out.subarray(0, rows * this.headWidth);
    this.head.forward(out, s.ln, rows);
    return out;
  }
}
