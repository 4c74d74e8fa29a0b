// One Llama decoder layer, written once (transformers' LlamaDecoderLayer, llama2.c run.c's loop body):
//   xMid = x + o_proj(attn(rope(q_proj(rms1(x))), rope(k_proj(rms1(x))), v_proj(rms1(x))))
//   out  = xMid + down_proj(silu(gate_proj(rms2(xMid))) * up_proj(rms2(xMid)))
// Training (decoder.ts: saves every buffer, attends within the batch) and cached inference (infer.ts:
// reuses one scratch, attends over the KV cache) differ only in their buffers and the `attend` step.
import { native } from "../native/addon.js";
import { gradOf, type Param } from "./params.js";
import type { LlamaConfig } from "./config.js";
import type { LayerWeights } from "./weights.js";

/**
 * The tensors one layer reads and writes, rows N. Inference may alias them (x = xMid = out, ln1 = ln2):
 * the forward never reads a buffer after a later step overwrote it through an alias.
 */
export interface LayerBuffers {
  x: Float32Array;      // [N, C]    residual stream entering the layer (read)
  ln1: Float32Array;    // [N, C]    input_layernorm(x)
  rstd1: Float32Array;  // [N]
  q: Float32Array;      // [N, H*D]  after RoPE
  k: Float32Array;      // [N, KH*D] after RoPE
  v: Float32Array;      // [N, KH*D]
  att: Float32Array;    // [N, H*D]  attention output before o_proj
  xMid: Float32Array;   // [N, C]    x + o_proj(att)
  ln2: Float32Array;    // [N, C]    post_attention_layernorm(xMid)
  rstd2: Float32Array;  // [N]
  gate: Float32Array;   // [N, F]    gate_proj(ln2)
  up: Float32Array;     // [N, F]    up_proj(ln2)
  h: Float32Array;      // [N, F]    silu(gate) * up
  out: Float32Array;    // [N, C]    xMid + down_proj(h) (the next layer's x)
}

/** Attention from post-RoPE q[N,H*D], k,v [N,KH*D] into att[N,H*D] (within the batch, or over a cache). */
export type Attend = (q: Float32Array, k: Float32Array, v: Float32Array, att: Float32Array) => void;

/** Forward of one layer over N rows at RoPE positions pos[N]. */
export function layerForward(c: LlamaConfig, w: LayerWeights, b: LayerBuffers, N: number, pos: Int32Array, attend: Attend): void {
  const C = c.hiddenSize, H = c.numAttentionHeads, KH = c.numKeyValueHeads, D = c.headDim;
  native.rmsnormForward(b.ln1, b.rstd1, b.x, w.inputNorm.data, N, C, c.rmsNormEps);
  w.qProj.forward(b.q, b.ln1, N);
  w.kProj.forward(b.k, b.ln1, N);
  w.vProj.forward(b.v, b.ln1, N);
  native.ropeForward(b.q, pos, N, H, D, c.ropeTheta);
  native.ropeForward(b.k, pos, N, KH, D, c.ropeTheta);
  attend(b.q, b.k, b.v, b.att);
  if (b.xMid !== b.x) b.xMid.set(b.x.subarray(0, N * C));
  w.oProj.forward(b.xMid, b.att, N, true);                 // xMid = x + o_proj(att)
  native.rmsnormForward(b.ln2, b.rstd2, b.xMid, w.postNorm.data, N, C, c.rmsNormEps);
  w.gateProj.forward(b.gate, b.ln2, N);
  w.upProj.forward(b.up, b.ln2, N);
  native.swigluForward(b.h, b.gate, b.up, N * c.intermediateSize);
  if (b.out !== b.xMid) b.out.set(b.xMid.subarray(0, N * C));
  w.downProj.forward(b.out, b.h, N, true);                 // out = xMid + down_proj(h)
}

/** Gradient scratch of the backward, shared by all layers. */
export interface LayerGrads {
  dRes: Float32Array;   // [N, C] gradient of the residual stream: in = d out, out = d x
  dMid: Float32Array;   // [N, C] gradient w.r.t. xMid
  dLn: Float32Array;    // [N, C]
  dAtt: Float32Array;   // [N, H*D]
  dq: Float32Array;     // [N, H*D]
  dk: Float32Array;     // [N, KH*D]
  dv: Float32Array;     // [N, KH*D]
  dh: Float32Array;     // [N, F]
  dGate: Float32Array;  // [N, F]
  dUp: Float32Array;    // [N, F]
}

/** Backward of attend: from dAtt, WRITES dq, dk, dv (w.r.t. the post-RoPE q, k and v). */
export type AttendBackward = (dq: Float32Array, dk: Float32Array, dv: Float32Array, dAtt: Float32Array) => void;

/**
 * Backward of layerForward, read in reverse: g.dRes holds d(out) on entry and d(x) on return;
 * parameter gradients accumulate (trainable parameters only).
 */
export function layerBackward(c: LlamaConfig, w: LayerWeights, b: LayerBuffers, g: LayerGrads, N: number, pos: Int32Array,
  attendBackward: AttendBackward): void {
  const C = c.hiddenSize, H = c.numAttentionHeads, KH = c.numKeyValueHeads, D = c.headDim;
  // out = xMid + down_proj(h): dRes flows to xMid unchanged, and into the MLP.
  g.dMid.set(g.dRes.subarray(0, N * C));
  w.downProj.backward(g.dh, g.dRes, b.h, N);
  native.swigluBackward(g.dGate, g.dUp, g.dh, b.gate, b.up, N * c.intermediateSize);
  w.gateProj.backward(g.dLn, g.dGate, b.ln2, N);
  w.upProj.backward(g.dLn, g.dUp, b.ln2, N, true);
  native.rmsnormBackward(g.dMid, normGrad(w.postNorm), g.dLn, b.xMid, w.postNorm.data, b.rstd2, N, C);
  // xMid = x + o_proj(att): dMid flows to x unchanged, and into attention.
  g.dRes.set(g.dMid.subarray(0, N * C));
  w.oProj.backward(g.dAtt, g.dMid, b.att, N);
  attendBackward(g.dq, g.dk, g.dv, g.dAtt);
  native.ropeBackward(g.dq, pos, N, H, D, c.ropeTheta);
  native.ropeBackward(g.dk, pos, N, KH, D, c.ropeTheta);
  w.qProj.backward(g.dLn, g.dq, b.ln1, N);
  w.kProj.backward(g.dLn, g.dk, b.ln1, N, true);
  w.vProj.backward(g.dLn, g.dv, b.ln1, N, true);
  native.rmsnormBackward(g.dRes, normGrad(w.inputNorm), g.dLn, b.x, w.inputNorm.data, b.rstd1, N, C);
}

/** An RMSNorm gain's gradient buffer, or a scratch that is thrown away when the gain is frozen. */
export function normGrad(p: Param): Float32Array {
  return p.trainable ? gradOf(p) : discard(p.data.length);
}

let scratch = new Float32Array(0);
/** Scratch for the gradient of a frozen norm gain (the rmsnorm kernel always writes dw). */
function discard(n: number): Float32Array {
  if (scratch.length < n) scratch = new Float32Array(n);
  return scratch.subarray(0, n);
}
