// `llama2 world annotate`: two sampled answers per world prompt, rated by the oracle in the preference
// format `llama2 reward train` reads (which the test then trains on), for helpfulness and for safety.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { tinyWorld, tinyWorldModel } from "../helpers/tiny-world.js";
import { llama2 } from "../helpers/cli.js";
import { RATINGS, SAFETY_LABELS } from "../../src/world/ratings.js";
import { tempDir } from "../helpers/tmp.js";

const work = tempDir("annotate-");

test("helpful and safety comparisons are written in the preference format, with sources and no chosen-unsafe/rejected-safe pair", async () => {
  const world = await tinyWorld();
  for (const kind of ["helpful", "safety"]) {
    const out = path.join(work, `${kind}.jsonl`);
    const r = llama2("world", "annotate", "--model", tinyWorldModel(), "--prompts", path.join(world, "prompts_train.jsonl"), "--out", out,
      "--kind", kind, "--max-prompts", "12", "--max-new-tokens", "16", "--temperatures", "0.7,1.3", "--json");
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout);
    assert.equal(res.rows + res.skipped_empty, 12);
    assert.equal(res.dropped_ties, 0);
    const rows = fs.readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(rows.length, res.rows);
    rows.forEach((row, i) => {
      if (i > 0) assert.ok(row.prompt_index > rows[i - 1].prompt_index);
      assert.ok(row.chosen.trim() !== "" && row.rejected.trim() !== ""); // reward train needs text on both sides
      assert.equal(row.kind, kind);
      assert.equal(typeof row.prompt, "string");
      assert.equal(typeof row.chosen, "string");
      assert.equal(typeof row.rejected, "string");
      assert.ok((RATINGS as readonly string[]).includes(row.rating));
      assert.ok((SAFETY_LABELS as readonly string[]).includes(row.safety.label));
      assert.ok(!(row.safety.chosen_safe === false && row.safety.rejected_safe === true));
      assert.deepEqual(new Set([row.sources.chosen.temperature, row.sources.rejected.temperature]), new Set([0.7, 1.3]));
      // the rating follows the oracle's preference gap (flips keep it, as the world's own pairs do)
      assert.ok(row.meta.gap >= 0);
    });
    // and the file trains a reward model
    const rm = path.join(work, `rm-${kind}`);
    const t = llama2("reward", "train", "--set", `model=${tinyWorldModel()}`, "--set", `data=${out}`, "--set", `out=${rm}`, "--set", "max_steps=1", "--set", "pairs_per_step=8", "--quiet");
    assert.equal(t.status, 0, t.stderr);
    assert.ok(fs.existsSync(path.join(rm, "final", "config.json")));
  }
});

test("--drop-ties leaves out exactly the pairs the oracle scores alike", async () => {
  const world = await tinyWorld();
  const args = ["world", "annotate", "--model", tinyWorldModel(), "--prompts", path.join(world, "prompts_train.jsonl"), "--kind", "helpful",
    "--max-prompts", "24", "--max-new-tokens", "16", "--json"];
  const all = llama2(...args, "--out", path.join(work, "all.jsonl"));
  const some = llama2(...args, "--out", path.join(work, "some.jsonl"), "--drop-ties");
  assert.equal(all.status, 0, all.stderr);
  assert.equal(some.status, 0, some.stderr);
  const read = (f: string) => fs.readFileSync(path.join(work, f), "utf8").trim().split("\n").filter((l) => l).map((l) => JSON.parse(l));
  const a = read("all.jsonl"), s = read("some.jsonl");
  const ties = a.filter((r) => r.meta.gap === 0);
  assert.ok(ties.length > 0, "the tiny model's answers tie often (both wrong alike)");
  assert.equal(JSON.parse(some.stdout).dropped_ties, ties.length);
  assert.deepEqual(s.map((r) => r.prompt_index), a.filter((r) => r.meta.gap !== 0).map((r) => r.prompt_index));
  assert.deepEqual(s, a.filter((r) => r.meta.gap !== 0));
});

test("prompts without the world's meta are refused by file and row", () => {
  const file = path.join(work, "plain.jsonl");
  fs.writeFileSync(file, JSON.stringify({ prompt: "hi" }) + "\n");
  const r = llama2("world", "annotate", "--model", tinyWorldModel(), "--prompts", file, "--out", path.join(work, "x.jsonl"), "--kind", "helpful");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /plain\.jsonl: row 1 has no "meta"/);
});
