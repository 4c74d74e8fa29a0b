// The Llama decoder body for training: forward saving activations, and a backward that mirrors it
// step for step (llm.c's gpt2_forward / gpt2_backward): embeddings → layers (src/model/layer.ts, the
// one layer sequence shared with cached inference) → model.norm. Attention here is within the batch
// (causal, block-diagonal over packed segments); heads (LM logits, scalar score) live in the model.
import { native } from "../native/addon.js";
import type { LlamaConfig } from "./config.js";
import type { Activations } from "./activations.js";
import { layerBackward, layerForward, normGrad, type LayerBuffers } from "./layer.js";
import type { LlamaWeights } from "./weights.js";

/** Where each token sits: RoPE positions (default t) and packed-sequence segment ids (default one). */
export interface TokenLayout {
  pos?: Int32Array;     // [B*T]
  segIds?: Int32Array;  // [B*T]
}

/** Forward of embeddings → layers → final norm for ids[B,T]; fills acts up to acts.lnF. */
export function decoderForward(c: LlamaConfig, w: LlamaWeights, acts: Activations, ids: Int32Array,
  B: number, T: number, layout: TokenLayout = {}): void {
  const N = B * T, C = c.hiddenSize, H = c.numAttentionHeads, KH = c.numKeyValueHeads, D = c.headDim;
  const pos = layout.pos ?? defaultPositions(acts.pos, B, T);
  const seg = layout.segIds ?? null;
  native.embeddingForward(acts.layers[0]!.x, ids, w.embed.data, N, C, c.vocabSize);
  for (let l = 0; l < c.numHiddenLayers; l++) {
    const a = acts.layers[l]!;
    const out = l + 1 < c.numHiddenLayers ? acts.layers[l + 1]!.x : acts.xFinal;
    layerForward(c, w.layers[l]!, layerBuffers(a, out), N, pos, (q, k, v, att) =>
      native.attentionForward(att, a.lse, q, k, v, B, T, T, 0, H, KH, D, null, seg));
  }
  native.rmsnormForward(acts.lnF, acts.rstdF, acts.xFinal, w.finalNorm.data, N, C, c.rmsNormEps);
}

/**
 * Backward from dLnF[N,C] (the gradient w.r.t. model.norm's output, which the head's backward wrote)
 * to every trainable parameter's gradient (accumulated). Mirrors decoderForward in reverse.
 */
export function decoderBackward(c: LlamaConfig, w: LlamaWeights, acts: Activations, dLnF: Float32Array,
  ids: Int32Array, B: number, T: number, layout: TokenLayout = {}): void {
  const N = B * T, C = c.hiddenSize, H = c.numAttentionHeads, KH = c.numKeyValueHeads, D = c.headDim;
  const pos = layout.pos ?? acts.pos;  // forward filled acts.pos when no layout was given
  const g = acts.gradScratch();
  g.dRes.fill(0, 0, N * C);
  native.rmsnormBackward(g.dRes, normGrad(w.finalNorm), dLnF, acts.xFinal, w.finalNorm.data, acts.rstdF, N, C);
  for (let l = c.numHiddenLayers - 1; l >= 0; l--) {
    const a = acts.layers[l]!;
    const out = l + 1 < c.numHiddenLayers ? acts.layers[l + 1]!.x : acts.xFinal;
    layerBackward(c, w.layers[l]!, layerBuffers(a, out), g, N, pos, (dq, dk, dv, dAtt) =>
      native.attentionBackward(dq, dk, dv, dAtt, a.att, a.lse, a.q, a.k, a.v, B, T, H, KH, D, layout.segIds ?? null));
  }
  if (w.embed.trainable) native.embeddingBackward(normGrad(w.embed), g.dRes, ids, N, C);
}

function layerBuffers(a: Activations["layers"][number], out: Float32Array): LayerBuffers {
  return { ...a, out };
}

/** Positions 0..T-1 for every row of a [B,T] batch. */
export function defaultPositions(out: Int32Array, B: number, T: number): Int32Array {
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out[b * T + t] = t;
  return out;
}
