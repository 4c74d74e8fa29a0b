// `llama2 reward train | eval | score` as processes: train writes final/, eval prints exactly the
// issue's JSON fields (and the Table 8 layout without --json), score prints {score, probability} for
// the chat rendering of prompt + response, and a bad preference row fails naming file:line and field.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { llama2, llama2Json } from "../helpers/cli.js";
import { tinyWorld, tinyWorldModel } from "../helpers/tiny-world.js";
import { tempDir } from "../helpers/tmp.js";

test("reward train → eval → score on the tiny world", () => {
  const dir = tempDir("llama2-rmcli-");
  const rows = fs.readFileSync(path.join(tinyWorld(), "prefs_safety_train.jsonl"), "utf8").split("\n").filter(Boolean).slice(0, 16);
  const data = path.join(dir, "prefs.jsonl");
  fs.writeFileSync(data, rows.join("\n") + "\n");
  const out = path.join(dir, "run");
  const t = llama2("reward", "train", "--quiet", "--set", `model=${tinyWorldModel()}`, "--set", `data=${data}`, "--set", `out=${out}`,
    "--set", "preset=small", "--set", "pairs_per_step=8", "--set", "batch_pairs=4", "--set", "max_steps=1", "--set", "threads=1");
  assert.equal(t.status, 0, t.stderr);
  const final = path.join(out, "final");
  const r = llama2Json("reward", "eval", "--model", final, "--data", data, "--json");
  assert.deepEqual(Object.keys(r).sort(), ["accuracy", "by_rating", "by_safety", "loss", "mean_margin", "n"]);
  assert.deepEqual(Object.keys(r.by_rating), ["significantly_better", "better", "slightly_better", "negligibly_better"]);
  assert.deepEqual(Object.keys(r.by_safety), ["both_safe", "only_chosen_safe", "both_unsafe"]);
  assert.equal(r.n, 16);
  const nR = Object.values(r.by_rating as Record<string, { n: number }>).reduce((a, g) => a + g.n, 0);
  assert.equal(nR, 16, "every world pair has a rating");
  const none = llama2Json("reward", "eval", "--model", final, "--data", data, "--margin", "none", "--json");
  assert.equal(none.accuracy, r.accuracy, "the margin changes the loss, never the accuracy");
  assert.ok(none.loss < r.loss, "a margin only adds loss for pairs that are not yet far enough apart");
  const table = llama2("reward", "eval", "--model", final, "--data", data);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /Significantly Better\s+Better\s+Slightly Better\s+Negligibly Better \/ Unsure\s+Avg/);
  const first = JSON.parse(rows[0]!);
  const s = llama2Json("reward", "score", "--model", final, "--prompt", first.prompt, "--response", first.chosen);
  assert.equal(typeof s.score, "number");
  assert.ok(Math.abs(s.probability - 1 / (1 + Math.exp(-s.score))) < 1e-12);
  // A bad row: the error names file:line and the field.
  fs.appendFileSync(data, JSON.stringify({ ...first, rating: "much_better" }) + "\n");
  const bad = llama2("reward", "eval", "--model", final, "--data", data);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, new RegExp(`${data.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:17: field "rating" is "much_better"`));
});
