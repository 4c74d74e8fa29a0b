// The no-grad forward against a KV cache: prefill of a prompt and incremental decoding of new
// tokens (llama2.c run.c's forward, batched) through the same layer sequence as training
// (src/model/layer.ts). Saves nothing for backward; its scratch buffers are sized by capacity and reused.
import { native } from "../native/addon.js";
import type { LlamaConfig } from "./config.js";
import type { KVCache } from "./kv-cache.js";
import { layerForward, type LayerBuffers } from "./layer.js";
import type { Linear } from "./linear.js";
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

  constructor(private readonly c: LlamaConfig, private readonly w: LlamaWeights, private readonly head: Linear) {}

  private get headWidth(): number { return this.head.outFeatures; }

  /**
   * Runs ids[B,T] (T new tokens per row, appended at cache.length) through the model, writing keys and
   * values into the cache. Returns the head output [B, W] for each row's last token, or [B*T, W] for
   * every token when allPositions is set. The returned view is reused by the next call.
   */
  forward(cache: KVCache, ids: Int32Array, B: number, T: number, allPositions = false): Float32Array {
    const c = this.c, w = this.w;
    const C = c.hiddenSize, H = c.numAttentionHeads, KH = c.numKeyValueHeads, D = c.headDim;
    const KD = KH * D, N = B * T, pos0 = cache.length;
    if (B !== cache.B) throw new Error(`infer: batch ${B} does not match the cache's ${cache.B} rows`);
    if (pos0 + T > cache.S) throw new RangeError(`infer: ${pos0 + T} positions exceed the cache capacity ${cache.S}`);
    if (!this.scratch || this.scratch.rows < N) this.scratch = new Scratch(Math.max(N, 1), c, this.headWidth);
    const s = this.scratch;
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) s.pos[b * T + t] = Math.max(0, pos0 + t - cache.keyStart[b]!);
    native.embeddingForward(s.x, ids, w.embed.data, N, C, c.vocabSize);
    // x, xMid and out are one buffer (the residual updated in place); ln1 and ln2 share one too.
    const buf: LayerBuffers = {
      x: s.x, ln1: s.ln, rstd1: s.rstd, q: s.q, k: s.k, v: s.v, att: s.att, xMid: s.x,
      ln2: s.ln, rstd2: s.rstd, gate: s.gate, up: s.up, h: s.h, out: s.x,
    };
    for (let l = 0; l < c.numHiddenLayers; l++) {
      const kc = cache.k[l]!, vc = cache.v[l]!;
      layerForward(c, w.layers[l]!, buf, N, s.pos, (q, k, v, att) => {
        for (let b = 0; b < B; b++) {  // append this step's keys/values: cache[b, pos0 .. pos0+T)
          const dst = (b * cache.S + pos0) * KD, src = b * T * KD;
          kc.set(k.subarray(src, src + T * KD), dst);
          vc.set(v.subarray(src, src + T * KD), dst);
        }
        native.attentionForward(att, null, q, kc, vc, B, T, cache.S, pos0, H, KH, D, cache.keyStart, null);
      });
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
    this.head.forward(out, s.ln, rows);
    return out;
  }
}
