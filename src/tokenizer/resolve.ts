// Turning --prompt/--text into ids for commands that take a model directory (generate, score,
// reward score): the model directory's tokenizer, loaded once per directory.
import fs from "node:fs";
import path from "node:path";
import { Tokenizer, type EncodeOptions } from "./tokenizer.js";
import { findDir } from "../io/find-dir.js";

const cache = new Map<string, Promise<Tokenizer>>();

/** Whether a model directory carries a tokenizer (tokenizer.json or tokenizer.model). */
export function hasTokenizer(modelDir: string): boolean {
  return fs.existsSync(path.join(modelDir, "tokenizer.json")) || fs.existsSync(path.join(modelDir, "tokenizer.model"));
}

/** Whether loadTokenizer(modelDir) finds a tokenizer: the directory's own, or an adapter directory's base's. */
export function resolvesTokenizer(modelDir: string): boolean {
  return hasTokenizer(tokenizerDir(path.resolve(modelDir)));
}

/** The tokenizer of a model directory (tokenizer.json or tokenizer.model), cached per resolved path. */
export function loadTokenizer(modelDir: string): Promise<Tokenizer> {
  const dir = tokenizerDir(path.resolve(modelDir));
  let t = cache.get(dir);
  if (t === undefined) {
    if (!hasTokenizer(dir))
      return Promise.reject(new Error(`${modelDir}: no tokenizer.json or tokenizer.model in the model directory (pass token ids with --ids instead)`));
    t = Tokenizer.load(dir);
    t.catch(() => cache.delete(dir));
    cache.set(dir, t);
  }
  return t;
}

/** A PEFT adapter directory without tokenizer files uses its base model's (adapter_config.json base_model_name_or_path). */
function tokenizerDir(dir: string): string {
  const adapter = path.join(dir, "adapter_config.json");
  if (hasTokenizer(dir) || !fs.existsSync(adapter)) return dir;
  try {
    const base = (JSON.parse(fs.readFileSync(adapter, "utf8")) as { base_model_name_or_path?: unknown }).base_model_name_or_path;
    if (typeof base !== "string" || base === "") return dir;
    return findDir(base, [dir, process.cwd()], ["config.json"]).found ?? dir;  // as the model's (src/model/peft.ts adapterBase)
  } catch {
    return dir;  // Llama.load reports the broken adapter_config.json
  }
}

/** Encodes `text` with the model directory's tokenizer; <s> is added when its config says so (Llama: yes). */
export async function textToIds(modelDir: string, text: string, opts: EncodeOptions = {}): Promise<number[]> {
  return (await loadTokenizer(modelDir)).encode(text, opts);
}
