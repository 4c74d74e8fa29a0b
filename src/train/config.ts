// Recipe configuration (STYLE.md "Configs"): a typed schema with defaults, a YAML file and
// `--set key=value` overrides on top. Unknown keys and wrong types are errors naming the file,
// line and key. Every recipe (pretrain, sft, reward, ppo) declares its schema and gets a plain
// object with the keys it declared, snake_case as in the file.
import fs from "node:fs";
import { basename, resolve as pathResolve } from "node:path";
import YAML, { isMap, isScalar, LineCounter, type Node } from "yaml";

/** The type of one config field. "?" suffix = may also be null. */
export type FieldType = "int" | "number" | "string" | "bool" | "int?" | "number?" | "string?" | "bool?" | "string[]" | "json";

export interface FieldSpec {
  type: FieldType | Schema;
  default: unknown;
  /** Allowed values for a string field. */
  choices?: readonly string[];
  /**
   * Allowed range of a number field, in interval notation: "[0, 1)", "(0, 1]", "> 0", ">= 0", ">= 1".
   * Errors name the key (and, in a file, its line).
   */
  range?: string;
  /**
   * A path: stored absolute (resolved against the working directory), so a saved config means the same from anywhere.
   * On a "string[]" field every entry is one; on a "json" field every string, list entry and `path` member is.
   */
  path?: boolean;
  /**
   * `--resume` refuses to change this key (on a section: any of its keys); the text says what it is, e.g. "the
   * model's architecture". For keys whose saved state (weights, adapters, sampled data) a change would contradict.
   */
  fixed?: string;
  /**
   * For a "json" field holding a mapping of another schema's keys (rejection sampling's `sft`): that schema's `fixed`
   * keys are fixed inside it too, each compared with its default filled in (`sft.lora.r`, `sft.seq_len`).
   */
  fixedKeys?: Schema;
  /** For "json" fields (any YAML value; `--set` parses JSON when the text starts with [ or {): an error text or null. */
  validate?: (v: unknown) => string | null;
  doc?: string;
}

export interface Schema {
  [key: string]: FieldSpec;
}

export type ConfigValues = Record<string, unknown>;

/** The defaults of a schema as a fresh object. */
export function defaults(schema: Schema): ConfigValues {
  const out: ConfigValues = {};
  for (const [k, f] of Object.entries(schema)) out[k] = isSchema(f.type) ? defaults(f.type) : structuredClone(f.default);
  return out;
}

function isSchema(t: FieldType | Schema): t is Schema {
  return typeof t === "object";
}

/** Whether `x` lies in `range` ("[a, b)", "(a, b]", "> a", ">= a", "< b", "<= b"). */
export function inRange(x: number, range: string): boolean {
  const iv = /^([[(])\s*(-?[\d.e+-]+|-inf)\s*,\s*(-?[\d.e+-]+|inf)\s*([\])])$/.exec(range);
  if (iv) {
    const lo = iv[2] === "-inf" ? -Infinity : Number(iv[2]), hi = iv[3] === "inf" ? Infinity : Number(iv[3]);
    return (iv[1] === "[" ? x >= lo : x > lo) && (iv[4] === "]" ? x <= hi : x < hi);
  }
  const cmp = /^(>=|>|<=|<)\s*(-?[\d.e+-]+)$/.exec(range);
  if (!cmp) throw new Error(`config schema: bad range "${range}"`);
  const b = Number(cmp[2]);
  return cmp[1] === ">=" ? x >= b : cmp[1] === ">" ? x > b : cmp[1] === "<=" ? x <= b : x < b;
}

/** Checks one value against its field (type, then range); returns an error text or null. */
function check(f: FieldSpec, v: unknown): string | null {
  const err = checkType(f, v);
  if (err || f.range === undefined || typeof v !== "number") return err;
  return inRange(v, f.range) ? null : `must be ${/^[[(]/.test(f.range) ? `in ${f.range}` : f.range}, got ${v}`;
}

