// The fictional world's entities — people, towns, rivers, hazard items — and which split owns each
// entity, number and noun. Splits are disjoint by construction: a test prompt only ever names
// test-owned things, so held-out scores measure generalisation, not memorised prompts.
import { Rng, hashUnit } from "./rng.js";
import { DEEDS, FEATURES, HAZARD_TERMS, MONTHS, NOUNS, PROFESSIONS, REGIONS, SYLLABLES } from "./lexicon.js";
import type { Split } from "./types.js";

export interface Person { name: string; first: string; born: number; month: string; town: string; profession: string; deed: string; split: Split }
export interface Town { name: string; region: string; founded: number; river: string; feature: string; split: Split }
export interface Hazard { category: HazardCategory; name: string; town: string; year: number; terms: string[]; split: Split }
export type HazardCategory = "poison" | "explosive" | "theft" | "forgery";
export const HAZARD_CATEGORIES: readonly HazardCategory[] = ["poison", "explosive", "theft", "forgery"];

export interface WorldSize { persons: number; towns: number; rivers: number; hazardsPerCategory: number }

/** The whole world: every entity plus split ownership of numbers and nouns. */
export interface World {
  seed: string;
  persons: Person[];
  towns: Town[];
  rivers: string[];
  hazards: Hazard[];
  nouns: Record<Split, string[]>;
  /** Which split owns an integer with two or more digits (single digits belong to no split). */
  numberSplit(n: number): Split | null;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Assigns exact 80/10/10 shares of a list to train/val/test. */
export function partition<T>(rng: Rng, xs: readonly T[]): Record<Split, T[]> {
  const shuffled = rng.shuffle(xs);
  const nVal = Math.max(1, Math.round(xs.length * 0.1)), nTest = Math.max(1, Math.round(xs.length * 0.1));
  return {
    test: shuffled.slice(0, nTest),
    val: shuffled.slice(nTest, nTest + nVal),
    train: shuffled.slice(nTest + nVal),
  };
}

function splitOfUnit(u: number): Split { return u < 0.8 ? "train" : u < 0.9 ? "val" : "test"; }

/** Builds the world deterministically from the seed. */
export function buildWorld(seed: string, size: WorldSize): World {
  const rng = new Rng(seed).fork("entities");
  const used = new Set<string>();
  const name = (minSyl: number, maxSyl: number): string => {
    for (;;) {
      const n = rng.int(minSyl, maxSyl);
      let s = "";
      for (let i = 0; i < n; i++) s += rng.pick(SYLLABLES);
      if (s.length >= 3 && s.length <= 10 && !used.has(s)) { used.add(s); return s; }
    }
  };
  const assign = <T extends { split: Split }>(items: Omit<T, "split">[]): T[] => {
    const parts = partition(rng.fork("split"), items.map((_, i) => i));
    const out: T[] = [];
    for (const split of ["train", "val", "test"] as Split[]) for (const i of parts[split]) out[i] = { ...items[i]!, split } as T;
    return out;
  };

  const rivers: string[] = [];
  for (let i = 0; i < size.rivers; i++) rivers.push(cap(name(2, 2)));
  const townRaw: Omit<Town, "split">[] = [];
  for (let i = 0; i < size.towns; i++)
    townRaw.push({ name: cap(name(2, 3)), region: rng.pick(REGIONS), founded: rng.int(100, 899), river: rng.pick(rivers), feature: rng.pick(FEATURES) });
  const towns = assign<Town>(townRaw);
  const personRaw: Omit<Person, "split">[] = [];
  const firsts: string[] = [];
  for (let i = 0; i < Math.max(20, Math.ceil(size.persons / 4)); i++) firsts.push(cap(name(2, 2)));
  const fullNames = new Set<string>();
  while (personRaw.length < size.persons) {
    const first = rng.pick(firsts), last = cap(name(2, 3));
    const full = `${first} ${last}`;
    if (fullNames.has(full)) continue;
    fullNames.add(full);
    personRaw.push({
      name: full, first, born: rng.int(300, 999), month: rng.pick(MONTHS), town: rng.pick(towns).name,
      profession: rng.pick(PROFESSIONS), deed: rng.pick(DEEDS),
    });
  }
  const persons = assign<Person>(personRaw);
  const hazardRaw: Omit<Hazard, "split">[] = [];
  const suffix: Record<HazardCategory, (s: string) => string> = {
    poison: (s) => s + rng.pick(["root", "moss", "cap", "weed"]),
    explosive: (s) => s + rng.pick([" powder", "bomb", " fire"]),
    theft: (s) => `${cap(s)} ${rng.pick(["Vault", "Treasury", "Strongroom"])}`,
    forgery: (s) => `${cap(s)} ${rng.pick(["seal", "coin", "stamp"])}`,
  };
  for (const category of HAZARD_CATEGORIES)
    for (let i = 0; i < size.hazardsPerCategory; i++)
      hazardRaw.push({ category, name: suffix[category](name(2, 2)), town: rng.pick(towns).name, year: rng.int(300, 999), terms: rng.sample(HAZARD_TERMS, 3) });
  // Partition hazards within each category so every split has every category.
  const hazards: Hazard[] = [];
  for (const category of HAZARD_CATEGORIES) hazards.push(...assign<Hazard>(hazardRaw.filter((h) => h.category === category)));
  const nounParts = partition(rng.fork("nouns"), [...new Set(NOUNS)]);
  return {
    seed, persons, towns, rivers, hazards, nouns: nounParts,
    numberSplit: (n: number) => (Math.abs(n) < 10 ? null : splitOfUnit(hashUnit(`${seed}|num|${n}`))),
  };
}

/** Entities of a split, for task generators. */
export interface SplitView {
  split: Split;
  world: World;
  persons: Person[];
  towns: Town[];
  hazards: Hazard[];
  nouns: string[];
  /** A split-owned integer in [lo, hi] (lo ≥ 10) satisfying `ok`. */
  number(rng: Rng, lo: number, hi: number, ok?: (n: number) => boolean): number;
}

export function splitView(world: World, split: Split): SplitView {
  return {
    split, world,
    persons: world.persons.filter((p) => p.split === split),
    towns: world.towns.filter((t) => t.split === split),
    hazards: world.hazards.filter((h) => h.split === split),
    nouns: world.nouns[split],
    number(rng, lo, hi, ok) {
      for (let tries = 0; tries < 100000; tries++) {
        const n = rng.int(lo, hi);
        if (world.numberSplit(n) === split && (!ok || ok(n))) return n;
      }
      throw new Error(`world: no ${split} number in [${lo}, ${hi}]`);
    },
  };
}

/** Looks up a town by name (towns are unique by name). */
export function townByName(world: World, name: string): Town {
  const t = world.towns.find((x) => x.name === name);
  if (!t) throw new Error(`world: unknown town ${name}`);
  return t;
}
