// Option definitions and flag parsing shared by every subcommand. A command file exports
// `command = defineCommand({ name, summary, options: { flag: { type, description, default } }, examples })`
// and calls `parseFlags(command, argv)`: the parser (node:util parseArgs), `--help` (src/cli/help.ts),
// unknown-option suggestions and the typed accessors' defaults all read that one definition.
import { parseArgs } from "node:util";
import { formatHelp } from "./help.js";

/** A command-line mistake: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}

/** `--help` was given: main prints `text` on stdout and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly text: string) { super("help requested"); }
}

/** One `--flag`. Numbers are `type: "string"` read with `f.int` / `f.num`, which check them. */
export interface OptionDef {
  type: "string" | "boolean";
  /** One line: what the option does (shown by --help). */
  description: string;
  /** The value used when the flag is absent; the accessors (`f.str/int/num`) fall back to it. */
  default?: string | number;
  /** How --help shows a default computed at run time (e.g. "min(4, CPUs)"); the code supplies the value. */
  defaultText?: string;
  /** Placeholder shown by --help, e.g. "DIR", "N", "FILE" (default "VALUE"). */
  value?: string;
  /** Allowed values (checked when parsing, listed by --help). */
  choices?: readonly string[];
  /** Missing -> exit 2 "--flag is required". */
  required?: boolean;
  /** May be repeated; `f.list(name)` returns every value. */
  multiple?: boolean;
  short?: string;
}

export type OptionDefs = Record<string, OptionDef>;

/** A (sub)command: everything --help prints and everything the parser accepts. */
export interface CommandDef<O extends OptionDefs = OptionDefs> {
  /** As typed after `llama2`, e.g. "generate" or "tokenizer train". */
  name: string;
  /** One line for `llama2 --help` and the top of the command's help. */
  summary: string;
  /** The argument synopsis after the name, e.g. "--model DIR (--ids 1,2,3 | --prompt STR) [options]". */
  usage?: string;
  /** Extra paragraphs after the usage line. */
  description?: string;
  /** Name of the positional arguments if the command takes any, e.g. "RUN_DIR" or "FILE...". */
  positionals?: string;
  options: O;
  /** Full command lines, at least one. */
  examples: string[];
}

/** Declares a command; checks the definition itself (a typo here is a programming error). */
export function defineCommand<O extends OptionDefs>(def: CommandDef<O>): CommandDef<O> {
  for (const [name, o] of Object.entries(def.options)) {
    if (name === "help") throw new Error(`${def.name}: --help is added to every command; do not define it`);
    if (!o.description) throw new Error(`${def.name}: option --${name} has no description`);
    if (o.type === "boolean" && o.default !== undefined) throw new Error(`${def.name}: boolean --${name} cannot have a default`);
    if (o.choices && o.default !== undefined && !o.choices.includes(String(o.default)))
      throw new Error(`${def.name}: --${name} default ${o.default} is not one of its choices`);
  }
  if (def.examples.length === 0) throw new Error(`${def.name}: give at least one example`);
  return def;
}

/** The old spec form (`{ flag: { type } }`); still parsed, but such a command has no documented help. */
export type FlagSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>;

export interface Flags<K extends string = string> {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  /** A string flag, else its definition's default, else `fallback` (for defaults computed at run time); UsageError when none. */
  str(name: K, fallback?: string): string;
  /** A string flag if given (definition defaults are not applied). */
  strOpt(name: K): string | undefined;
  list(name: K): string[];
  int(name: K, fallback?: number): number;
  num(name: K, fallback?: number): number;
  bool(name: K): boolean;
  /** A comma-separated list of integers, e.g. --ids 1,2,3. */
  ints(name: K): number[] | undefined;
  /** True if the flag was given on the command line. */
  has(name: K): boolean;
}

/**
 * `--opt -1` → `--opt=-1` for string options, so a negative number reaches the option's own check
 * ("--max-new-tokens must be >= 0, got -1") instead of parseArgs' "argument is ambiguous".
 */
