// LlamaConfig <-> transformers `config.json` (transformers/models/llama/configuration_llama.py). Reads both the
// transformers-4 layout (top-level `rope_theta`, `rope_scaling`) and the transformers-5 one (`rope_parameters`),
// with the same precedence and defaults as modeling_rope_utils.convert_rope_params_to_dict; writes the key set
// transformers 5.17's save_pretrained writes (plus a top-level `rope_theta` so transformers 4 reads theta too).
import * as fs from "node:fs";
import { type LlamaConfig, validateConfig } from "./config.js";

/** Which head sits on the decoder: `lm_head` (LlamaForCausalLM) or `score` (LlamaForSequenceClassification). */
export type ModelKind = "causal-lm" | "sequence-classification";

const ARCH: Record<ModelKind, string> = {
  "causal-lm": "LlamaForCausalLM",
  "sequence-classification": "LlamaForSequenceClassification",
};

/** A parsed config.json. */
export interface HfConfig {
  config: LlamaConfig;
  kind: ModelKind;
  /** score rows for sequence classification (1 for a reward model); 0 for a causal LM. */
  numLabels: number;
  /** Storage dtype named in the file (`dtype` or `torch_dtype`), e.g. "float32", "bfloat16". */
  dtype: string | null;
}

/** The format version we write in `transformers_version`: the layout is that of this transformers release. */
export const TRANSFORMERS_FORMAT_VERSION = "5.17.0";

type Json = Record<string, unknown>;

function field(j: Json, key: string, src: string, opts: { def?: number; int?: boolean; nullable?: boolean } = {}): number | null {
  const v = j[key];
  if (v === undefined) {
    if (opts.def !== undefined) return opts.def;
    if (opts.nullable) return null;
    throw new Error(`${src}: field "${key}" is missing`);
  }
  if (v === null && opts.nullable) return null;
  if (typeof v !== "number" || !Number.isFinite(v) || (opts.int && !Number.isInteger(v)))
    throw new Error(`${src}: field "${key}" must be ${opts.int ? "an integer" : "a number"}, got ${JSON.stringify(v)}`);
  return v;
}

function req(j: Json, key: string, src: string, opts: { def?: number; int?: boolean } = {}): number {
  return field(j, key, src, opts) as number;
}

/** RoPE theta per transformers: rope_scaling (v4) overrides rope_parameters (v5); their rope_theta beats the top level. */
function ropeTheta(j: Json, src: string): number {
  const scaling = j["rope_scaling"];
  const params = scaling ?? j["rope_parameters"] ?? {};
  const which = scaling ? "rope_scaling" : "rope_parameters";
  if (typeof params !== "object" || params === null || Array.isArray(params))
    throw new Error(`${src}: field "${which}" must be an object or null, got ${JSON.stringify(params)}`);
  const p = params as Json;
  const type = p["rope_type"] ?? p["type"] ?? "default";
  if (type !== "default")
    throw new Error(`${src}: field "${which}.rope_type" is ${JSON.stringify(type)}; only "default" RoPE is supported (no llama3/linear/dynamic/yarn scaling)`);
  const prf = p["partial_rotary_factor"] ?? j["partial_rotary_factor"];
  if (prf !== undefined && prf !== null && prf !== 1)
    throw new Error(`${src}: field "partial_rotary_factor" is ${JSON.stringify(prf)}; only full rotary embeddings are supported`);
  if (p["rope_theta"] !== undefined) return req(p, "rope_theta", `${src}: ${which}`);
  return req(j, "rope_theta", src, { def: 10000 });
}

function tokenId(j: Json, key: string, src: string, def: number): number {
  const v = j[key];
  if (Array.isArray(v)) {
    // Several EOS ids (e.g. Llama 3 chat models): our config holds one; the first is the primary.
    if (v.length === 0 || !v.every((x) => Number.isInteger(x))) throw new Error(`${src}: field "${key}" must be an integer or a non-empty list of integers`);
    return v[0] as number;
  }
  return req(j, key, src, { def, int: true });
}

