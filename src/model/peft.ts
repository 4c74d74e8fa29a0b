// PEFT LoRA adapter directories (peft's save_pretrained / AutoPeftModel layout): adapter_config.json
// (peft_type LORA, base_model_name_or_path, r, lora_alpha, lora_dropout, target_modules, task_type) and
// adapter_model.safetensors with PEFT's tensor names ("base_model.model.<module>.lora_A.weight", and for
// a SEQ_CLS adapter the trained head "base_model.model.score.weight"). Written atomically.
import fs from "node:fs";
import path from "node:path";
import { fsyncDir } from "../io/atomic-file.js";
import { readSafetensors, writeSafetensors, type Tensor } from "../io/safetensors.js";
import { LORA_TARGETS, validateLora, type LoraConfig } from "./lora.js";
import { mkdirpOrExplain } from "../io/fs-errors.js";
import { findDir } from "../io/find-dir.js";

export const ADAPTER_CONFIG = "adapter_config.json";
export const ADAPTER_WEIGHTS = "adapter_model.safetensors";

/** Whether dir is a PEFT adapter directory. */
export function isAdapterDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, ADAPTER_CONFIG));
}

export type PeftTaskType = "CAUSAL_LM" | "SEQ_CLS";

export interface AdapterDir {
  lora: LoraConfig;
  /** The base model directory: see {@link adapterBase}. */
  baseDir: string;
  /** Set when base_model_name_or_path names no model directory here (e.g. a Hugging Face Hub id): why. */
  baseMissing: string | null;
  taskType: PeftTaskType | null;
  /** PEFT names → tensors. */
  tensors: Map<string, Tensor>;
}

/** Reads an adapter directory; unsupported PEFT options are errors naming the file and field. */
export function readAdapterDir(dir: string): AdapterDir {
  const file = path.join(dir, ADAPTER_CONFIG);
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const fail = (field: string, what: string): never => { throw new Error(`${file}: field "${field}" ${what}`); };
  if (j.peft_type !== "LORA") fail("peft_type", `is ${JSON.stringify(j.peft_type)}; only "LORA" adapters are supported`);
  if (typeof j.base_model_name_or_path !== "string" || j.base_model_name_or_path === "") fail("base_model_name_or_path", "must name the base model directory");
  for (const k of ["use_dora", "fan_in_fan_out", "lora_bias", "use_qalora"] as const)
    if (j[k] === true) fail(k, "is true; not supported (plain LoRA or rsLoRA only)");
  if (j.use_rslora !== undefined && typeof j.use_rslora !== "boolean") fail("use_rslora", "must be a boolean");
  if (j.bias !== undefined && j.bias !== "none") fail("bias", `is ${JSON.stringify(j.bias)}; only "none" is supported`);
  for (const k of ["rank_pattern", "alpha_pattern"] as const)
    if (j[k] && typeof j[k] === "object" && Object.keys(j[k] as object).length > 0) fail(k, "is not empty; per-module ranks are not supported");
  for (const k of ["layers_to_transform", "exclude_modules", "layer_replication", "trainable_token_indices", "target_parameters"] as const)
    if (j[k] !== undefined && j[k] !== null) fail(k, "is set; not supported");
  const task = j.task_type ?? null;
  if (task !== null && task !== "CAUSAL_LM" && task !== "SEQ_CLS") fail("task_type", `is ${JSON.stringify(task)}; CAUSAL_LM or SEQ_CLS`);
  // modules_to_save: PEFT saves the whole module's weights; only the SEQ_CLS head ("score") is read (and written).
  const mts = j.modules_to_save ?? null;
  if (mts !== null) {
    if (!Array.isArray(mts) || !mts.every((m) => typeof m === "string")) fail("modules_to_save", `must be a list of module names or null, got ${JSON.stringify(mts)}`);
    const other = (mts as string[]).filter((m) => m !== "score" && m !== "classifier");
    if (other.length) fail("modules_to_save", `has ${other.map((m) => JSON.stringify(m)).join(", ")}; fully trained modules other than a SEQ_CLS adapter's "score" head are not supported (merge the adapter with PEFT's merge_and_unload and load the merged model)`);
  }
  if (!(typeof j.r === "number" && Number.isInteger(j.r) && j.r >= 1)) fail("r", `must be an integer >= 1, got ${JSON.stringify(j.r)}`);
  if (!(typeof j.lora_alpha === "number" && j.lora_alpha > 0)) fail("lora_alpha", `must be a number > 0, got ${JSON.stringify(j.lora_alpha)}`);
  const dropout = j.lora_dropout ?? 0;
  if (!(typeof dropout === "number" && dropout >= 0 && dropout < 1)) fail("lora_dropout", `must be in [0, 1), got ${JSON.stringify(dropout)}`);
  const tm = j.target_modules;
  if (!(typeof tm === "string" || (Array.isArray(tm) && tm.length > 0 && tm.every((t) => typeof t === "string" && t !== ""))))
    fail("target_modules", `must be a list of module names (${LORA_TARGETS.join(", ")}) or a regex string, got ${JSON.stringify(tm)}`);
  const weights = path.join(dir, ADAPTER_WEIGHTS);
  if (!fs.existsSync(weights)) throw new Error(`${dir}: no ${ADAPTER_WEIGHTS} (adapter_model.bin is not supported)`);
  const tensors = new Map<string, Tensor>();
  for (const [n, t] of readSafetensors(weights).tensors) tensors.set(n, { shape: t.shape, data: t.data });
  const lora: LoraConfig = { r: j.r as number, alpha: j.lora_alpha as number, dropout: dropout as number,
    targets: targetTypes(file, tm as string | string[], tensors) };
  if (j.use_rslora === true) lora.rslora = true;
  validateLora(lora, file);
  const base = adapterBase(dir, j.base_model_name_or_path as string);
  return { lora, baseDir: base.dir, baseMissing: base.missing, taskType: task as PeftTaskType | null, tensors };
}

