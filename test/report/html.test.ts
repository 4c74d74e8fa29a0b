// The report page's pieces that need no run: every answer and prompt is escaped (a model's output is data,
// never markup), and a directory that is not a finished demo run is refused naming the file it lacks.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { escapeHtml, freshRoundHtml, samplesHtml, writeReport } from "../../src/report/html.js";
import { readRunData } from "../../src/report/run-data.js";
import { tempDir } from "../helpers/tmp.js";

test("escapeHtml escapes the five characters that end text or attributes", () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
});

test("sample answers are escaped: a model answering with markup shows the markup as text", () => {
  const html = samplesHtml([{
    prompt: "Say <b>hi</b>", system: "Answer in <i>capitals</i>", kind: "helpful", family: "dialogue", expected: "a & b",
    answers: { pretrained: "<script>alert(1)</script>", sft: "</td></tr></table><img src=x onerror=alert(1)>", gatt: "fine" },
  }]);
  assert.ok(!/<script|<img|<b>|<i>/.test(html), html);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /&lt;\/td&gt;&lt;\/tr&gt;&lt;\/table&gt;&lt;img src=x onerror=alert\(1\)&gt;/);
  assert.match(html, /expected: a &amp; b/);
  // One row per stage that answered, in pipeline order.
  assert.deepEqual([...html.matchAll(/<tr><th>([^<]+)<\/th>/g)].map((m) => m[1]), ["pretrained", "SFT", "GAtt"]);
});

test("a directory without report.json is refused naming it; a report.json without a stage names the field", async () => {
  const dir = tempDir("llama2-report-");
  try {
    await assert.rejects(writeReport(dir), (e: Error) => e.message.includes(`${dir}: no report.json`));
    assert.ok(!fs.existsSync(path.join(dir, "report.html")));
    fs.writeFileSync(path.join(dir, "report.json"), JSON.stringify({ seed: 1, stages: { pretrained: { adherence_by_turn: [] } }, reward_models: {} }));
    assert.throws(() => readRunData(dir), (e: Error) => e.message === `${path.join(dir, "report.json")}: stages.sft: missing`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the fresh round's rating distribution and both rounds' accuracy on the policy's answers are tabled when recorded", () => {
  assert.equal(freshRoundHtml({ seed: 1, stages: {}, reward_models: {} }), "", "an older report.json without them: no section");
  const acc = (a: number, n: number) => ({ n, accuracy: a, loss: 0.6, mean_margin: 0.1, by_safety: {} as never,
    by_rating: { significantly_better: { n: 2, accuracy: 1 }, better: { n: 0, accuracy: null }, slightly_better: { n: 1, accuracy: 0 }, negligibly_better: { n: n - 3, accuracy: a } } });
  const html = freshRoundHtml({
    seed: 1, stages: {}, reward_models: {},
    fresh_comparisons: { helpful: { prompts: 160, rows: 40, by_rating: { significantly_better: 12, negligibly_better: 28 }, dropped_ties: 115, skipped_empty: 5, flipped: 9 } },
    on_policy: { helpful: { prompts: 300, rows: 50, by_rating: { better: 50 }, dropped_ties: 250, skipped_empty: 0, flipped: 3, round_1: acc(0.5, 50), round_2: acc(0.62, 50) } },
  });
  const rows = [...html.matchAll(/<tr><th>([^<]+)<\/th>((?:<td>[^]*?<\/td>)+)<\/tr>/g)].map((m) => [m[1], m[2]!.replace(/<small>[^<]*<\/small>/g, "").replace(/<\/?td>/g, " ").trim().split(/\s+/)]);
  assert.deepEqual(rows, [
    ["round 2 helpful (RS vs SFT, train prompts)", ["160", "12", "0", "0", "28", "115", "5"]],
    ["held-out helpful (PPO vs RS, validation prompts)", ["300", "0", "50", "0", "0", "250", "0"]],
    ["helpful RM, round 1", ["100.0%", "n/a", "0.0%", "50.0%", "50.0%"]],
    ["helpful RM, round 2 (retrained, PPO&#39;s reward)", ["100.0%", "n/a", "0.0%", "62.0%", "62.0%"]],
  ]);
});
