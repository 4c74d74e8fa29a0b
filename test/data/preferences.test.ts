// src/data/preferences.ts and preference-mixture.ts: rows read with errors naming file:line and field,
// unknown ratings refused unless margin none, per-row margins replacing Table 27's, the scored sequence
// ending with the reply's </s>, and mixture weights (1, a fraction, 2) drawing the stated rows per epoch,
// deterministically in (seed, epoch) so a position resumes exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { marginOf, parsePreference, readPreferences, encodeScored } from "../../src/data/preferences.js";
import { MixtureSampler, parseMixture, rowsPerEpoch } from "../../src/data/preference-mixture.js";
import { loadTokenizer } from "../../src/tokenizer/resolve.js";
import { encodeChat } from "../../src/tokenizer/chat-template.js";
import { fixture } from "../helpers/fixtures.js";
import { convertFile } from "../../src/world/readers/convert.js";
import { loadConfig } from "../../src/train/config.js";
import { REWARD_SCHEMA, applyPreset, resolveSteps, type RewardConfig } from "../../src/recipes/reward-config.js";
import { tempDir } from "../helpers/tmp.js";

function tmpFile(lines: string[]): string {
  const dir = tempDir("llama2-prefs-");
  const f = path.join(dir, "p.jsonl");
  fs.writeFileSync(f, lines.join("\n") + "\n");
  return f;
}

const ok = { prompt: "Where is Tika?", chosen: "On the river.", rejected: "I don't know.", rating: "better" };

test("a good file reads every row with its safety label; bad rows name file:line and the field", async () => {
  const f = tmpFile([JSON.stringify(ok), "", JSON.stringify({ ...ok, safety: { label: "both_safe", chosen_safe: true, rejected_safe: true } })]);
  const rows = await readPreferences(f, "small");
  assert.equal(rows.length, 2);
  assert.equal(rows[1]!.safety, "both_safe");
  assert.equal(rows[1]!.where, `${f}:3`);
  const cases: [object | string, RegExp][] = [
    [{ ...ok, chosen: 3 }, /:2: field "chosen" must be a string/],
    [{ ...ok, rejected: "  " }, /:2: field "rejected" is empty/],
    [{ chosen: "a", rejected: "b", rating: "better" }, /:2: field "prompt" is missing/],
    [{ ...ok, messages: [{ role: "user", content: "x" }] }, /:2: field "prompt" and "messages" are both given/],
    [{ messages: [{ role: "user", content: "x" }, { role: "assistant", content: "y" }], chosen: "a", rejected: "b", rating: "better" }, /:2: field "messages" must end with a user turn/],
    [{ messages: [{ role: "bot", content: "x" }], chosen: "a", rejected: "b", rating: "better" }, /:2: field "messages\[0\]\.role" must be/],
    [{ ...ok, rating: "Better" }, /:2: field "rating" is "Better"; expected one of significantly_better/],
    [{ ...ok, rating: undefined }, /:2: field "rating" is missing/],
    [{ ...ok, margin: "1" }, /:2: field "margin" must be a finite number/],
    [{ ...ok, safety: { label: "safe" } }, /:2: field "safety.label" must be one of both_safe/],
    ["{not json", /:2: not valid JSON/],
  ];
  for (const [row, re] of cases) {
    const g = tmpFile([JSON.stringify(ok), typeof row === "string" ? row : JSON.stringify(row)]);
    await assert.rejects(readPreferences(g, "small"), (e: Error) => e.message.startsWith(g) && re.test(e.message), `${JSON.stringify(row)}`);
  }
});

test("unknown or missing ratings are errors unless margin none; a row margin replaces the table's", () => {
  assert.throws(() => parsePreference({ ...ok, rating: "unsure" }, "f:1", "large"), /f:1: field "rating" is "unsure"/);
  const none = parsePreference({ ...ok, rating: "unsure" }, "f:1", "none");
  assert.equal(none.rating, null);
  assert.equal(marginOf(none, "none"), 0);
  const own = parsePreference({ ...ok, rating: undefined, margin: 0.7 }, "f:1", "small");
  assert.equal(marginOf(own, "small"), 0.7, "a row margin needs no rating");
  assert.equal(marginOf(own, "none"), 0, "margin none ignores it");
  const r = parsePreference(ok, "f:1", "small");
  assert.equal(marginOf(r, "small"), 2 / 3); // Table 27: better → 2/3 small, 2 large
  assert.equal(marginOf(r, "large"), 2);
});

