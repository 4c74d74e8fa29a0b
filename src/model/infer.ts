// The no-grad forward against a KV cache: prefill of a prompt and incremental decoding of new
// tokens (llama2.c run.c's forward, batched). Saves nothing for backward; its scratch buffers are
// sized by capacity and reused.
import { native } from "../native/addon.js";
import type { LlamaConfig } from "./config.js";
import type { KVCache } from "./kv-cache.js";
import type { LlamaWeights } from "./weights.js";

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

export class InferenceEngine {
  private scratch: Scratch | null = null;

  constructor(private readonly c: LlamaConfig, private readonly w: LlamaWeights, private readonly head: Float32Array,
    private readonly headWidth: number) {}

  /**
   * Runs ids[B,T] (T new tokens per row, appended at cache.length) through the model, writing keys and
   * values into the cache. Returns the head output [B, W] for each row's last token, or [B*T, W] for
   * every token when allPositions is set. The returned view is reused by the next call.
   */
  forward(cache: KVCache, ids: Int32Array, B: number, T: number, allPositions = false): Float32Array {
    const c = this.c, w = this.w;
    const C = c.hiddenSize, F = c.intermediateSize, H = c.numAttentionHeads, KH = c.numKeyValueHeads, D = c.headDim;
    const HD = H * D, KD = KH * D, N = B * T, pos0 = cache.length;
    if (B !== cache.B) throw new Error(`infer: batch ${B} does not match the cache's ${cache.B} rows`);
    if (pos0 + T > cache.S) throw new RangeError(`infer: ${pos0 + T} positions exceed the cache capacity ${cache.S}`);
    if (!this.scratch || this.scratch.rows < N) this.scratch = new Scratch(Math.max(N, 1), c, this.headWidth);
    const s = this.scratch;
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) s.pos[b * T + t] = Math.max(0, pos0 + t - cache.keyStart[b]!);
    native.embeddingForward(s.x, ids, w.embed.data, N, C, c.vocabSize);
    for (let l = 0; l < c.numHiddenLayers; l++) {
      const lw = w.layers[l]!, kc = cache.k[l]!, vc = cache.v[l]!;
      native.rmsnormForward(s.ln, s.rstd, s.x, lw.inputNorm.data, N, C, c.rmsNormEps);
      native.matmul(s.q, s.ln, lw.wq.data, N, HD, C, false, true, false);
      native.matmul(s.k, s.ln, lw.wk.data, N, KD, C, false, true, false);
      native.matmul(s.v, s.ln, lw.wv.data, N, KD, C, false, true, false);
      native.ropeForward(s.q, s.pos, N, H, D, c.ropeTheta);
      native.ropeForward(s.k, s.pos, N, KH, D, c.ropeTheta);
      for (let b = 0; b < B; b++) {  // append this step's keys/values: cache[b, pos0 .. pos0+T)
        const dst = (b * cache.S + pos0) * KD, src = b * T * KD;
        kc.set(s.k.subarray(src, src + T * KD), dst);
        vc.set(s.v.subarray(src, src + T * KD), dst);
      }
      native.attentionForward(s.att, null, s.q, kc, vc, B, T, cache.S, pos0, H, KH, D, cache.keyStart, null);
      native.matmul(s.x, s.att, lw.wo.data, N, C, HD, false, true, true);
      native.rmsnormForward(s.ln, s.rstd, s.x, lw.postNorm.data, N, C, c.rmsNormEps);
      native.matmul(s.gate, s.ln, lw.wGate.data, N, F, C, false, true, false);
      native.matmul(s.up, s.ln, lw.wUp.data, N, F, C, false, true, false);
      native.swigluForward(s.h, s.gate, s.up, N * F);
      native.matmul(s.x, s.h, lw.wDown.data, N, C, F, false, true, true);
    }
    cache.length = pos0 + T;
    // Final norm and head: on every token, or on each row's last token only (generation).
    let rows = N, x = s.x;
    if (!allPositions && T > 1) {
      for (let b = 0; b < B; b++) s.last.set(s.x.subarray(((b + 1) * T - 1) * C, (b + 1) * T * C), b * C);
      x = s.last;
      rows = B;
    }
    native.rmsnormForward(s.ln, s.rstd, x, w.finalNorm.data, rows, C, c.rmsNormEps);
    const out = s.out.subarray(0, rows * this.headWidth);
    native.matmul(out, s.ln, this.head, rows, this.headWidth, C, false, true, false);
    return out;
  }
}
