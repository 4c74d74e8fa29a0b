// One training step's cost at a model shape (forward + backward + AdamW), for `llama2 bench train`
// and the side-by-side comparison with PyTorch (bench/train_pytorch.py uses the same FLOP formula).
import type { LlamaConfig } from "../model/config.js";

/**
 * Matmul FLOPs of one forward+backward over B×T tokens: 6 per weight per token for every linear layer
 * (incl. the LM head), plus causal attention scores and weighted values (QKᵀ and PV: 2·2·D per query-key
 * pair, (T+1)/2 keys per query on average), also ×3 for the backward.
 */
export function trainStepFlops(c: LlamaConfig, B: number, T: number): number {
  const C = c.hiddenSize, HD = c.numAttentionHeads * c.headDim, KD = c.numKeyValueHeads * c.headDim, F = c.intermediateSize;
  const perLayerWeights = C * HD + 2 * C * KD + HD * C + 3 * C * F;
  const linear = (perLayerWeights * c.numHiddenLayers + C * c.vocabSize) * 6 * B * T;
  const attention = 3 * 2 * 2 * HD * c.numHiddenLayers * B * T * ((T + 1) / 2);
  return linear + attention;
}