test("the scored sequence is the chat rendering of prompt + reply, ending with the reply's </s>", async () => {
  const tok = await loadTokenizer(fixture("tiny-world"));
  const prompt = [{ role: "system" as const, content: "Be brief." }, { role: "user" as const, content: "Where is Tika?" }];
  const ids = encodeScored(tok, prompt, "On the river.");
  assert.deepEqual(Array.from(ids), encodeChat(tok, [...prompt, { role: "assistant", content: "On the river." }]).ids);
  assert.equal(ids[0], tok.bosId);
  assert.equal(ids.at(-1), tok.eosId);
  assert.ok(!ids.includes(0), "no pad/unk id inside the sequence");
});

test("mixture weights draw floor(w)·n + round(frac·n) rows per epoch, the same for a seed and epoch", () => {
  assert.equal(rowsPerEpoch(10, 1), 10);
  assert.equal(rowsPerEpoch(10, 0.1), 1);
  assert.equal(rowsPerEpoch(10, 2), 20);
  assert.equal(rowsPerEpoch(9, 0.5), 5); // round(4.5) = 5
  assert.deepEqual(parseMixture("a.jsonl"), [{ path: "a.jsonl", weight: 1 }]);
  assert.deepEqual(parseMixture(["a", { path: "b", weight: 0.1 }]), [{ path: "a", weight: 1 }, { path: "b", weight: 0.1 }]);
  assert.throws(() => parseMixture([{ path: "b", weight: -1 }]), /entry 0: "weight" must be a number >= 0/);
  assert.throws(() => parseMixture([{ path: "b", wieght: 1 }]), /entry 0 has unknown key "wieght"/);
  const s = new MixtureSampler([10, 20], [2, 0.25], 7);
  assert.equal(s.epochLength, 25);
  const take = (m: MixtureSampler, n: number): string[] => Array.from({ length: n }, () => m.next().join(":"));
  const epoch0 = take(s, 25);
  const fromA = epoch0.filter((x) => x.startsWith("0:"));
  assert.equal(fromA.length, 20);
  for (let r = 0; r < 10; r++) assert.equal(fromA.filter((x) => x === `0:${r}`).length, 2, "weight 2: each row twice");
  const fromB = epoch0.filter((x) => x.startsWith("1:"));
  assert.equal(new Set(fromB).size, 5, "weight 0.25 of 20: five distinct rows");
  const epoch1 = take(s, 25);
  assert.notDeepEqual(epoch1, epoch0, "each epoch has its own order");
  const again = new MixtureSampler([10, 20], [2, 0.25], 7);
  again.seek({ epoch: 1, cursor: 10 });
  assert.deepEqual(take(again, 15), epoch1.slice(10), "a seeked sampler continues the same stream");
  assert.throws(() => again.seek({ epoch: 0, cursor: 26 }), /does not fit this mixture/);
});

test("files converted by `llama2 world convert` (HH-RLHF, margin and score files) read as preference data", async () => {
  const dir = tempDir("llama2-conv-");
  for (const [fmt, src] of [["hh", "hh.jsonl"], ["prefs", "prefs.jsonl"]] as const) {
    const out = path.join(dir, `${fmt}.jsonl`);
    const r = await convertFile(fmt, fixture("world", src), out);
    assert.ok(r.converted > 0);
    const rows = await readPreferences(out, "small");
    assert.equal(rows.length, r.converted);
    for (const row of rows) assert.ok(row.rating !== null && row.prompt.at(-1)!.role === "user");
  }
});

test("paper defaults: 512 pairs a step by accumulation, lr 1e-5, warm-up 3% of steps and at least 5, one epoch", () => {
  const c = applyPreset(loadConfig<RewardConfig>(REWARD_SCHEMA, undefined, ["model=m", "data=d", "out=o"]));
  assert.equal(c.pairs_per_step, 512);
  assert.equal(c.pairs_per_step / c.batch_pairs, 64, "8 pairs a micro-batch, 64 accumulated");
  assert.equal(c.lr, 1e-5);
  assert.equal(c.min_lr_ratio, 0.1);
  assert.equal(c.epochs, 1);
  assert.deepEqual(resolveSteps(c, 512_000), { maxSteps: 1000, warmup: 30 }); // 1M pairs / 512 … 3% of 1000
  assert.deepEqual(resolveSteps(c, 51_200), { maxSteps: 100, warmup: 5 });    // 3% of 100 = 3 → at least 5
  const small = applyPreset(loadConfig<RewardConfig>(REWARD_SCHEMA, undefined, ["preset=small", "lr=3e-4"]));
  assert.equal(small.pairs_per_step, 32);
  assert.equal(small.lr, 3e-4, "an explicit key beats the preset");
});
