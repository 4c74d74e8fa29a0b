// The Llama architecture hyper-parameters (llama2-recipe.md §Architecture) in transformers'
// LlamaConfig vocabulary, so config.json maps one-to-one (src/model/hf-config.ts does the I/O).

/** A Llama decoder's shape. Field names are transformers' LlamaConfig keys in camelCase. */
export interface LlamaConfig {
  vocabSize: number;          // V
  hiddenSize: number;         // C (dim)
  intermediateSize: number;   // F (SwiGLU hidden)
  numHiddenLayers: number;    // L
  numAttentionHeads: number;  // H
  numKeyValueHeads: number;   // KH (GQA; H % KH == 0)
  headDim: number;            // D (usually C / H)
  maxPositionEmbeddings: number;
  rmsNormEps: number;
  ropeTheta: number;
  tieWordEmbeddings: boolean;
  bosTokenId: number;
  eosTokenId: number;
  /** Every end-of-sequence id when config.json lists several (Llama 3 chat models); eosTokenId is the first. Generation stops at any. */
  eosTokenIds?: readonly number[];
  padTokenId: number | null;
}

/** The ids generation stops at: eosTokenIds when config.json listed several, else eosTokenId. */
export function eosIds(c: LlamaConfig): readonly number[] {
  return c.eosTokenIds !== undefined && c.eosTokenIds.length > 0 ? c.eosTokenIds : [c.eosTokenId];
}

/** FFN hidden size of Meta's reference code: 2/3·4·dim, times ffn_dim_multiplier, rounded up to multiple_of. */
export function llamaFfnHidden(dim: number, multipleOf: number, ffnDimMultiplier = 1): number {
  let hidden = Math.floor((2 * 4 * dim) / 3);
  hidden = Math.floor(ffnDimMultiplier * hidden);
  return multipleOf * Math.ceil(hidden / multipleOf);
}

/** Throws with the offending field when the shape is inconsistent. */
export function validateConfig(c: LlamaConfig, source = "config"): void {
  const positive: (keyof LlamaConfig)[] = ["vocabSize", "hiddenSize", "intermediateSize", "numHiddenLayers",
    "numAttentionHeads", "numKeyValueHeads", "headDim", "maxPositionEmbeddings"];
  for (const k of positive) {
    const v = c[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0)
      throw new Error(`${source}: field "${k}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (c.numAttentionHeads % c.numKeyValueHeads !== 0)
    throw new Error(`${source}: num_attention_heads (${c.numAttentionHeads}) must be a multiple of num_key_value_heads (${c.numKeyValueHeads})`);
  if (c.headDim % 2 !== 0) throw new Error(`${source}: head_dim (${c.headDim}) must be even for RoPE`);
  if (!(c.rmsNormEps > 0)) throw new Error(`${source}: rms_norm_eps must be > 0`);
  if (!(c.ropeTheta > 0)) throw new Error(`${source}: rope_theta must be > 0`);
}
