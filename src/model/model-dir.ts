// Hugging Face model directories (DESIGN.md §1): config.json + model.safetensors (or shards with
// model.safetensors.index.json) + generation_config.json, tensor names as in transformers' LlamaForCausalLM /
// LlamaForSequenceClassification state_dict. Loading checks every tensor name and shape; saving writes a
// complete directory beside the target and renames it into place, so a crash never leaves a half-written model.
import * as fs from "node:fs";
import * as path from "node:path";
import type { LlamaConfig } from "./config.js";
import { fsyncDir } from "../io/atomic-file.js";
import { configToHf, generationConfigToHf, type ModelKind, readHfConfig } from "./hf-config.js";
import { readSafetensors, readSafetensorsHeader, type ReadOptions, type Tensor, writeSafetensors, type WriteDtype } from "../io/safetensors.js";
import { checkFinite, checkFiniteBf16, checkFloatDtype } from "./tensor-checks.js";
import { mkdirpOrExplain } from "../io/fs-errors.js";

export type { ModelKind } from "./hf-config.js";
export type { ReadOptions, Tensor } from "../io/safetensors.js";

/** A loaded model directory; tensors are float32 whatever the stored dtype. */
export interface ModelDir {
  config: LlamaConfig;
  kind: ModelKind;
  /** Rows of score.weight (sequence classification); 0 for a causal LM. */
  numLabels: number;
  /** HF name → tensor, in expectedTensorShapes() order. */
  tensors: Map<string, Tensor>;
  /** dtype named in config.json ("float32", "bfloat16", ...), or null. */
  dtype: string | null;
}

/** HF tensor names and shapes of a model, in state_dict order ([out, in] for every linear weight). */
export function expectedTensorShapes(c: LlamaConfig, kind: ModelKind, numLabels = 1): Map<string, number[]> {
  const C = c.hiddenSize, F = c.intermediateSize, H = c.numAttentionHeads, KH = c.numKeyValueHeads, D = c.headDim;
  const m = new Map<string, number[]>();
  m.set("model.embed_tokens.weight", [c.vocabSize, C]);
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const p = `model.layers.${i}.`;
    m.set(p + "self_attn.q_proj.weight", [H * D, C]);
    m.set(p + "self_attn.k_proj.weight", [KH * D, C]);
    m.set(p + "self_attn.v_proj.weight", [KH * D, C]);
    m.set(p + "self_attn.o_proj.weight", [C, H * D]);
    m.set(p + "mlp.gate_proj.weight", [F, C]);
    m.set(p + "mlp.up_proj.weight", [F, C]);
    m.set(p + "mlp.down_proj.weight", [C, F]);
    m.set(p + "input_layernorm.weight", [C]);
    m.set(p + "post_attention_layernorm.weight", [C]);
  }
  m.set("model.norm.weight", [C]);
  if (kind === "causal-lm" && !c.tieWordEmbeddings) m.set("lm_head.weight", [c.vocabSize, C]);
  if (kind === "sequence-classification") m.set("score.weight", [numLabels, C]);
  return m;
}

/** Tensors some writers add that carry no weights (old transformers' RoPE buffers) or duplicate a tied one. */
function ignorable(name: string, c: LlamaConfig, kind: ModelKind): boolean {
  return name.endsWith(".rotary_emb.inv_freq") || (kind === "causal-lm" && c.tieWordEmbeddings && name === "lm_head.weight");
}

const SHAPE = (s: number[]): string => JSON.stringify(s);

/** Throws naming `where` and the first offending tensors when names or shapes differ from `expected`. */
function checkTensors(where: string, expected: Map<string, number[]>, got: Map<string, { shape: number[] }>, skip: (n: string) => boolean): void {
  const missing = [...expected.keys()].filter((n) => !got.has(n));
  if (missing.length)
    throw new Error(`${where}: missing tensor${missing.length > 1 ? "s" : ""} ${missing.slice(0, 5).map((n) => `"${n}"`).join(", ")}${missing.length > 5 ? ` and ${missing.length - 5} more` : ""} (expected shape ${SHAPE(expected.get(missing[0]!)!)} for the first)`);
  const unexpected = [...got.keys()].filter((n) => !expected.has(n) && !skip(n));
  if (unexpected.length)
    throw new Error(`${where}: unexpected tensor${unexpected.length > 1 ? "s" : ""} ${unexpected.slice(0, 5).map((n) => `"${n}"`).join(", ")}${unexpected.length > 5 ? ` and ${unexpected.length - 5} more` : ""}`);
  for (const [name, shape] of expected) {
    const g = got.get(name)!.shape;
    if (SHAPE(g) !== SHAPE(shape)) throw new Error(`${where}: tensor "${name}" has shape ${SHAPE(g)}, expected ${SHAPE(shape)}`);
  }
}

