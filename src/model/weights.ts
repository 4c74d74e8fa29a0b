// The Llama parameter set in transformers' names (LlamaForCausalLM / LlamaForSequenceClassification),
// with typed per-layer views so the forward and backward read like llama2.c's run.c.
// Shapes follow PyTorch nn.Linear: weight [out_features, in_features].
import type { LlamaConfig } from "./config.js";
import { numel, type Param } from "./params.js";
import { expectedTensorShapes } from "../io/checkpoint.js";

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
  /** Every distinct parameter, in HF state_dict order (a tied lm_head is not listed twice). */
  all: Param[];
}

/** Allocates zeroed weights (and gradients) for a config and head; norms start at one. */
export function allocateWeights(c: LlamaConfig, head: HeadKind, numLabels = 1): LlamaWeights {
  // Names and shapes come from the one HF layout (io/checkpoint.ts), so loading, saving and the
  // model can never disagree. Weight decay on matrices only (llama2-recipe.md §Pretraining).
  const shapes = expectedTensorShapes(c, head === "lm" ? "causal-lm" : "sequence-classification", numLabels);
  const all: Param[] = [];
  const byName = new Map<string, Param>();
  for (const [name, shape] of shapes) {
    const n = numel(shape);
    const p: Param = { name, shape, data: new Float32Array(n), grad: new Float32Array(n), decay: shape.length > 1 };
    if (shape.length === 1) p.data.fill(1);
    all.push(p);
    byName.set(name, p);
  }
  const get = (name: string): Param => byName.get(name)!;
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.numHiddenLayers; l++) {
    const pre = `model.layers.${l}.`;
    layers.push({
      inputNorm: get(`${pre}input_layernorm.weight`),
      wq: get(`${pre}self_attn.q_proj.weight`),
      wk: get(`${pre}self_attn.k_proj.weight`),
      wv: get(`${pre}self_attn.v_proj.weight`),
      wo: get(`${pre}self_attn.o_proj.weight`),
      postNorm: get(`${pre}post_attention_layernorm.weight`),
      wGate: get(`${pre}mlp.gate_proj.weight`),
      wUp: get(`${pre}mlp.up_proj.weight`),
      wDown: get(`${pre}mlp.down_proj.weight`),
    });
  }
  const embed = get("model.embed_tokens.weight");
  return {
    embed, layers, finalNorm: get("model.norm.weight"),
    lmHead: head === "lm" ? (c.tieWordEmbeddings ? embed : get("lm_head.weight")) : null,
    score: head === "score" ? get("score.weight") : null,
    all,
  };
}