function checkType(f: FieldSpec, v: unknown): string | null {
  const t = f.type as FieldType;
  if (t === "json") return f.validate ? f.validate(v) : null;
  const nullable = t.endsWith("?");
  if (v === null) return nullable ? null : `must not be null (expected ${t})`;
  switch (t.replace("?", "")) {
    case "int":
      return typeof v === "number" && Number.isInteger(v) ? null : `expected an integer, got ${JSON.stringify(v)}`;
    case "number":
      return typeof v === "number" && Number.isFinite(v) ? null : `expected a number, got ${JSON.stringify(v)}`;
    case "bool":
      return typeof v === "boolean" ? null : `expected true or false, got ${JSON.stringify(v)}`;
    case "string":
      if (typeof v !== "string") return `expected a string, got ${JSON.stringify(v)}`;
      return f.choices && !f.choices.includes(v) ? `expected one of ${f.choices.join(", ")}, got "${v}"` : null;
    case "string[]":
      return Array.isArray(v) && v.every((s) => typeof s === "string") ? null : `expected a list of strings, got ${JSON.stringify(v)}`;
  }
  return `unsupported type ${t}`;
}

/** Applies a parsed YAML mapping to `target`, validating against `schema`. */
function applyYaml(schema: Schema, node: Node | null, target: ConfigValues, file: string, lines: LineCounter, prefix: string): void {
  const where = (n: Node | null | undefined): string => {
    const off = n?.range?.[0];
    return off === undefined ? file : `${file}:${lines.linePos(off).line}`;
  };
  if (node === null) return;
  if (!isMap(node)) throw new Error(`${where(node)}: ${prefix ? `"${prefix.slice(0, -1)}"` : "the top level"} must be a mapping of keys to values`);
  for (const pair of node.items) {
    const keyNode = pair.key as Node;
    const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const spec = schema[key];
    if (!spec) throw new Error(`${where(keyNode)}: unknown key "${prefix}${key}" (known: ${Object.keys(schema).map((k) => prefix + k).join(", ")})`);
    const valueNode = (pair.value ?? null) as Node | null;
    if (isSchema(spec.type)) {
      applyYaml(spec.type, valueNode, target[key] as ConfigValues, file, lines, `${prefix}${key}.`);
      continue;
    }
    let value = valueNode === null ? null : (valueNode.toJSON() as unknown);
    if (spec.type === "string[]" && typeof value === "string") value = [value]; // `data: a.jsonl` = a one-file list
    const err = check(spec, value);
    if (err) throw new Error(`${where(valueNode ?? keyNode)}: key "${prefix}${key}": ${err}`);
    target[key] = value;
  }
}

/** Parses "a.b=value" and sets it, coercing the text to the field's type. */
export function applySet(schema: Schema, target: ConfigValues, assignment: string): void {
  const eq = assignment.indexOf("=");
  if (eq <= 0) throw new Error(`--set: expected key=value, got "${assignment}"`);
  const path = assignment.slice(0, eq).trim();
  const text = assignment.slice(eq + 1);
  const keys = path.split(".");
  let s = schema;
  let t = target;
  for (let i = 0; i < keys.length; i++) {
    const spec = s[keys[i]];
    const soFar = keys.slice(0, i + 1).join(".");
    if (!spec) throw new Error(`--set: unknown key "${soFar}" (known: ${Object.keys(s).map((k) => [...keys.slice(0, i), k].join(".")).join(", ")})`);
    if (isSchema(spec.type)) {
      if (i === keys.length - 1) throw new Error(`--set: "${soFar}" is a section; set one of its keys, e.g. ${soFar}.${Object.keys(spec.type)[0]}=…`);
      s = spec.type;
      t = t[keys[i]] as ConfigValues;
      continue;
    }
    if (i !== keys.length - 1) throw new Error(`--set: "${soFar}" is not a section`);
    const value = coerce(spec, text);
    const err = check(spec, value);
    if (err) throw new Error(`--set ${path}: ${err}`);
    t[keys[i]] = value;
  }
}

