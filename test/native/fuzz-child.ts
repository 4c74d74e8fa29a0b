// The native fuzzer, run in a child process by test/native/fuzz.test.ts (so a crash fails that
// test instead of killing the runner): every entry point of the addon (specs in fuzz-specs.ts)
// called with each argument replaced by a wrong type, a wrong length, a negative / huge / NaN /
// fractional size, a wrong handle, an index array with one bad element in the middle; then
// several arguments at once (products of sizes that overflow), wrong argument counts, and seeded
// random combinations. Each call must return, or throw a TypeError / RangeError whose message
// starts with the function's name and names an argument. Protocol: one line per case on stdout
// ("case <n> <fn> <what>") before the call, "bad <json>" for a wrong outcome, "done <json>" last.
// Does nothing unless run as `node fuzz-child.js --run`.
import fs from "node:fs";
import { native } from "../../src/native/addon.js";
import { Rng } from "../../src/model/rng.js";
import { specs, type FuzzSpec } from "./fuzz-specs.js";

type Fn = (...args: unknown[]) => unknown;
interface Mutation { what: string; value: () => unknown }

const MARK = new Error("fuzz: thrown by the onProgress callback");
const foreign = native._untaggedExternal();

function detached(): Float32Array {
  const a = new Float32Array(8);
  structuredClone(a.buffer, { transfer: [a.buffer] });  // a now has length 0, its buffer detached
  return a;
}

/** Replacements for one argument, chosen from the type of its valid value. */
function mutations(v: unknown): Mutation[] {
  const out: Mutation[] = [
    { what: "undefined", value: () => undefined }, { what: "null", value: () => null },
    { what: "string", value: () => "7" }, { what: "object", value: () => ({ length: 4 }) },
    { what: "array", value: () => [1, 2, 3] }, { what: "boolean", value: () => true },
    { what: "bigint", value: () => 7n }, { what: "symbol", value: () => Symbol("x") },
    { what: "function", value: () => () => { throw MARK; } },
    { what: "untagged external", value: () => foreign },
    { what: "word counter handle", value: () => native.wordCounterCreate(10, true, [], 0) },
    { what: "Float32Array(3)", value: () => new Float32Array(3) },
  ];
  if (typeof v === "number") {
    for (const x of [-1, -0.5, 0.5, 1.5, NaN, Infinity, -Infinity, 0, 1, 2, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e300,
      -1e300, -(2 ** 53), Number.MIN_VALUE, -0])
      out.push({ what: `number ${String(x)}`, value: () => x });
  }
  if (ArrayBuffer.isView(v)) {
    const a = v as unknown as { length: number; constructor: new (n: number | ArrayLike<number>) => ArrayLike<number> & { subarray(b: number, e?: number): unknown } };
    const Ctor = a.constructor;
    out.push({ what: "empty", value: () => new Ctor(0) });
    out.push({ what: "one short", value: () => new Ctor(Math.max(0, a.length - 1)) });
    out.push({ what: "half", value: () => new Ctor(Math.floor(a.length / 2)) });
    out.push({ what: "offset view one short", value: () => new Ctor(a.length + 3).subarray(4) });
    out.push({ what: "detached", value: () => detached() });
    for (const [name, Other] of [["Float64Array", Float64Array], ["Int32Array", Int32Array], ["Uint8Array", Uint8Array],
      ["Float32Array", Float32Array], ["Uint32Array", Uint32Array], ["Uint16Array", Uint16Array]] as const)
      if (Other !== (Ctor as unknown)) out.push({ what: `${name} same length`, value: () => new Other(a.length) });
    if (v instanceof Int32Array || v instanceof Float64Array) {
      // one bad element in the middle (the ends stay valid), and everywhere
      const bad = v instanceof Int32Array ? [-1, -100, 2 ** 31 - 1, -(2 ** 31), 7, 1e6] : [-1, NaN, Infinity, 1e308];
      for (const x of bad) {
        out.push({ what: `middle element ${x}`, value: () => { const c = v.slice(); if (c.length > 0) c[c.length >> 1] = x; return c; } });
        out.push({ what: `every element ${x}`, value: () => v.slice().fill(x) });
      }
      if (v instanceof Int32Array && v.length > 1) out.push({ what: "reversed", value: () => v.slice().reverse() });
    }
  }
  if (Array.isArray(v)) {
    out.push({ what: "empty array", value: () => [] });
    out.push({ what: "array of numbers", value: () => v.map((_, i) => i) });
    out.push({ what: "array with a hole", value: () => { const c = v.slice(); c.length = v.length + 2; return c; } });
    out.push({ what: "huge sparse array", value: () => { const c: unknown[] = []; c.length = 2 ** 32 - 1; return c; } });
    out.push({ what: "array with null", value: () => [...v.slice(0, -1), null] });
  }
  if (typeof v === "string") for (const s of ["", "avx1024", "PORTABLE", "portable\0"]) out.push({ what: `string ${JSON.stringify(s)}`, value: () => s });
  return out;
}