const INDEX = "model.safetensors.index.json";
const SINGLE = "model.safetensors";

/** The weight files of a model directory: the sharded index's files with their tensor names, or model.safetensors (names null: all). */
function weightFiles(dir: string): { file: string; names: string[] | null }[] {
  const indexPath = path.join(dir, INDEX);
  if (fs.existsSync(indexPath)) {
    let index: { weight_map?: unknown };
    try {
      index = JSON.parse(fs.readFileSync(indexPath, "utf8"));
    } catch (e) {
      throw new Error(`${indexPath}: invalid JSON: ${(e as Error).message}`);
    }
    const wm = index.weight_map;
    if (typeof wm !== "object" || wm === null) throw new Error(`${indexPath}: field "weight_map" must be an object`);
    const byFile = new Map<string, string[]>();
    for (const [name, file] of Object.entries(wm)) {
      if (typeof file !== "string" || file.includes("/") || file.includes("\\"))
        throw new Error(`${indexPath}: field "weight_map.${name}" must be a file name in the directory, got ${JSON.stringify(file)}`);
      if (!byFile.has(file)) byFile.set(file, []);
      byFile.get(file)!.push(name);
    }
    return [...byFile].map(([file, names]) => ({ file: path.join(dir, file), names }));
  }
  if (fs.existsSync(path.join(dir, SINGLE))) return [{ file: path.join(dir, SINGLE), names: null }];
  throw new Error(`${dir}: no ${SINGLE} or ${INDEX} (PyTorch .bin checkpoints are not supported; convert with save_pretrained(safe_serialization=True))`);
}

/** Options of loadModelDir: ReadOptions, and the weight checks. */
export interface LoadModelDirOptions extends ReadOptions {
  /** Keep weights holding NaN/Inf instead of refusing them (forensics: `--allow-nonfinite`). */
  allowNonFinite?: boolean;
}

/**
 * Loads a transformers Llama directory (single-file or sharded safetensors; F32/BF16/F16 weights).
 * opts can keep BF16 tensors as their bits and transform each tensor as it is read (ReadOptions).
 * Integer-typed weights are refused by name, and so are NaN/Inf values (naming the tensor and the
 * first bad element) unless `allowNonFinite`.
 */
export function loadModelDir(dir: string, opts: LoadModelDirOptions = {}): ModelDir {
  // Per file: dtypes checked from the header before any data is read; each tensor checked for
  // NaN/Inf as it is read, before opts.onTensor turns it into another storage.
  const readOpts = (file: string, names: string[] | undefined): ReadOptions => {
    for (const [n, e] of readSafetensorsHeader(file).entries) if (!names || names.includes(n)) checkFloatDtype(file, n, e.dtype);
    return {
      keepBf16: opts.keepBf16,
      onTensor: (n, t) => {
        if (!opts.allowNonFinite) { if (t.bf16) checkFiniteBf16(file, n, t.shape, t.bf16); else checkFinite(file, n, t); }
        return opts.onTensor ? opts.onTensor(n, t) : t;
      },
    };
  };
  const why = notAModelDir(dir);
  if (why) throw new Error(why);
  const hf = readHfConfig(path.join(dir, "config.json"));
  const wanted = (names: string[]): string[] => names.filter((x) => !ignorable(x, hf.config, hf.kind));
  const all = new Map<string, Tensor>();
  for (const { file, names } of weightFiles(dir)) {
    const want = names ? wanted(names) : undefined;
    for (const [n, t] of readSafetensors(file, want, readOpts(file, want)).tensors) all.set(n, { shape: t.shape, data: t.data, bf16: t.bf16, q8_0: t.q8_0 });
  }
  const numLabels = hf.kind === "sequence-classification" ? hf.numLabels : 0;
  const expected = expectedTensorShapes(hf.config, hf.kind, numLabels || 1);
  checkTensors(dir, expected, all, (n) => ignorable(n, hf.config, hf.kind));
  const tensors = new Map<string, Tensor>();
  for (const name of expected.keys()) tensors.set(name, all.get(name)!);
  return { config: hf.config, kind: hf.kind, numLabels, tensors, dtype: hf.dtype };
}

