// Named LlamaConfig shapes: karpathy/llama2.c's TinyStories series (README "models" table; FFN width from
// model.py's 2/3·4·dim rounded up to multiple_of — 4 for 260K, 32 for the others; tied embeddings as in
// model.py's weight tying) and Meta's Llama 2 7B/13B/70B (llama2-recipe.md §Architecture, meta-llama params.json).
import { type LlamaConfig, llamaFfnHidden } from "./config.js";

function make(dim: number, layers: number, heads: number, kvHeads: number, vocab: number, ffn: number, seq: number, tied: boolean): LlamaConfig {
  return {
    vocabSize: vocab,
    hiddenSize: dim,
    intermediateSize: ffn,
    numHiddenLayers: layers,
    numAttentionHeads: heads,
    numKeyValueHeads: kvHeads,
    headDim: dim / heads,
    maxPositionEmbeddings: seq,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    tieWordEmbeddings: tied,
    bosTokenId: 1,
    eosTokenId: 2,
    padTokenId: null,
  };
}

const PRESETS: Record<string, () => LlamaConfig> = {
  // llama2.c TinyStories models: dim, n_layers, n_heads, n_kv_heads, vocab, hidden_dim, max_seq_len
  stories260K: () => make(64, 5, 8, 4, 512, llamaFfnHidden(64, 4), 512, true), // hidden 172
  stories15M: () => make(288, 6, 6, 6, 32000, llamaFfnHidden(288, 32), 256, true), // hidden 768
  stories42M: () => make(512, 8, 8, 8, 32000, llamaFfnHidden(512, 32), 1024, true), // hidden 1376
  stories110M: () => make(768, 12, 12, 12, 32000, llamaFfnHidden(768, 32), 1024, true), // hidden 2048
  // Llama 2 (multiple_of 256; 70B: ffn_dim_multiplier 1.3, multiple_of 4096, GQA with 8 KV heads)
  "llama2-7b": () => make(4096, 32, 32, 32, 32000, llamaFfnHidden(4096, 256), 4096, false), // 11008
  "llama2-13b": () => make(5120, 40, 40, 40, 32000, llamaFfnHidden(5120, 256), 4096, false), // 13824
  "llama2-70b": () => make(8192, 80, 64, 8, 32000, llamaFfnHidden(8192, 4096, 1.3), 4096, false), // 28672
};

/** Names accepted by preset(). */
export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

/** A fresh copy of the named config; throws listing the known names. */
export function preset(name: string): LlamaConfig {
  const make = Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
  if (!make) throw new Error(`unknown model preset ${JSON.stringify(name)}; known presets: ${PRESET_NAMES.join(", ")}`);
  return make();
}