let cases = 0;
const bad: string[] = [];

function accepted(fn: string, spec: FuzzSpec, e: unknown): boolean {
  if (e === MARK) return true;  // the callback's own exception passes through
  if (!(e instanceof TypeError || e instanceof RangeError)) return false;
  if (!e.message.startsWith(`${fn}:`)) return false;
  if (/expected \d+ arguments|argument \d+ \(/.test(e.message)) return true;
  return spec.names.some((n) => new RegExp(`(^|[^A-Za-z])${n.replace(/[*]/g, "\\*")}([^A-Za-z]|$)`).test(e.message.slice(fn.length + 1)));
}

function call(fn: string, spec: FuzzSpec, args: unknown[], what: string): void {
  cases++;
  fs.writeSync(1, `case ${cases} ${fn} ${what}\n`);
  try {
    (native as unknown as Record<string, Fn>)[fn]!(...args);
  } catch (e) {
    if (!accepted(fn, spec, e)) {
      const line = JSON.stringify({ fn, what, error: e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e) });
      bad.push(line);
      fs.writeSync(1, `bad ${line}\n`);
    }
  }
}

function run(): void {
  native.setThreadCount(2);
  const exported = Object.keys(native).filter((k) => typeof (native as unknown as Record<string, unknown>)[k] === "function");
  const missing = exported.filter((k) => !(k in specs));
  const r = new Rng(20261201);
  for (const fn of exported) {
    const spec = specs[fn];
    if (!spec) continue;
    call(fn, spec, spec.args(), "valid");
    const n = spec.args().length;
    call(fn, spec, spec.args().slice(0, Math.max(0, n - 1)), "one argument too few");
    call(fn, spec, [...spec.args(), 1], "one argument too many");
    for (let i = 0; i < n; i++) {
      for (const m of mutations(spec.args()[i])) {
        const args = spec.args();
        args[i] = m.value();
        call(fn, spec, args, `arg ${i} (${spec.names[i]}) = ${m.what}`);
      }
    }
    // every size at once: products that overflow 64 bits, or reach just past 2^53
    const sizes = spec.args().map((v, i) => (typeof v === "number" ? i : -1)).filter((i) => i >= 0);
    for (const x of [2 ** 16, 2 ** 22, 2 ** 27, 2 ** 32, 2 ** 53]) {
      const args = spec.args();
      for (const i of sizes) args[i] = x;
      call(fn, spec, args, `every number = ${x}`);
    }
    for (let a = 0; a < sizes.length; a++)
      for (let b = a + 1; b < sizes.length; b++) {
        const args = spec.args();
        args[sizes[a]!] = 2 ** 32;
        args[sizes[b]!] = 2 ** 32;
        call(fn, spec, args, `args ${sizes[a]} and ${sizes[b]} = 2^32`);
      }
  }
  // seeded random combinations: two or three arguments replaced at once
  const fns = exported.filter((k) => k in specs && specs[k]!.names.length > 0);
  for (let it = 0; it < 600; it++) {
    const fn = fns[r.int(fns.length)]!;
    const spec = specs[fn]!;
    const args = spec.args(), valid = spec.args();
    const parts: string[] = [];
    for (let j = 0, k = 2 + r.int(2); j < k; j++) {
      const i = r.int(args.length);
      const ms = mutations(valid[i]);  // from the valid value (never map over an already huge array)
      const m = ms[r.int(ms.length)]!;
      args[i] = m.value();
      parts.push(`arg ${i} = ${m.what}`);
    }
    call(fn, spec, args, `random: ${parts.join(", ")}`);
  }
  fs.writeSync(1, `done ${JSON.stringify({ cases, exported, missing, bad: bad.length })}\n`);
}

if (process.argv.includes("--run")) run();
