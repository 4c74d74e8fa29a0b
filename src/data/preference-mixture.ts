// Preference data mixtures (paper §3.2.2: helpfulness RM = all helpfulness data + an equal amount of
// safety data; safety RM = safety + helpfulness 90/10): `data` is a path, a list of paths, or a list of
// {path, weight} where weight is the fraction of that file's rows drawn per epoch (1 = all, 0.1 = a
// tenth, 2 = each row twice). Each epoch's order is a pure function of (seed, epoch), so a data
// position {epoch, cursor} resumes exactly.
import { Rng, permutation } from "../model/rng.js";

/** One entry of a mixture. */
export interface MixtureSource {
  path: string;
  weight: number;
}

/** Parses the config value of `data` into sources; returns an error text for a bad value. */
export function parseMixture(v: unknown, key = "data"): MixtureSource[] {
  const bad = (what: string): never => {
    throw new Error(`key "${key}": ${what} (a path, a list of paths, or a list of {path, weight})`);
  };
  if (typeof v === "string") return v === "" ? [] : [{ path: v, weight: 1 }];
  if (!Array.isArray(v)) bad(`expected a path or a list, got ${JSON.stringify(v)}`);
  return (v as unknown[]).map((e, i) => {
    if (typeof e === "string") return { path: e, weight: 1 };
    if (!e || typeof e !== "object" || Array.isArray(e)) bad(`entry ${i} must be a path or {path, weight}, got ${JSON.stringify(e)}`);
    const o = e as Record<string, unknown>;
    for (const k of Object.keys(o)) if (k !== "path" && k !== "weight") bad(`entry ${i} has unknown key "${k}"`);
    if (typeof o["path"] !== "string" || o["path"] === "") bad(`entry ${i}: "path" must be a non-empty string`);
    const w = o["weight"] ?? 1;
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0) bad(`entry ${i}: "weight" must be a number >= 0, got ${JSON.stringify(w)}`);
    return { path: o["path"] as string, weight: w as number };
  });
}

/** Config-schema validator for `data`-like keys (src/train/config.ts "json" fields). */
export function checkMixture(v: unknown): string | null {
  try { parseMixture(v); return null; } catch (e) { return (e as Error).message.replace(/^key "data": /, ""); }
}

/** Rows drawn from a source of n rows per epoch: floor(w)·n, plus round(frac(w)·n) sampled without replacement. */
export function rowsPerEpoch(n: number, weight: number): number {
  return Math.floor(weight) * n + Math.round((weight - Math.floor(weight)) * n);
}

/** A position in the mixture stream. */
export interface MixturePosition {
  epoch: number;
  cursor: number;
}

/**
 * The epoch-by-epoch order over several sources of sizes `sizes` with weights: item = [source, row].
 * Every epoch has the same length; its order depends only on (seed, epoch).
 */
export class MixtureSampler {
  readonly epochLength: number;
  private order: Uint32Array = new Uint32Array(0);
  private src: Uint32Array = new Uint32Array(0);
  private epochBuilt = -1;
  position: MixturePosition = { epoch: 0, cursor: 0 };

  constructor(private readonly sizes: readonly number[], private readonly weights: readonly number[], private readonly seed: number) {
    if (sizes.length !== weights.length) throw new Error("MixtureSampler: sizes and weights differ in length");
    this.epochLength = sizes.reduce((a, n, i) => a + rowsPerEpoch(n, weights[i]!), 0);
    if (this.epochLength === 0) throw new Error("the data mixture draws no rows per epoch (all weights 0 or files empty)");
  }

  private build(epoch: number): void {
    const src: number[] = [], row: number[] = [];
    this.sizes.forEach((n, s) => {
      const w = this.weights[s]!, whole = Math.floor(w), part = Math.round((w - whole) * n);
      for (let k = 0; k < whole; k++) for (let i = 0; i < n; i++) { src.push(s); row.push(i); }
      if (part > 0) {
        const pick = permutation(n, new Rng(mix(this.seed, epoch, s + 1)));
        for (let i = 0; i < part; i++) { src.push(s); row.push(pick[i]!); }
      }
    });
    const perm = permutation(src.length, new Rng(mix(this.seed, epoch, 0)));
    this.src = Uint32Array.from(perm, (p) => src[p]!);
    this.order = Uint32Array.from(perm, (p) => row[p]!);
    this.epochBuilt = epoch;
  }

  /** The next [source, row]; moves to the next epoch at the end of one. */
  next(): [number, number] {
    if (this.position.cursor >= this.epochLength) this.position = { epoch: this.position.epoch + 1, cursor: 0 };
    if (this.epochBuilt !== this.position.epoch) this.build(this.position.epoch);
    const i = this.position.cursor++;
    return [this.src[i]!, this.order[i]!];
  }

  seek(pos: MixturePosition): void {
    if (!(Number.isInteger(pos?.epoch) && Number.isInteger(pos?.cursor) && pos.epoch >= 0 && pos.cursor >= 0 && pos.cursor <= this.epochLength))
      throw new Error(`data position ${JSON.stringify(pos)} does not fit this mixture (epoch length ${this.epochLength})`);
    this.position = { epoch: pos.epoch, cursor: pos.cursor };
  }
}

/** A 32-bit seed from (seed, epoch, stream) — Rng's splitmix32 spreads it over the state. */
function mix(seed: number, epoch: number, stream: number): number {
  let h = Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b) ^ Math.imul(stream + 0x27d4eb2f, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}
