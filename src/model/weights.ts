// The Llama parameter set in transformers' names (LlamaForCausalLM / LlamaForSequenceClassification),
// with typed per-layer views so the forward and backward read like llama2.c's run.c. Every projection
// is a Linear (src/model/linear.ts) over its Param; shapes follow PyTorch nn.Linear: [out, in].
import type { LlamaConfig } from "./config.js";
import { Linear } from "./linear.js";
import { makeStorage, type WeightDtype, type WeightStorage } from "./weight-storage.js";
import { numel, type Param } from "./params.js";
import { expectedTensorShapes } from "./model-dir.js";
import { decodeBf16 } from "../io/dtype.js";

/** Which head sits on the decoder: next-token logits, or a scalar (reward / value) per position. */
export type HeadKind = "lm" | "score";

export interface LayerWeights {
  inputNorm: Param;   // [C]            input_layernorm (attention_norm in Meta's code)
  qProj: Linear;      // [H*D, C]       self_attn.q_proj (wq)
  kProj: Linear;      // [KH*D, C]      self_attn.k_proj (wk)
  vProj: Linear;      // [KH*D, C]      self_attn.v_proj (wv)
  oProj: Linear;      // [C, H*D]       self_attn.o_proj (wo)
  postNorm: Param;    // [C]            post_attention_layernorm (ffn_norm)
  gateProj: Linear;   // [F, C]         mlp.gate_proj (w1)
  upProj: Linear;     // [F, C]         mlp.up_proj (w3)
  downProj: Linear;   // [C, F]         mlp.down_proj (w2)
}

export interface LlamaWeights {
  embed: Param;        // [V, C]  model.embed_tokens
  layers: LayerWeights[];
  finalNorm: Param;    // [C]     model.norm
  /** lm_head [V, C]; over the embedding itself when tie_word_embeddings. */
  lmHead: Linear | null;
  /** score [numLabels, C] for the scalar head. */
  score: Linear | null;
  /** Every distinct parameter, in HF state_dict order (a tied lm_head is not listed twice). */
  all: Param[];
  /** Every linear layer, by HF module name (a tied lm_head included). */
  linears: Linear[];
}

export interface AllocateOptions {
  /** Parameters start trainable (default true); a frozen model never allocates gradients. */
  trainable?: boolean;
  /**
   * Use these buffers instead of allocating (adopted, not copied: Llama.load). A linear weight may come
   * as bfloat16 bits or Q8_0 blocks instead (bf16 / q8_0 set, data empty): it is kept so, never widened.
   */
  tensors?: Map<string, { data: Float32Array; bf16?: Uint16Array; q8_0?: Uint8Array }>;
  /**
   * Storage of the linear weights (default float32). bfloat16 / q8_0 make a frozen, inference-only
   * model: each linear keeps only that copy (Param.data emptied), except a tied LM head, whose
   * embedding stays float32 for the token lookup. q8_0 keeps float32 for a weight whose input
   * dimension is not a multiple of 32 (a Q8_0 block).
   */
  dtype?: WeightDtype;
}

/** Allocates weights for a config and head (zeroed, norms at one), or adopts opts.tensors. No gradients yet. */
export function allocateWeights(c: LlamaConfig, head: HeadKind, numLabels = 1, opts: AllocateOptions = {}): LlamaWeights {
  // Names and shapes come from the one HF layout, so loading, saving and the model can never
  // disagree. Weight decay on matrices only (llama2-recipe.md §Pretraining).
  const shapes = expectedTensorShapes(c, head === "lm" ? "causal-lm" : "sequence-classification", numLabels);
  const all: Param[] = [];
  const byName = new Map<string, Param>();
  const stored = new Map<string, WeightStorage>();
  const lowp = opts.dtype !== undefined && opts.dtype !== "float32";
  for (const [name, shape] of shapes) {
    const n = numel(shape);
    const given = opts.tensors?.get(name);
    let data = given?.data;
    if (given && (given.bf16 || given.q8_0)) {
      if (!opts.dtype || opts.dtype === "float32" || shape.length !== 2)
        throw new Error(`${name}: given as ${given.bf16 ? "bfloat16" : "q8_0"} but the model's dtype is ${opts.dtype ?? "float32"}`);
      stored.set(name, given.q8_0 ? { kind: "q8_0", blocks: given.q8_0 } : { kind: "bf16", bits: given.bf16! });
    } else if (data) {
      if (data.length !== n) throw new Error(`${name}: ${data.length} values, expected ${n} for shape ${JSON.stringify(shape)}`);
    } else {
      if (opts.tensors) throw new Error(`missing tensor "${name}"`);
      data = new Float32Array(n);
      if (shape.length === 1) data.fill(1);
    }
    const p: Param = { name, shape, data: data!, grad: null, trainable: lowp ? false : opts.trainable ?? true, decay: shape.length > 1 };
    all.push(p);
    byName.set(name, p);
  }
  const linears: Linear[] = [];
  const lin = (module: string, weightName = `${module}.weight`): Linear => {
    const p = byName.get(weightName)!, l = new Linear(module, p);
    linears.push(l);
    const [rows, cols] = [p.shape[0]!, p.shape[1]!];
    if (lowp && (opts.dtype === "bfloat16" || cols % 32 === 0)) {
      l.storage = stored.get(weightName) ?? makeStorage(opts.dtype!, rows, cols, { data: p.data }, weightName);
      if (weightName !== "model.embed_tokens.weight") p.data = new Float32Array(0);  // the low-precision copy is the weight now
    } else if (stored.has(weightName)) {  // q8_0 asked for but the loader kept bf16 bits of a non-multiple-of-32 weight
      p.data = new Float32Array(rows * cols);
      decodeBf16((stored.get(weightName) as { bits: Uint16Array }).bits, p.data);
    }
    return l;
  };
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.numHiddenLayers; l++) {
    const pre = `model.layers.${l}.`;
    layers.push({
      inputNorm: byName.get(`${pre}input_layernorm.weight`)!,
      qProj: lin(`${pre}self_attn.q_proj`),
      kProj: lin(`${pre}self_attn.k_proj`),
      vProj: lin(`${pre}self_attn.v_proj`),
      oProj: lin(`${pre}self_attn.o_proj`),
      postNorm: byName.get(`${pre}post_attention_layernorm.weight`)!,
      gateProj: lin(`${pre}mlp.gate_proj`),
      upProj: lin(`${pre}mlp.up_proj`),
      downProj: lin(`${pre}mlp.down_proj`),
    });
  }
  const embed = byName.get("model.embed_tokens.weight")!;
  const lmHead = head === "lm" ? lin("lm_head", c.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight") : null;
  const score = head === "score" ? lin("score") : null;
  return { embed, layers, finalNorm: byName.get("model.norm.weight")!, lmHead, score, all, linears };
}
