// Activation and gradient buffers of the training forward/backward, allocated by capacity
// (rows N = B*T and max T) and reused across steps (STYLE.md: allocate by capacity, not per call).
// Everything the backward needs is saved per layer, as llm.c's ActivationTensors.
import type { LlamaConfig } from "./config.js";
import type { LayerGrads } from "./layer.js";

/** Saved tensors of one decoder layer; row n = b*T + t. */
export interface LayerActivations {
  x: Float32Array;      // [N, C]    residual stream entering the layer
  ln1: Float32Array;    // [N, C]    input_layernorm(x)
  rstd1: Float32Array;  // [N]
  q: Float32Array;      // [N, H*D]  after RoPE
  k: Float32Array;      // [N, KH*D] after RoPE
  v: Float32Array;      // [N, KH*D]
  lse: Float32Array;    // [B, H, T]  attention log-sum-exp per query row (FlashAttention)
  att: Float32Array;    // [N, H*D]  attention output before o_proj
  xMid: Float32Array;   // [N, C]    x + o_proj(att)
  ln2: Float32Array;    // [N, C]
  rstd2: Float32Array;  // [N]
  gate: Float32Array;   // [N, F]    gate_proj(ln2)
  up: Float32Array;     // [N, F]    up_proj(ln2)
  h: Float32Array;      // [N, F]    silu(gate) * up
}

export class Activations {
  readonly rows: number;     // capacity in rows N = B*T
  readonly maxT: number;     // capacity in sequence length
  readonly maxB: number;
  readonly layers: LayerActivations[];
  readonly xFinal: Float32Array;  // [N, C] residual after the last layer
  readonly lnF: Float32Array;     // [N, C] model.norm(xFinal)
  readonly rstdF: Float32Array;   // [N]
  readonly pos: Int32Array;       // [N] positions for RoPE
  readonly losses: Float32Array;  // [N] per-token loss
  /** [N, V] logits (LM head, gradient written in place) or [N, labels] scores. */
  logits: Float32Array;
  private grads: LayerGrads | null = null;
  private readonly dims: { N: number; C: number; F: number; HD: number; KD: number };

  constructor(c: LlamaConfig, maxB: number, maxT: number, headWidth: number) {
    const N = maxB * maxT, C = c.hiddenSize, F = c.intermediateSize;
    const HD = c.numAttentionHeads * c.headDim, KD = c.numKeyValueHeads * c.headDim;
    this.rows = N; this.maxT = maxT; this.maxB = maxB;
    const f = (n: number) => new Float32Array(n);
    this.layers = [];
    for (let l = 0; l < c.numHiddenLayers; l++) {
      this.layers.push({
        x: f(N * C), ln1: f(N * C), rstd1: f(N), q: f(N * HD), k: f(N * KD), v: f(N * KD),
        lse: f(maxB * c.numAttentionHeads * maxT), att: f(N * HD), xMid: f(N * C),
        ln2: f(N * C), rstd2: f(N), gate: f(N * F), up: f(N * F), h: f(N * F),
      });
    }
    this.xFinal = f(N * C); this.lnF = f(N * C); this.rstdF = f(N);
    this.pos = new Int32Array(N); this.losses = f(N);
    this.logits = f(N * headWidth);
    this.dims = { N, C, F, HD, KD };
  }

  /** The backward's gradient scratch, allocated at the first backward (a no-grad user never pays for it). */
  gradScratch(): LayerGrads {
    if (!this.grads) {
      const { N, C, F, HD, KD } = this.dims, f = (n: number) => new Float32Array(n);
      this.grads = {
        dRes: f(N * C), dMid: f(N * C), dLn: f(N * C), dAtt: f(N * HD), dq: f(N * HD),
        dk: f(N * KD), dv: f(N * KD), dh: f(N * F), dGate: f(N * F), dUp: f(N * F),
      };
    }
    return this.grads;
  }

  fits(B: number, T: number): boolean {
    return B * T <= this.rows && T <= this.maxT && B <= this.maxB;
  }
}