function coerce(spec: FieldSpec, text: string): unknown {
  const t = spec.type as FieldType;
  if (t.endsWith("?") && (text === "null" || text === "~" || text === "")) return null;
  switch (t.replace("?", "")) {
    case "int":
    case "number":
      return text.trim() === "" ? text : Number(text);
    case "bool":
      return text === "true" ? true : text === "false" ? false : text;
    case "string[]":
      return text === "" ? [] : text.split(",");
    case "json": {
      if (!/^\s*[[{]/.test(text)) return text;
      try { return JSON.parse(text) as unknown; } catch (e) { throw new Error(`--set: invalid JSON ${JSON.stringify(text)} (${(e as Error).message})`); }
    }
    default:
      return text;
  }
}

/**
 * The resolved config: schema defaults, then `file` (YAML, optional), then each `--set`.
 * Throws with file:line and key for unknown keys, wrong types and YAML syntax errors.
 */
export function loadConfig<T>(schema: Schema, file: string | undefined, sets: string[] = []): T {
  const cfg = defaults(schema);
  if (file !== undefined) {
    if (!fs.existsSync(file)) throw new Error(`${file}: config file not found`);
    mergeYaml(schema, cfg, fs.readFileSync(file, "utf8"), file);
  }
  for (const s of sets) applySet(schema, cfg, s);
  absolutePaths(schema, cfg);
  return cfg as T;
}

/**
 * Resolves every `path: true` field (non-empty strings) against the working directory, in place, so
 * the config saved with a run resolves the same from any directory. Returns `cfg`.
 */
export function absolutePaths(schema: Schema, cfg: ConfigValues): ConfigValues {
  for (const [k, f] of Object.entries(schema)) {
    const v = cfg[k];
    if (isSchema(f.type)) { if (v && typeof v === "object") absolutePaths(f.type, v as ConfigValues); continue; }
    if (f.path && k in cfg) cfg[k] = absolutePath(v);
  }
  return cfg;
}

/** A path value made absolute: a string, each string of a list, the `path` member of an object (reward mixtures). */
function absolutePath(v: unknown): unknown {
  if (typeof v === "string") return v === "" ? v : pathResolve(v);
  if (Array.isArray(v)) return v.map(absolutePath);
  if (v && typeof v === "object" && typeof (v as { path?: unknown }).path === "string")
    return { ...(v as object), path: absolutePath((v as { path: string }).path) };
  return v;
}

/** One key a resumed run would change against its checkpoint: `key` (a.b), the saved and the new value, and why it is fixed. */
export interface ResumeChange { key: string; saved: unknown; given: unknown; what: string }

/** The `fixed` keys whose values differ between `saved` and `given` (compared as JSON). */
export function fixedChanges(schema: Schema, saved: ConfigValues, given: ConfigValues, prefix = "", inherited?: string): ResumeChange[] {
  const out: ResumeChange[] = [];
  for (const [k, f] of Object.entries(schema)) {
    const what = f.fixed ?? inherited;
    if (isSchema(f.type)) {
      out.push(...fixedChanges(f.type, (saved[k] ?? {}) as ConfigValues, (given[k] ?? {}) as ConfigValues, `${prefix}${k}.`, what));
      continue;
    }
    if (f.fixedKeys) {
      const inner = f.fixedKeys, filled = (v: unknown): ConfigValues => {
        const c = defaults(inner);
        if (v && typeof v === "object" && !Array.isArray(v)) mergeSaved(inner, c, v as Record<string, unknown>);
        return c;
      };
      out.push(...fixedChanges(inner, filled(saved[k]), filled(given[k]), `${prefix}${k}.`, what));
      continue;
    }
    if (what !== undefined && JSON.stringify(saved[k] ?? null) !== JSON.stringify(given[k] ?? null))
      out.push({ key: prefix + k, saved: saved[k] ?? null, given: given[k] ?? null, what });
  }
  return out;
}

/** Throws naming the first fixed key `given` changes against the checkpoint's `saved` config (`via`: "--set x=y", "sft(config)"). */
export function assertResumeKeeps(schema: Schema, saved: ConfigValues, given: ConfigValues, via: string, checkpoint: string): void {
  const c = fixedChanges(schema, saved, given)[0];
  if (!c) return;
  // A checkpoint-N, or a run directory whose config.yaml is the saved config (rejection sampling).
  const source = /^checkpoint-\d+$/.test(basename(checkpoint)) ? "the checkpoint" : "the run directory";
  throw new Error(`${via}: --resume cannot change ${c.key}, ${c.what} (${source} ${checkpoint} has ${c.key}: ${JSON.stringify(c.saved)}, ` +
    `this gives ${JSON.stringify(c.given)}); keep it, or start a new run (another out=, or --overwrite)`);
}

/**
 * The config of a run being resumed: the schema's defaults (so keys added since the checkpoint get a value), the
 * checkpoint's saved config (keys the schema no longer has are dropped), then each `--set` — refused when it changes
 * a `fixed` key — and paths made absolute. `checkpoint` names the source in errors.
 */
export function resumeConfig(schema: Schema, saved: Record<string, unknown>, sets: readonly string[], checkpoint: string): ConfigValues {
  const cfg = defaults(schema);
  mergeSaved(schema, cfg, saved);
  for (const s of sets) {
    const before = structuredClone(cfg);
    applySet(schema, cfg, s);
    absolutePaths(schema, cfg);
    assertResumeKeeps(schema, absolutePaths(schema, before), cfg, `--set ${s}`, checkpoint);
  }
  return absolutePaths(schema, cfg);
}

/**
 * mergeObject for a run being resumed from the library API: `obj` goes onto the checkpoint's config `cfg`, paths made
 * absolute, and a change to a `fixed` key is refused like a --set (`src` names the caller, e.g. "sft(config)").
 */
export function mergeResumeObject(schema: Schema, cfg: ConfigValues, obj: unknown, src: string, checkpoint: string): void {
  const before = absolutePaths(schema, structuredClone(cfg));
  mergeObject(schema, cfg, obj, src);
  absolutePaths(schema, cfg);
  assertResumeKeeps(schema, before, cfg, src, checkpoint);
}

/** Copies a saved config onto defaults, key by key (sections recursively); keys the schema lacks are dropped. */
export function mergeSaved(schema: Schema, dst: ConfigValues, src: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(src)) {
    const f = schema[k];
    if (!f) continue;
    if (isSchema(f.type)) { if (v && typeof v === "object" && !Array.isArray(v)) mergeSaved(f.type, dst[k] as ConfigValues, v as Record<string, unknown>); }
    else dst[k] = structuredClone(v);
  }
}

/** Applies YAML text onto `target` (used for files and for a checkpoint's saved config). */
export function mergeYaml(schema: Schema, target: ConfigValues, text: string, file: string): void {
  const lines = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    throw new Error(`${file}${pos ? `:${pos.line}` : ""}: invalid YAML (${e.message.split("\n")[0]})`);
  }
  applyYaml(schema, doc.contents as Node | null, target, file, lines, "");
}