/** A model directory whose tensors are read one at a time, when asked (exporting a model larger than memory as float32). */
export interface LazyModelDir {
  config: LlamaConfig;
  kind: ModelKind;
  /** Each expected tensor's shape; `data` reads it from its file as float32 on every access (not cached). */
  tensors: Map<string, { shape: number[]; readonly data: Float32Array }>;
}

/**
 * loadModelDir without reading any weight up front: the headers are read and checked (names, shapes, float
 * dtypes) at once; each tensor is read by its byte range and widened to float32 when its `data` is read, and
 * checked for NaN/Inf then. Peak memory is what the caller keeps alive, not the model.
 */
export function openModelDirLazily(dir: string): LazyModelDir {
  const hf = readHfConfig(path.join(dir, "config.json"));
  const fileOf = new Map<string, string>(), shapes = new Map<string, { shape: number[] }>();
  for (const { file, names } of weightFiles(dir))
    for (const [n, e] of readSafetensorsHeader(file).entries) {
      if ((names && !names.includes(n)) || ignorable(n, hf.config, hf.kind)) continue;
      checkFloatDtype(file, n, e.dtype);
      fileOf.set(n, file);
      shapes.set(n, { shape: e.shape });
    }
  const expected = expectedTensorShapes(hf.config, hf.kind, hf.kind === "sequence-classification" ? hf.numLabels || 1 : 1);
  checkTensors(dir, expected, shapes, (n) => ignorable(n, hf.config, hf.kind));
  const tensors = new Map<string, { shape: number[]; readonly data: Float32Array }>();
  for (const name of expected.keys()) {
    const file = fileOf.get(name)!, shape = shapes.get(name)!.shape;
    tensors.set(name, {
      shape,
      get data(): Float32Array {
        const t = readSafetensors(file, [name]).tensors.get(name)!;
        checkFinite(file, name, t);
        return t.data;
      },
    });
  }
  return { config: hf.config, kind: hf.kind, tensors };
}

/**
 * Why `dir` is no Hugging Face model directory (a GGUF or llama2.c file, a llama2.c or Meta checkpoint directory,
 * a missing path), or null when it has a config.json. Those formats are written here (llama2 export), not read.
 */
export function notAModelDir(dir: string): string | null {
  if (fs.existsSync(path.join(dir, "config.json"))) return null;
  const only = "llama2-ts loads Hugging Face model directories (config.json + model.safetensors)";
  if (!fs.existsSync(dir)) return `${dir}: no such model directory`;
  if (!fs.statSync(dir).isDirectory()) {
    const kind = /\.gguf$/i.test(dir) ? "a GGUF file" : /\.bin$/i.test(dir) ? "a file (a llama2.c or PyTorch checkpoint?)" : "a file";
    return `${dir} is ${kind}, not a model directory: ${only}; GGUF and llama2.c files are what \`llama2 export\` writes, they are not read back`;
  }
  const has = (f: string): boolean => fs.existsSync(path.join(dir, f));
  if (has("model.bin") || has("tokenizer.bin"))
    return `${dir}: no config.json; it looks like a llama2.c checkpoint (model.bin / tokenizer.bin), which llama2-ts exports but does not read: ${only}`;
  if (has("params.json") || fs.readdirSync(dir).some((f) => /^consolidated\.\d+\.pth$/.test(f)))
    return `${dir}: no config.json; it looks like Meta's original checkpoint (params.json, consolidated.*.pth): ${only} — convert it with transformers' convert_llama_weights_to_hf.py`;
  if (fs.readdirSync(dir).some((f) => /\.gguf$/i.test(f)))
    return `${dir}: no config.json; it holds GGUF files, which llama2-ts writes (llama2 export) but does not read: ${only}`;
  return `${dir}: no config.json: ${only}`;
}

/** Options for saveModelDir. */
export interface SaveModelOptions {
  /** Storage dtype of the weights (default float32). */
  dtype?: "float32" | "bfloat16" | "float16";
  /** Start a new shard when the current one would exceed this many bytes (default 50 GB, transformers 5's). */
  maxShardBytes?: number;
  /** Extra files (e.g. tokenizer.json) written into the directory as part of the same atomic replace. */
  files?: Record<string, string | Uint8Array>;
}

const DTYPE: Record<NonNullable<SaveModelOptions["dtype"]>, WriteDtype> = { float32: "F32", bfloat16: "BF16", float16: "F16" };

