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

export const ADAPTER_CONFIG = "adapter_config.json";
export const ADAPTER_WEIGHTS = "adapter_model.safetensors";

/** Whether dir is a PEFT adapter directory. */
export function isAdapterDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, ADAPTER_CONFIG));
}

export type PeftTaskType = "CAUSAL_LM" | "SEQ_CLS";

export interface AdapterDir {
  lora: LoraConfig;
  /** The base model directory, resolved against the adapter directory when relative. */
  baseDir: string;
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
  for (const k of ["use_dora", "use_rslora", "fan_in_fan_out", "lora_bias"] as const)
    if (j[k] === true) fail(k, "is true; not supported (plain LoRA only)");
  if (j.bias !== undefined && j.bias !== "none") fail("bias", `is ${JSON.stringify(j.bias)}; only "none" is supported`);
  for (const k of ["rank_pattern", "alpha_pattern"] as const)
    if (j[k] && typeof j[k] === "object" && Object.keys(j[k] as object).length > 0) fail(k, "is not empty; per-module ranks are not supported");
  for (const k of ["layers_to_transform", "exclude_modules"] as const)
    if (j[k] !== undefined && j[k] !== null) fail(k, "is set; not supported");
  const targets = j.target_modules;
  if (!Array.isArray(targets) || !targets.every((t) => typeof t === "string"))
    fail("target_modules", `must be a list of module names (${LORA_TARGETS.join(", ")}), got ${JSON.stringify(targets)}`);
  const lora: LoraConfig = { r: j.r as number, alpha: j.lora_alpha as number, dropout: (j.lora_dropout as number | undefined) ?? 0, targets: targets as string[] };
  validateLora(lora, file);
  if (lora.r === 0) fail("r", "must be >= 1");
  const task = j.task_type ?? null;
  if (task !== null && task !== "CAUSAL_LM" && task !== "SEQ_CLS") fail("task_type", `is ${JSON.stringify(task)}; CAUSAL_LM or SEQ_CLS`);
  const weights = path.join(dir, ADAPTER_WEIGHTS);
  if (!fs.existsSync(weights)) throw new Error(`${dir}: no ${ADAPTER_WEIGHTS} (adapter_model.bin is not supported)`);
  const tensors = new Map<string, Tensor>();
  for (const [n, t] of readSafetensors(weights).tensors) tensors.set(n, { shape: t.shape, data: t.data });
  return { lora, baseDir: path.resolve(dir, j.base_model_name_or_path as string), taskType: task as PeftTaskType | null, tensors };
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
      use_dora: false, use_rslora: false, rank_pattern: {}, alpha_pattern: {}, revision: null,
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