/** Parses a config.json object (`src` names the file in errors). */
export function configFromHf(json: unknown, src = "config.json"): HfConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error(`${src}: must be a JSON object`);
  const j = json as Json;
  if (j["model_type"] !== undefined && j["model_type"] !== "llama")
    throw new Error(`${src}: field "model_type" is ${JSON.stringify(j["model_type"])}, expected "llama"`);
  let kind: ModelKind = "causal-lm";
  const arch = j["architectures"];
  if (arch !== undefined && arch !== null) {
    if (!Array.isArray(arch) || arch.length !== 1) throw new Error(`${src}: field "architectures" must be a one-element list, got ${JSON.stringify(arch)}`);
    const found = (Object.keys(ARCH) as ModelKind[]).find((k) => ARCH[k] === arch[0]);
    if (!found) throw new Error(`${src}: field "architectures" is ${JSON.stringify(arch)}; supported: ${Object.values(ARCH).join(", ")}`);
    kind = found;
  }
  const act = j["hidden_act"] ?? "silu";
  if (act !== "silu") throw new Error(`${src}: field "hidden_act" is ${JSON.stringify(act)}, only "silu" is supported`);
  for (const k of ["attention_bias", "mlp_bias"])
    if (j[k] !== undefined && j[k] !== false) throw new Error(`${src}: field "${k}" is ${JSON.stringify(j[k])}; biases are not supported`);
  const hidden = req(j, "hidden_size", src, { int: true });
  const heads = req(j, "num_attention_heads", src, { int: true });
  const kv = field(j, "num_key_value_heads", src, { int: true, nullable: true }) ?? heads;
  const headDim = field(j, "head_dim", src, { int: true, nullable: true }) ?? Math.floor(hidden / heads);
  const tie = j["tie_word_embeddings"] ?? false;
  if (typeof tie !== "boolean") throw new Error(`${src}: field "tie_word_embeddings" must be a boolean`);
  const config: LlamaConfig = {
    vocabSize: req(j, "vocab_size", src, { int: true }),
    hiddenSize: hidden,
    intermediateSize: req(j, "intermediate_size", src, { int: true }),
    numHiddenLayers: req(j, "num_hidden_layers", src, { int: true }),
    numAttentionHeads: heads,
    numKeyValueHeads: kv,
    headDim,
    maxPositionEmbeddings: req(j, "max_position_embeddings", src, { int: true, def: 2048 }),
    rmsNormEps: req(j, "rms_norm_eps", src, { def: 1e-6 }),
    ropeTheta: ropeTheta(j, src),
    tieWordEmbeddings: tie,
    bosTokenId: tokenId(j, "bos_token_id", src, 1),
    eosTokenId: tokenId(j, "eos_token_id", src, 2),
    ...(Array.isArray(j["eos_token_id"]) && j["eos_token_id"].length > 1 ? { eosTokenIds: [...(j["eos_token_id"] as number[])] } : {}),
    padTokenId: field(j, "pad_token_id", src, { int: true, nullable: true }),
  };
  validateConfig(config, src);
  let numLabels = 0;
  if (kind === "sequence-classification") {
    const id2label = j["id2label"];
    if (id2label !== undefined && id2label !== null) {
      if (typeof id2label !== "object") throw new Error(`${src}: field "id2label" must be an object`);
      numLabels = Object.keys(id2label).length;
    } else numLabels = req(j, "num_labels", src, { int: true, def: 2 }); // transformers' default
    if (numLabels < 1) throw new Error(`${src}: field "id2label" must name at least one label`);
  }
  const dtype = j["dtype"] ?? j["torch_dtype"] ?? null;
  return { config, kind, numLabels, dtype: typeof dtype === "string" ? dtype : null };
}

/** Options for configToHf. */
export interface ToHfOptions {
  numLabels?: number;
  /** torch dtype name of the saved weights: "float32" | "bfloat16" | "float16". */
  dtype?: string;
}

/** The config.json object transformers 5.17 would save for this model (keys sorted, as save_pretrained does). */
export function configToHf(c: LlamaConfig, kind: ModelKind, opts: ToHfOptions = {}): Json {
  validateConfig(c);
  const j: Json = {
    architectures: [ARCH[kind]],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: c.bosTokenId,
    dtype: opts.dtype ?? "float32",
    eos_token_id: c.eosTokenIds !== undefined && c.eosTokenIds.length > 1 ? [...c.eosTokenIds] : c.eosTokenId,
    head_dim: c.headDim,
    hidden_act: "silu",
    hidden_size: c.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: c.intermediateSize,
    max_position_embeddings: c.maxPositionEmbeddings,
    mlp_bias: false,
    model_type: "llama",
    num_attention_heads: c.numAttentionHeads,
    num_hidden_layers: c.numHiddenLayers,
    num_key_value_heads: c.numKeyValueHeads,
    pad_token_id: c.padTokenId,
    pretraining_tp: 1,
    rms_norm_eps: c.rmsNormEps,
    rope_parameters: { rope_theta: c.ropeTheta, rope_type: "default" },
    rope_theta: c.ropeTheta,
    tie_word_embeddings: c.tieWordEmbeddings,
    transformers_version: TRANSFORMERS_FORMAT_VERSION,
    use_cache: true,
    vocab_size: c.vocabSize,
  };
  if (kind === "sequence-classification") {
    const n = opts.numLabels ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new Error(`configToHf: numLabels must be a positive integer, got ${n}`);
    const id2label: Record<string, string> = {};
    const label2id: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      id2label[String(i)] = `LABEL_${i}`;
      label2id[`LABEL_${i}`] = i;
    }
    j["id2label"] = id2label;
    j["label2id"] = label2id;
  }
  return Object.fromEntries(Object.entries(j).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Reads and parses `<path>` (a config.json). */
export function readHfConfig(path: string): HfConfig {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: invalid JSON: ${(e as Error).message}`);
  }
  return configFromHf(json, path);
}

/** A generation_config.json for a causal LM (what transformers writes from the model config). */
export function generationConfigToHf(c: LlamaConfig): Json {
  const j: Json = { _from_model_config: true, bos_token_id: c.bosTokenId, eos_token_id: c.eosTokenId };
  j["output_attentions"] = false;
  j["output_hidden_states"] = false;
  if (c.padTokenId !== null) j["pad_token_id"] = c.padTokenId;
  j["transformers_version"] = TRANSFORMERS_FORMAT_VERSION;
  j["use_cache"] = true;
  return j;
}
