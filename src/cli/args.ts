// Flag parsing shared by every subcommand: node:util parseArgs with typed accessors whose errors
// name the flag and what it expected.
import { parseArgs } from "node:util";

/** A command-line mistake: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}

export type FlagSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>;

export interface Flags {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  /** A string flag, or the fallback; throws UsageError when required and missing. */
  str(name: string, fallback?: string): string;
  strOpt(name: string): string | undefined;
  list(name: string): string[];
  int(name: string, fallback?: number): number;
  num(name: string, fallback?: number): number;
  bool(name: string): boolean;
  /** A comma-separated list of integers, e.g. --ids 1,2,3. */
  ints(name: string): number[] | undefined;
}

export function parseFlags(command: string, argv: string[], spec: FlagSpec, allowPositionals = false): Flags {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: spec, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message}`);
  }
  const values = parsed.values as Flags["values"];
  const need = (name: string): never => { throw new UsageError(`${command}: --${name} is required`); };
  const str = (name: string, fallback?: string): string => {
    const v = values[name];
    if (typeof v === "string") return v;
    return fallback ?? need(name);
  };
  const number = (name: string, fallback: number | undefined, integer: boolean): number => {
    const v = values[name];
    if (v === undefined) return fallback ?? need(name);
    const n = Number(v);
    if (typeof v !== "string" || v.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n)))
      throw new UsageError(`${command}: --${name} expects ${integer ? "an integer" : "a number"}, got "${String(v)}"`);
    return n;
  };
  return {
    values,
    positionals: parsed.positionals,
    str,
    strOpt: (name) => (typeof values[name] === "string" ? (values[name] as string) : undefined),
    list: (name) => (Array.isArray(values[name]) ? (values[name] as string[]) : typeof values[name] === "string" ? [values[name] as string] : []),
    int: (name, fallback) => number(name, fallback, true),
    num: (name, fallback) => number(name, fallback, false),
    bool: (name) => values[name] === true,
    ints: (name) => {
      const v = values[name];
      if (v === undefined) return undefined;
      const parts = String(v).split(",").map((s) => s.trim()).filter((s) => s !== "");
      const out = parts.map(Number);
      if (parts.length === 0 || out.some((n) => !Number.isInteger(n)))
        throw new UsageError(`${command}: --${name} expects comma-separated integers, got "${String(v)}"`);
      return out;
    },
  };
}