function joinNegativeValues(argv: string[], options: Record<string, { type: "string" | "boolean" }>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!, next = argv[i + 1];
    if (a.startsWith("--") && !a.includes("=") && options[a.slice(2)]?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Edit distance with transpositions (optimal string alignment), for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/** The known name nearest to `given` (prefix matches first, then edit distance). */
export function nearest(given: string, known: string[]): string | undefined {
  const prefixed = known.filter((k) => k.startsWith(given) || given.startsWith(k));
  const pool = prefixed.length ? prefixed : known;
  let best: string | undefined, bestD = Infinity;
  for (const k of pool) {
    const dist = editDistance(given, k);
    if (dist < bestD) { best = k; bestD = dist; }
  }
  return best;
}

/** Arguments before a bare `--` ask for help. */
function wantsHelp(argv: string[]): boolean {
  for (const a of argv) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}

function fromSpec(name: string, spec: FlagSpec, allowPositionals: boolean): CommandDef {
  const options: OptionDefs = {};
  for (const [k, o] of Object.entries(spec)) options[k] = { ...o, description: "" };
  return { name, summary: "", options, examples: [], positionals: allowPositionals ? "ARG..." : undefined };
}

/**
 * Parses `argv` against a command definition. `--help` throws HelpRequested; a mistake throws
 * UsageError (unknown options name the nearest valid one). The legacy form
 * `parseFlags("name", argv, spec, allowPositionals)` still works for commands not yet converted.
 */
export function parseFlags<O extends OptionDefs>(command: CommandDef<O>, argv: string[]): Flags<keyof O & string>;
export function parseFlags(command: string, argv: string[], spec: FlagSpec, allowPositionals?: boolean): Flags;
export function parseFlags(command: CommandDef | string, argv: string[], spec?: FlagSpec, allowPositionals = false): Flags {
  const def = typeof command === "string" ? fromSpec(command, spec ?? {}, allowPositionals) : command;
  const name = def.name;
  if (wantsHelp(argv)) throw new HelpRequested(formatHelp(def));
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = {};
  for (const [k, o] of Object.entries(def.options))
    options[k] = { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals: def.positionals !== undefined, strict: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    const m = /Unknown option '([^']+)'/.exec(err.message);
    if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && m) {
      const given = m[1]!.replace(/^-+/, "").split("=")[0]!;
      const hint = nearest(given, Object.keys(def.options));
      throw new UsageError(`${name}: unknown option ${m[1]}${hint ? `; did you mean --${hint}?` : ""} (llama2 ${name} --help lists the options)`);
    }
    if (err.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL")
      throw new UsageError(`${name}: ${err.message.split(".")[0]}; this command takes only --options (llama2 ${name} --help)`);
    throw new UsageError(`${name}: ${err.message}`);
  }
  const values = parsed.values as Flags["values"];
  for (const [k, o] of Object.entries(def.options)) {
    const v = values[k];
    if (o.required && v === undefined) throw new UsageError(`${name}: --${k} is required (llama2 ${name} --help)`);
    if (o.choices && v !== undefined)
      for (const x of Array.isArray(v) ? v : [v])
        if (!o.choices.includes(String(x))) throw new UsageError(`${name}: --${k} must be one of ${o.choices.join(", ")}, got "${String(x)}"`);
  }
  const need = (flag: string): never => { throw new UsageError(`${name}: --${flag} is required`); };
  const dflt = (flag: string): string | number | undefined => def.options[flag]?.default;
  const str = (flag: string, fallback?: string): string => {
    const v = values[flag];
    if (typeof v === "string") return v;
    const d = dflt(flag) ?? fallback;
    return d === undefined ? need(flag) : String(d);
  };
  const number = (flag: string, fallback: number | undefined, integer: boolean): number => {
    let v = values[flag];
    if (v === undefined) {
      const d = dflt(flag) ?? fallback;
      if (d === undefined) return need(flag);
      if (typeof d === "number") return d;
      v = d;
    }
    const n = Number(v);
    if (typeof v !== "string" || v.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n)))
      throw new UsageError(`${name}: --${flag} expects ${integer ? "an integer" : "a number"}, got "${String(v)}"`);
    return n;
  };
  return {
    values,
    positionals: parsed.positionals,
    str,
    strOpt: (flag) => (typeof values[flag] === "string" ? (values[flag] as string) : undefined),
    list: (flag) => (Array.isArray(values[flag]) ? (values[flag] as string[]) : typeof values[flag] === "string" ? [values[flag] as string] : []),
    int: (flag, fallback) => number(flag, fallback, true),
    num: (flag, fallback) => number(flag, fallback, false),
    bool: (flag) => values[flag] === true,
    has: (flag) => values[flag] !== undefined,
    ints: (flag) => {
      const v = values[flag];
      if (v === undefined) return undefined;
      const parts = String(v).split(",").map((s) => s.trim()).filter((s) => s !== "");
      const out = parts.map(Number);
      if (parts.length === 0 || out.some((n) => !Number.isInteger(n)))
        throw new UsageError(`${name}: --${flag} expects comma-separated integers, got "${String(v)}"`);
      return out;
    },
  };
}