/**
 * The base model directory of an adapter: base_model_name_or_path resolved against the adapter directory (portable
 * relative paths), then against the working directory (what PEFT's from_pretrained does); the first holding a
 * config.json. When neither does, `missing` says so — a Hub id such as "meta-llama/Llama-2-7b-hf" is not downloaded.
 */
export function adapterBase(dir: string, given: string): { dir: string; missing: string | null } {
  const { found, tried } = findDir(given, [dir, process.cwd()], ["config.json", ADAPTER_CONFIG]);
  if (found) return { dir: found, missing: null };
  return { dir: tried[0]!, missing: `${path.join(dir, ADAPTER_CONFIG)}: field "base_model_name_or_path" is ${JSON.stringify(given)}, which is no model directory ` +
    `(no config.json in ${tried.join(" or ")}); llama2-ts reads local directories only (no Hugging Face Hub downloads): ` +
    `download the base and fold the adapter into it with \`llama2 lora merge --model BASE --adapter ${dir} --out DIR\`, or write its path into that field` };
}

// A decoder linear layer as PEFT names it: model.layers.N.self_attn.{q,k,v,o}_proj / model.layers.N.mlp.{gate,up,down}_proj.
const DECODER_LINEAR = /^model\.layers\.(\d+)\.(?:self_attn\.(q_proj|k_proj|v_proj|o_proj)|mlp\.(gate_proj|up_proj|down_proj))$/;

/**
 * The module kinds (q_proj, ...) an adapter adapts. target_modules may be what PEFT saves for a list of kinds, for
 * "all-linear" (full module paths such as "model.layers.0.self_attn.q_proj") or a regex string (re.fullmatch on
 * module paths); the adapted modules are those with LoRA tensors, and each must be a decoder linear layer that
 * target_modules selects (peft tuners_utils.check_target_module_exists: equal, or ending in "." + the entry).
 */