/**
 * Writes a transformers-loadable directory: config.json, model.safetensors (or model-0000i-of-0000N.safetensors
 * + model.safetensors.index.json), generation_config.json for causal LMs, and `opts.files`. `tensors` must be
 * exactly expectedTensorShapes() (numLabels is read from score.weight). The directory is built in
 * `<dir>.tmp-<pid>` and renamed over `dir`; an existing `dir` is replaced as a whole (other files in it go).
 */
export function saveModelDir(dir: string, config: LlamaConfig, kind: ModelKind, tensors: Map<string, Tensor>, opts: SaveModelOptions = {}): void {
  const dtype = opts.dtype ?? "float32";
  if (!(dtype in DTYPE)) throw new Error(`saveModelDir: unsupported dtype ${JSON.stringify(dtype)} (float32, bfloat16, float16)`);
  const numLabels = kind === "sequence-classification" ? tensors.get("score.weight")?.shape[0] ?? 1 : 0;
  const expected = expectedTensorShapes(config, kind, numLabels || 1);
  checkTensors(`saveModelDir(${dir})`, expected, tensors, () => false);
  for (const [name, t] of tensors)
    if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new Error(`saveModelDir(${dir}): tensor "${name}" data length ${t.data.length} does not match shape ${SHAPE(t.shape)}`);

  const target = path.resolve(dir);
  const tmp = `${target}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  mkdirpOrExplain(tmp);
  try {
    writeJson(path.join(tmp, "config.json"), configToHf(config, kind, { numLabels: numLabels || undefined, dtype }));
    if (kind === "causal-lm") writeJson(path.join(tmp, "generation_config.json"), generationConfigToHf(config));
    writeWeights(tmp, [...expected.keys()].map((n) => [n, tensors.get(n)!]), DTYPE[dtype], opts.maxShardBytes ?? 50e9);
    for (const [name, content] of Object.entries(opts.files ?? {})) {
      if (name.includes("/") || name.includes("\\") || name === "." || name === "..") throw new Error(`saveModelDir(${dir}): extra file name ${JSON.stringify(name)} must be a plain file name`);
      fs.writeFileSync(path.join(tmp, name), content);
    }
    replaceDir(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

function writeJson(file: string, obj: unknown): void {
  fs.writeFileSync(file, JSON.stringify(obj, null, 2) + "\n");
}

function writeWeights(dir: string, list: [string, Tensor][], dtype: WriteDtype, maxShardBytes: number): void {
  const itemSize = dtype === "F32" ? 4 : 2;
  const shards: [string, Tensor][][] = [[]];
  let bytes = 0;
  for (const entry of list) {
    const b = entry[1].data.length * itemSize;
    if (bytes > 0 && bytes + b > maxShardBytes) {
      shards.push([]);
      bytes = 0;
    }
    shards[shards.length - 1]!.push(entry);
    bytes += b;
  }
  if (shards.length === 1) {
    writeSafetensors(path.join(dir, SINGLE), list, { dtype });
    return;
  }
  const n = shards.length;
  const pad = (i: number): string => String(i).padStart(5, "0");
  const weightMap: Record<string, string> = {};
  let totalSize = 0, totalParams = 0;
  shards.forEach((shard, i) => {
    const file = `model-${pad(i + 1)}-of-${pad(n)}.safetensors`;
    writeSafetensors(path.join(dir, file), shard, { dtype });
    for (const [name, t] of shard) {
      weightMap[name] = file;
      totalSize += t.data.length * itemSize;
      totalParams += t.data.length;
    }
  });
  writeJson(path.join(dir, INDEX), { metadata: { total_parameters: totalParams, total_size: totalSize }, weight_map: weightMap });
}

/** Swaps `tmp` into `target`: the old directory is moved aside first and deleted only after the rename. */
function replaceDir(tmp: string, target: string): void {
  if (!fs.existsSync(target)) {
    mkdirpOrExplain(path.dirname(target));
    fs.renameSync(tmp, target);
    fsyncDir(path.dirname(target));
    return;
  }
  if (!fs.statSync(target).isDirectory()) throw new Error(`saveModelDir: ${target} exists and is not a directory`);
  const old = `${target}.old-${process.pid}`;
  fs.rmSync(old, { recursive: true, force: true });
  fs.renameSync(target, old);
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.renameSync(old, target); // put the previous model back
    throw e;
  }
  fsyncDir(path.dirname(target));
  fs.rmSync(old, { recursive: true, force: true });
}
