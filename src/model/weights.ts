// The Llama parameter set in transformers' names (LlamaForCausalLM / LlamaForSequenceClassification),
// with typed per-layer views so the forward and backward read like llama2.c's run.c.
// Shapes follow PyTorch nn.Linear: weight [out_features, in_features].
import type { LlamaConfig } from "./config.js";
import { numel, type Param } from "./params.js";

/** Which head sits on the decoder: next-token logits, or a scalar (reward / value) per position. */
export type HeadKind = "lm" | "score";

export interface LayerWeights {
  inputNorm: Param;   // [C]            input_layernorm (attention_norm in Meta's code)
  wq: Param;          // [H*D, C]       self_attn.q_proj
  wk: Param;          // [KH*D, C]      self_attn.k_proj
  wv: Param;          // [KH*D, C]      self_attn.v_proj
  wo: Param;          // [C, H*D]       self_attn.o_proj
  postNorm: Param;    // [C]            post_attention_layernorm (ffn_norm)
  wGate: Param;       // [F, C]         mlp.gate_proj (w1)
  wUp: Param;         // [F, C]         mlp.up_proj (w3)
  wDown: Param;       // [C, F]         mlp.down_proj (w2)
}

export interface LlamaWeights {
  embed: Param;        // [V, C]  model.embed_tokens
  layers: LayerWeights[];
  finalNorm: Param;    // [C]     model.norm
  /** lm_head [V, C]; the embedding itself when tie_word_embeddings. */
  lmHead: Param | null;
  /** score [numLabels, C] for the scalar head. */
  score: Param | null;
  /** Every distinct parameter, in HF order (a tied lm_head is not listed twice). */
  all: Param[];
}

function param(name: string, shape: number[], decay: boolean): Param {
  const n = numel(shape);
  return { name, shape, data: new Float32Array(n), grad: new Float32Array(n), decay };
}

/** Allocates zeroed weights (and gradients) for a config and head. */
export function allocateWeights(c: LlamaConfig, head: HeadKind, numLabels = 1): LlamaWeights {
  const C = c.hiddenSize, F = c.intermediateSize, HD = c.numAttentionHeads * c.headDim, KD = c.numKeyValueHeads * c.headDim;
  const all: Param[] = [];
  const add = (name: string, shape: number[], decay: boolean): Param => {
    const p = param(name, shape, decay);
    all.push(p);
    return p;
  };
  const embed = add("model.embed_tokens.weight", [c.vocabSize, C], true);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.numHiddenLayers; l++) {
    const pre = `model.layers.${l}.`;
    layers.push({
      inputNorm: add(`${pre}input_layernorm.weight`, [C], false),
      wq: add(`${pre}self_attn.q_proj.weight`, [HD, C], true),
      wk: add(`${pre}self_attn.k_proj.weight`, [KD, C], true),
      wv: add(`${pre}self_attn.v_proj.weight`, [KD, C], true),
      wo: add(`${pre}self_attn.o_proj.weight`, [C, HD], true),
      postNorm: add(`${pre}post_attention_layernorm.weight`, [C], false),
      wGate: add(`${pre}mlp.gate_proj.weight`, [F, C], true),
      wUp: add(`${pre}mlp.up_proj.weight`, [F, C], true),
      wDown: add(`${pre}mlp.down_proj.weight`, [C, F], true),
    });
  }
  const finalNorm = add("model.norm.weight", [C], false);
  let lmHead: Param | null = null;
  let score: Param | null = null;
  if (head === "lm") lmHead = c.tieWordEmbeddings ? embed : add("lm_head.weight", [c.vocabSize, C], true);
  else score = add("score.weight", [numLabels, C], true);
  for (const l of layers) { l.inputNorm.data.fill(1); l.postNorm.data.fill(1); }
  finalNorm.data.fill(1);
  return { embed, layers, finalNorm, lmHead, score, all };
}