/** YAML text of a resolved config (saved as RUN_DIR/config.yaml). */
export function configToYaml(cfg: ConfigValues): string {
  return YAML.stringify(cfg, { lineWidth: 0 });
}

/**
 * Applies a plain object (a typed partial config from the library API) onto `target`, with the
 * same checks as a YAML file: unknown keys and wrong types are errors naming `src` and the key path.
 */
export function mergeObject(schema: Schema, target: ConfigValues, obj: unknown, src: string, prefix = ""): void {
  if (obj === undefined || obj === null) return;
  if (typeof obj !== "object" || Array.isArray(obj))
    throw new Error(`${src}: ${prefix ? `"${prefix.slice(0, -1)}"` : "the config"} must be an object of keys to values`);
  for (const [key, value] of Object.entries(obj as Record<string, unknown>)) {
    if (value === undefined) continue;
    const spec = schema[key];
    if (!spec) throw new Error(`${src}: unknown key "${prefix}${key}" (known: ${Object.keys(schema).map((k) => prefix + k).join(", ")})`);
    if (isSchema(spec.type)) {
      mergeObject(spec.type, target[key] as ConfigValues, value, src, `${prefix}${key}.`);
      continue;
    }
    const err = check(spec, value);
    if (err) throw new Error(`${src}: key "${prefix}${key}": ${err}`);
    target[key] = structuredClone(value);
  }
}
