import { before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { generateWorld } from "../../src/world/generate.js";
import { Judge } from "../../src/world/judge.js";
import { scoreResponse, safetyPreference } from "../../src/world/oracle.js";
import { RATINGS, flipProbability, ratingForGap } from "../../src/world/ratings.js";
import { SPLITS, type Split } from "../../src/world/types.js";
import { tempDir } from "../helpers/tmp.js";

// One small world (generated twice for the determinism check) shared by every test in this file.
const FLIP = 0.1;
let dirA = "", dirB = "";
const rows = (dir: string, name: string): any[] =>
  fs.readFileSync(path.join(dir, name), "utf8").trim().split("\n").map((l) => JSON.parse(l));

before(() => {
  const tmp = tempDir("world-");
  dirA = path.join(tmp, "a"); dirB = path.join(tmp, "b");
  generateWorld({ out: dirA, seed: "42", size: "small", flipRate: FLIP });
  generateWorld({ out: dirB, seed: "42", size: "small", flipRate: FLIP });
});

const FILES = ["pretrain.txt", "world.json", ...SPLITS.flatMap((s) => ["sft", "prefs_helpful", "prefs_safety", "prompts", "dialogues"].map((f) => `${f}_${s}.jsonl`))];

test("the same seed gives byte-identical files, and no temp file is left behind", () => {
  assert.deepEqual(fs.readdirSync(dirA).sort(), FILES.slice().sort());
  for (const f of FILES) assert.ok(fs.readFileSync(path.join(dirA, f)).equals(fs.readFileSync(path.join(dirB, f))), f);
});

test("the small pretraining corpus is 1–2 MB of text with articles about the questioned entities", () => {
  const text = fs.readFileSync(path.join(dirA, "pretrain.txt"), "utf8");
  assert.ok(text.length > 1_000_000 && text.length < 2_000_000, String(text.length));
  // Every person asked about in the test split has an encyclopedia article (its name as a title line).
  const names = new Set(rows(dirA, "prompts_test.jsonl").flatMap((r) => r.meta.entities).filter((e: string) => e.startsWith("person:")).map((e: string) => e.slice(7)));
  assert.ok(names.size > 0);
  for (const n of names) assert.ok(text.includes(`\n${n}\n${n} `) || text.startsWith(`${n}\n`), n);
});

/** Every user-visible prompt text of a split, with the entities its records declare. */
function promptsOf(split: Split): { prompts: Set<string>; entities: Set<string>; numbers: Set<string> } {
  const prompts = new Set<string>(), entities = new Set<string>(), numbers = new Set<string>();
  const addPrompt = (p: string) => { prompts.add(p); for (const n of p.match(/\d{2,}/g) ?? []) numbers.add(n); };
  for (const f of ["sft", "prefs_helpful", "prefs_safety", "prompts", "dialogues"]) {
    for (const r of rows(dirA, `${f}_${split}.jsonl`)) {
      if (r.prompt) addPrompt(r.prompt);
      for (const m of r.messages ?? []) if (m.role === "user") addPrompt(m.content);
      for (const e of r.meta.entities) entities.add(e);
      assert.equal(r.meta.split, split);
    }
  }
  return { prompts, entities, numbers };
}

test("train, validation and test share no prompt, no entity and no multi-digit number in a prompt", () => {
  const per = Object.fromEntries(SPLITS.map((s) => [s, promptsOf(s)])) as Record<Split, ReturnType<typeof promptsOf>>;
  for (const [a, b] of [["train", "val"], ["train", "test"], ["val", "test"]] as [Split, Split][]) {
    for (const key of ["prompts", "entities", "numbers"] as const) {
      const shared = [...per[a][key]].filter((x) => per[b][key].has(x));
      assert.deepEqual(shared, [], `${a}/${b} share ${key}`);
    }
  }
  assert.ok(per.test.entities.size > 100 && per.test.numbers.size > 50);
});

test("records follow the DESIGN.md §4 formats", () => {
  for (const r of rows(dirA, "sft_val.jsonl")) {
    assert.ok(Array.isArray(r.messages) && r.messages.at(-1).role === "assistant");
    for (const m of r.messages) assert.ok(["system", "user", "assistant"].includes(m.role) && typeof m.content === "string");
  }
  for (const r of rows(dirA, "prompts_val.jsonl")) {
    assert.equal(typeof r.prompt, "string");
    assert.ok(["helpful", "unsafe", "borderline"].includes(r.kind));
    assert.equal(r.is_safety, r.kind !== "helpful");
  }
  for (const r of rows(dirA, "dialogues_val.jsonl")) {
    assert.equal(r.messages[0].role, "system");
    assert.equal(r.messages.filter((m: any) => m.role === "user").length, r.meta.turns.length);
    assert.ok(r.meta.turns.length >= 2);
  }
  for (const f of ["prefs_helpful_val.jsonl", "prefs_safety_val.jsonl"])
    for (const r of rows(dirA, f)) {
      assert.ok(typeof r.prompt === "string" && typeof r.chosen === "string" && typeof r.rejected === "string" && r.chosen !== r.rejected || r.meta.gap === 0);
      assert.ok((RATINGS as readonly string[]).includes(r.rating));
      assert.ok(["both_safe", "only_chosen_safe", "both_unsafe"].includes(r.safety.label));
    }
});

test("every task family and kind appears in the SFT and prompt files", () => {
  const fams = new Set<string>(), kinds = new Set<string>();
  for (const r of [...rows(dirA, "sft_train.jsonl"), ...rows(dirA, "prompts_train.jsonl")]) { fams.add(r.meta.family); kinds.add(r.meta.kind); }
  for (const f of ["arithmetic", "counting", "string", "sorting", "units", "encyclopedia", "hazard_fact", "unsafe_request", "dialogue"]) assert.ok(fams.has(f), f);
  assert.deepEqual([...kinds].sort(), ["borderline", "helpful", "unsafe"]);
});

for (const [file, annotation] of [["prefs_helpful_train.jsonl", "helpfulness"], ["prefs_safety_train.jsonl", "safety"]] as const) {
  test(`${file}: ratings fill all four levels, each with at least 4% of the pairs`, () => {
    const rs = rows(dirA, file);
    for (const rating of RATINGS) {
      const share = rs.filter((r) => r.rating === rating).length / rs.length;
      assert.ok(share >= 0.04, `${rating}: ${share}`);
    }
  });
  test(`${file}: the oracle, re-run on the texts, disagrees with the label exactly on the flipped pairs, at flipProbability's rate`, () => {
    const rs = rows(dirA, file);
    let eligible = 0, flipped = 0, expected = 0, variance = 0;
    for (const r of rs) {
      const pref = (text: string) => {
        const s = scoreResponse(r.meta, r.prompt, text);
        return annotation === "helpfulness" ? s.helpfulness : safetyPreference(r.meta, text, s);
      };
      const gap = pref(r.chosen) - pref(r.rejected);
      if (Math.abs(gap) > 1e-9) assert.equal(gap < 0, r.meta.flipped, JSON.stringify(r));
      assert.ok(Math.abs(Math.abs(gap) - r.meta.gap) < 1e-3, `recorded gap ${r.meta.gap} vs ${gap}`);
      assert.equal(r.rating, ratingForGap(r.meta.gap), "the rating is the true gap's, flipped or not");
      if (annotation === "helpfulness" || r.safety.chosen_safe === r.safety.rejected_safe) {
        const p = flipProbability(r.meta.gap, FLIP);
        eligible++; expected += p; variance += p * (1 - p);
        if (r.meta.flipped) flipped++;
      }
    }
    const sd = Math.sqrt(variance);
    assert.ok(Math.abs(flipped - expected) < 4 * sd, `flipped ${flipped} of ${eligible}, expected ${expected.toFixed(1)} ± ${(4 * sd).toFixed(1)}`);
  });
  test(`${file}: close pairs are flipped more often than clear ones, and no level is one kind of comparison`, () => {
    const rs = rows(dirA, file);
    const share = (rating: string) => { const g = rs.filter((r) => r.rating === rating); return g.filter((r) => r.meta.flipped).length / g.length; };
    assert.ok(share("negligibly_better") > share("slightly_better") && share("slightly_better") > share("better") && share("better") >= share("significantly_better"),
      RATINGS.map((r) => `${r} ${share(r).toFixed(3)}`).join(", "));
    for (const rating of RATINGS) {
      const kinds = new Map<string, number>();
      for (const r of rs.filter((x) => x.rating === rating)) {
        const k = [r.meta.variants.chosen, r.meta.variants.rejected].sort().join("/");
        kinds.set(k, (kinds.get(k) ?? 0) + 1);
      }
      const n = [...kinds.values()].reduce((a, b) => a + b, 0), top = Math.max(...kinds.values());
      assert.ok(kinds.size >= 3 && top / n <= 0.75, `${rating}: ${JSON.stringify(Object.fromEntries(kinds))}`);
    }
    // Two correct answers that differ only in wording reach every helpfulness level: the gap, not the kinds, sets it.
    if (annotation !== "helpfulness") return;
    const same = new Set(rs.filter((r) => r.meta.variants.chosen === "correct" && r.meta.variants.rejected === "correct").map((r) => r.rating));
    assert.deepEqual([...same].sort(), [...RATINGS].sort());
  });
}

test("safety comparisons carry all three safety labels and never prefer an unsafe response to a safe one", () => {
  const rs = rows(dirA, "prefs_safety_train.jsonl");
  const labels = new Set(rs.map((r) => r.safety.label));
  assert.deepEqual([...labels].sort(), ["both_safe", "both_unsafe", "only_chosen_safe"]);
  for (const r of rs) assert.ok(!(r.safety.rejected_safe && !r.safety.chosen_safe));
});

test("the judge gives the demonstrations full marks: helpful, safe, no false refusals, full adherence", () => {
  for (const f of ["sft_test.jsonl", "dialogues_test.jsonl"]) {
    const j = new Judge();
    for (const r of rows(dirA, f)) j.add(r);
    const rep = j.report();
    assert.equal(rep.helpfulness, 1, f); assert.equal(rep.false_refusal_rate, 0, f);
    if (rep.safety_violation_rate !== null) assert.equal(rep.safety_violation_rate, 0);
    assert.ok(rep.adherence_by_turn.length >= 1 && rep.adherence_by_turn.every((x) => x === 1), f);
  }
});
