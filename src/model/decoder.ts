// The Llama decoder body for training: forward saving activations, and a backward that mirrors it
// step for step (llm.c's gpt2_forward / gpt2_backward). Per layer, as transformers' LlamaDecoderLayer:
//   h = x + o_proj(attn(rope(q_proj(rms(x))), rope(k_proj(rms(x))), v_proj(rms(x))))
//   out = h + down_proj(silu(gate_proj(rms(h))) * up_proj(rms(h)))
// Heads (LM logits, scalar score) and their losses live in the model; this file ends at model.norm.
import { native } from "../native/addon.js";
import type { LlamaConfig } from "./config.js";
import type { Activations } from "./activations.js";
import type { LlamaWeights } from "./weights.js";

/** Where each token sits: RoPE positions (default t) and packed-sequence segment ids (default one). */
export interface TokenLayout {
  pos?: Int32Array;     // [B*T]
  segIds?: Int32Array;  // [B*T]
}

/** Forward of embeddings → layers → final norm for ids[B,T]; fills acts up to acts.lnF. */
export function decoderForward(c: LlamaConfig, w: LlamaWeights, acts: Activations, ids: Int32Array,
  B: number, T: number, layout: TokenLayout = {}): void {
  const N = B * T, C = c.hiddenSize, F = c.intermediateSize, H = c.numAttentionHeads, KH = c.numKeyValueHeads;
  const D = c.headDim, HD = H * D, KD = KH * D;
  const pos = layout.pos ?? defaultPositions(acts.pos, B, T);
  const seg = layout.segIds ?? null;
  native.embeddingForward(acts.layers[0]!.x, ids, w.embed.data, N, C, c.vocabSize);
  for (let l = 0; l < c.numHiddenLayers; l++) {
    const a = acts.layers[l]!, lw = w.layers[l]!;
    native.rmsnormForward(a.ln1, a.rstd1, a.x, lw.inputNorm.data, N, C, c.rmsNormEps);
    native.matmul(a.q, a.ln1, lw.wq.data, N, HD, C, false, true, false);
    native.matmul(a.k, a.ln1, lw.wk.data, N, KD, C, false, true, false);
    native.matmul(a.v, a.ln1, lw.wv.data, N, KD, C, false, true, false);
    native.ropeForward(a.q, pos, N, H, D, c.ropeTheta);
    native.ropeForward(a.k, pos, N, KH, D, c.ropeTheta);
    native.attentionForward(a.att, a.probs, a.q, a.k, a.v, B, T, T, 0, H, KH, D, null, seg);
    a.xMid.set(a.x.subarray(0, N * C));
    native.matmul(a.xMid, a.att, lw.wo.data, N, C, HD, false, true, true);      // h = x + o_proj(att)
    native.rmsnormForward(a.ln2, a.rstd2, a.xMid, lw.postNorm.data, N, C, c.rmsNormEps);
    native.matmul(a.gate, a.ln2, lw.wGate.data, N, F, C, false, true, false);
    native.matmul(a.up, a.ln2, lw.wUp.data, N, F, C, false, true, false);
    native.swigluForward(a.h, a.gate, a.up, N * F);
    const out = l + 1 < c.numHiddenLayers ? acts.layers[l + 1]!.x : acts.xFinal;
    out.set(a.xMid.subarray(0, N * C));
    native.matmul(out, a.h, lw.wDown.data, N, C, F, false, true, true);         // out = h + down_proj(...)
  }
  native.rmsnormForward(acts.lnF, acts.rstdF, acts.xFinal, w.finalNorm.data, N, C, c.rmsNormEps);
}

/**
 * Backward from dLnF[N,C] (the gradient w.r.t. model.norm's output, which the head's backward wrote)
 * to every parameter gradient (accumulated). Mirrors decoderForward in reverse.
 */
export function decoderBackward(c: LlamaConfig, w: LlamaWeights, acts: Activations, dLnF: Float32Array,
  ids: Int32Array, B: number, T: number, layout: TokenLayout = {}): void {
  const N = B * T, C = c.hiddenSize, F = c.intermediateSize, H = c.numAttentionHeads, KH = c.numKeyValueHeads;
  const D = c.headDim, HD = H * D, KD = KH * D;
  const pos = layout.pos ?? acts.pos;  // forward filled acts.pos when no layout was given
  const g = acts.grads;
  g.dRes.fill(0, 0, N * C);
  native.rmsnormBackward(g.dRes, w.finalNorm.grad, dLnF, acts.xFinal, w.finalNorm.data, acts.rstdF, N, C);
  for (let l = c.numHiddenLayers - 1; l >= 0; l--) {
    const a = acts.layers[l]!, lw = w.layers[l]!;
    // out = xMid + down_proj(h): dRes flows to xMid unchanged, and into the MLP.
    g.dMid.set(g.dRes.subarray(0, N * C));
    native.matmul(g.dh, g.dRes, lw.wDown.data, N, F, C, false, false, false);
    native.matmul(lw.wDown.grad, g.dRes, a.h, C, F, N, true, false, true);
    native.swigluBackward(g.dGate, g.dUp, g.dh, a.gate, a.up, N * F);
    native.matmul(g.dLn, g.dGate, lw.wGate.data, N, C, F, false, false, false);
    native.matmul(g.dLn, g.dUp, lw.wUp.data, N, C, F, false, false, true);
    native.matmul(lw.wGate.grad, g.dGate, a.ln2, F, C, N, true, false, true);
    native.matmul(lw.wUp.grad, g.dUp, a.ln2, F, C, N, true, false, true);
    native.rmsnormBackward(g.dMid, lw.postNorm.grad, g.dLn, a.xMid, lw.postNorm.data, a.rstd2, N, C);
    // xMid = x + o_proj(att): dMid flows to x unchanged, and into attention.
    g.dRes.set(g.dMid.subarray(0, N * C));
    native.matmul(g.dAtt, g.dMid, lw.wo.data, N, HD, C, false, false, false);
    native.matmul(lw.wo.grad, g.dMid, a.att, C, HD, N, true, false, true);
    native.attentionBackward(g.dq, g.dk, g.dv, g.dAtt, a.probs, a.q, a.k, a.v, B, T, H, KH, D);
    native.ropeBackward(g.dq, pos, N, H, D, c.ropeTheta);
    native.ropeBackward(g.dk, pos, N, KH, D, c.ropeTheta);
    native.matmul(g.dLn, g.dq, lw.wq.data, N, C, HD, false, false, false);
    native.matmul(g.dLn, g.dk, lw.wk.data, N, C, KD, false, false, true);
    native.matmul(g.dLn, g.dv, lw.wv.data, N, C, KD, false, false, true);
    native.matmul(lw.wq.grad, g.dq, a.ln1, HD, C, N, true, false, true);
    native.matmul(lw.wk.grad, g.dk, a.ln1, KD, C, N, true, false, true);
    native.matmul(lw.wv.grad, g.dv, a.ln1, KD, C, N, true, false, true);
    native.rmsnormBackward(g.dRes, lw.inputNorm.grad, g.dLn, a.x, lw.inputNorm.data, a.rstd1, N, C);
  }
  native.embeddingBackward(w.embed.grad, g.dRes, ids, N, C);
}

/** Positions 0..T-1 for every row of a [B,T] batch. */
export function defaultPositions(out: Int32Array, B: number, T: number): Int32Array {
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out[b * T + t] = t;
  return out;
}
