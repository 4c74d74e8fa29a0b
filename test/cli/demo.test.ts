// `llama2 demo` end to end at the smoke budget (every stage for a few steps): each stage runs through the
// real recipes and leaves a loadable model directory; report.json carries every stage's eval and both RMs'
// accuracy by rating; an interrupted run (SIGKILL mid-pipeline) resumes at the stage it reached. The same run's
// report.html is opened from file:// in headless chromium (every chart drawn, no console errors, no network) and
// `llama2 report OUT` rebuilds it byte for byte (and writes each chart as an SVG file with --figures).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { llama2, llama2Timed } from "../helpers/cli.js";
import { Llama } from "../../src/model/llama.js";
import { assertReportRenders, checkReportPage } from "../helpers/report-page.js";
import { tempDir } from "../helpers/tmp.js";

const lines = (file: string): number => fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "").length;
const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "cli", "main.js");

test("llama2 demo runs every stage, resumes after a SIGKILL, and writes report.json and report.html", { timeout: 1_500_000 }, async () => {
  const out = tempDir("llama2-demo-");
  try {
    // Kill the first run once it has finished the SFT stage, then re-run the same command.
    const first = spawn(process.execPath, [MAIN, "demo", "--out", out, "--size", "smoke", "--steps", "4", "--quiet"], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    first.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      if (/== 6\/14 rm-helpful/.test(err)) first.kill("SIGKILL");
    });
    await new Promise((r) => first.once("exit", r));
    const stages = JSON.parse(fs.readFileSync(path.join(out, "stages.json"), "utf8")) as { done: Record<string, unknown> };
    assert.ok("sft" in stages.done && !("ppo" in stages.done), `stages after the kill: ${Object.keys(stages.done)}`);
    const r = llama2Timed(1_200_000, "demo", "--out", out, "--size", "smoke", "--steps", "4", "--quiet");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /sft: done \(resumed run\)/);
    for (const d of ["pretrain/final", "sft/final", "rm-helpful/final", "rm-safety/final", "rejection-sampling/final", "rm-helpful-2/final", "rm-safety-2/final", "ppo/final", "gatt/final"])
      assert.ok(fs.existsSync(path.join(out, d, "config.json")), `missing ${d}`);
    for (const f of ["rejection-sampling/iteration-2/best.jsonl", "annotate/prefs_helpful_round2.jsonl", "annotate/prefs_safety_round2.jsonl", "ppo/metrics.jsonl"])
      assert.ok(fs.existsSync(path.join(out, f)), `missing ${f}`);
    const report = JSON.parse(fs.readFileSync(path.join(out, "report.json"), "utf8"));
    assert.equal(report.seed, 1);
    assert.deepEqual(Object.keys(report.stages), ["pretrained", "sft", "rejection_sampling", "ppo", "gatt"]);
    for (const s of Object.values(report.stages) as Record<string, unknown>[])
      for (const k of ["helpfulness", "safety_violation_rate", "false_refusal_rate", "reward_helpful", "reward_safety", "adherence_by_turn"]) assert.ok(k in s, k);
    for (const m of ["helpful", "safety"]) {
      assert.equal(typeof report.reward_models[m].accuracy, "number");
      assert.ok("significantly_better" in report.reward_models[m].by_rating);
    }
    // The fresh round's rating distribution (exact ties dropped) and the on-policy check of both rounds' RMs.
    for (const kind of ["helpful", "safety"]) {
      const f = report.fresh_comparisons[kind], o = report.on_policy[kind];
      assert.equal(f.prompts, 16);
      assert.equal(f.rows + f.dropped_ties + f.skipped_empty, f.prompts);
      assert.equal(Object.values(f.by_rating as Record<string, number>).reduce((a, b) => a + b, 0), f.rows);
      assert.equal(lines(path.join(out, "annotate", `prefs_${kind}_round2.jsonl`)), f.rows);
      assert.equal(o.rows + o.dropped_ties + o.skipped_empty, o.prompts);
      for (const round of [o.round_1, o.round_2]) assert.ok(o.rows === 0 ? round === null : round.n === o.rows, JSON.stringify(o));
    }
    assert.equal(report.budget.rmSteps, 3);
    assert.match(r.stdout, /stage\s+helpfulness/);
    const model = await Llama.load(path.join(out, "gatt/final"));
    assert.equal(model.config.vocabSize, 1024);

    // report.html: written by the demo, drawn by a real browser from disk, rebuilt identically by llama2 report.
    const html = path.join(out, "report.html");
    assert.ok(r.stdout.includes(`report: ${html}\n`), r.stdout);
    const page = await checkReportPage(html);
    assertReportRenders(page, assert);
    assert.equal(page.title, "Llama 2 recipe on the generated world");
    const written = fs.readFileSync(html, "utf8");
    fs.rmSync(html);
    const figures = path.join(out, "figures");
    const rebuilt = llama2("report", out, "--figures", figures);
    assert.equal(rebuilt.status, 0, rebuilt.stderr);
    assert.equal(fs.readFileSync(html, "utf8"), written);
    // --figures: each chart of the page as its own SVG file, the same drawing as inlined in the page (up to the
    // numbers of Vega's clip-path ids, which count up across the renders of one process).
    assert.deepEqual(fs.readdirSync(figures).sort(), page.charts.map((c) => `${c.id}.svg`).sort());
    const clipIds = (x: string): string => x.replace(/clip\d+/g, "clip");
    for (const c of page.charts) {
      const svg = fs.readFileSync(path.join(figures, `${c.id}.svg`), "utf8");
      assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, c.id);
      assert.ok(clipIds(written).includes(clipIds(svg)), `figure ${c.id} differs from the page's chart`);
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