function targetTypes(file: string, tm: string | string[], tensors: Map<string, Tensor>): string[] {
  const fail = (what: string): never => { throw new Error(`${file}: field "target_modules" ${what}`); };
  const supported = `LoRA is supported on the decoder's linear layers (${LORA_TARGETS.join(", ")})`;
  let selects: (module: string) => boolean;
  if (typeof tm === "string") {
    let re: RegExp;
    try { re = new RegExp(`^(?:${tm})$`); } catch (e) { return fail(`is the regex ${JSON.stringify(tm)}, which JavaScript cannot compile: ${(e as Error).message}`); }
    selects = (m) => re.test(m);
  } else {
    const entries = tm;
    const bad = entries.filter((t) => !(LORA_TARGETS as readonly string[]).includes(t.slice(t.lastIndexOf(".") + 1)));
    if (bad.length) fail(`has ${bad.map((t) => JSON.stringify(t)).join(", ")}; ${supported}`);
    // A plain list of kinds (what llama2-ts and most PEFT configs write): kept as written, in its order.
    if (entries.every((t) => !t.includes("."))) return entries;
    selects = (m) => entries.some((t) => m === t || m.endsWith("." + t));
  }
  const kinds = new Set<string>();
  for (const name of tensors.keys()) {
    const m = /^base_model\.model\.(.+)\.lora_(?:A|B|embedding_A|embedding_B)(?:\.weight)?$/.exec(name);
    if (!m) continue;
    const mod = m[1]!, lin = DECODER_LINEAR.exec(mod);
    if (!lin) fail(`selects "${mod}" (the adapter has tensor "${name}"); ${supported}`);
    if (!selects(mod)) fail(`does not select "${mod}", but the adapter has tensor "${name}"`);
    kinds.add(lin![2] ?? lin![3]!);
  }
  if (kinds.size === 0) fail(`is ${JSON.stringify(tm)}, and the adapter has no LoRA tensor of a decoder linear layer`);
  return LORA_TARGETS.filter((k) => kinds.has(k));
}

/**
 * Writes an adapter directory atomically (built in `<dir>.tmp-<pid>`, renamed over dir). `baseDir` is
 * stored as an absolute path, as PEFT's from_pretrained needs; `files` are copied in (tokenizer files).
 */
export function writeAdapterDir(dir: string, a: { lora: LoraConfig; baseDir: string; taskType: PeftTaskType; tensors: [string, Tensor][];
  dtype?: "F32" | "BF16" | "F16"; files?: Record<string, string | Uint8Array> }): void {
  const target = path.resolve(dir), tmp = `${target}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  mkdirpOrExplain(tmp);
  try {
    const config = {
      peft_type: "LORA", task_type: a.taskType, base_model_name_or_path: path.resolve(a.baseDir),
      r: a.lora.r, lora_alpha: a.lora.alpha, lora_dropout: a.lora.dropout, target_modules: a.lora.targets,
      bias: "none", fan_in_fan_out: false, inference_mode: true, init_lora_weights: true,
      modules_to_save: a.taskType === "SEQ_CLS" ? ["classifier", "score"] : null,
      use_dora: false, use_rslora: a.lora.rslora === true, rank_pattern: {}, alpha_pattern: {}, revision: null,
    };
    fs.writeFileSync(path.join(tmp, ADAPTER_CONFIG), JSON.stringify(config, null, 2) + "\n");
    writeSafetensors(path.join(tmp, ADAPTER_WEIGHTS), a.tensors, { dtype: a.dtype ?? "F32", metadata: { format: "pt" } });
    for (const [name, content] of Object.entries(a.files ?? {})) fs.writeFileSync(path.join(tmp, name), content);
    fsyncDir(tmp);
    if (fs.existsSync(target)) {
      const old = `${target}.old-${process.pid}`;
      fs.rmSync(old, { recursive: true, force: true });
      fs.renameSync(target, old);
      fs.renameSync(tmp, target);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      mkdirpOrExplain(path.dirname(target));
      fs.renameSync(tmp, target);
    }
    fsyncDir(path.dirname(target));
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
