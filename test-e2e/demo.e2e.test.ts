// End to end, as a user runs it: `llama2 demo --size tiny` (npm start's budget) in a real process, interrupted with
// SIGINT in the middle of SFT and re-run with the same --out (it must resume at SFT's checkpoint, not start SFT again),
// then every stage finished, report.json and report.html written, the page drawn by headless chromium from file://,
// and the paper's shape on the held-out split: SFT beats the pretrained model on helpfulness (§3.1); RLHF (the PPO
// model, RS → PPO) raises the held-out helpfulness reward above SFT's without more safety violations (Fig. 11; both
// RMs are the final, retrained ones); both RMs are more accurate on "significantly better" than on "negligibly
// better" pairs (Table 8); the fresh round kept informative pairs (exact ties dropped). Budget: the tiny pipeline
// itself. Smaller ones did not keep the shape: 300 pretraining steps (PPO answered 6.3% of the unsafe prompts), and
// 2 SFT epochs, 40 RM steps, RS on 32 prompts, 3 PPO iterations (seed 1 held; seed 2: RS 35.6%, PPO 39.7% violations).
// README "Tests" gives the measured time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { assertReportRenders, checkReportPage } from "../test/helpers/report-page.js";
import type { DemoReport } from "../src/report/run-data.js";
import { tempDir } from "../test/helpers/tmp.js";

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "src", "cli", "main.js");
const ARGS = ["demo", "--size", "tiny", "--quiet"];

const lines = (file: string): string[] => fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "");

test("llama2 demo (tiny): SIGINT during SFT and resume, both reports, and the paper's shape on the held-out split", { timeout: 3_600_000 }, async () => {
  const t0 = Date.now();
  const out = tempDir("e2e-demo-");
  try {
    // 1. Interrupt: SIGINT once SFT has logged 40 steps; the trainer checkpoints after the current step and the demo exits 130.
    const sftMetrics = path.join(out, "sft", "metrics.jsonl");
    const first = spawn(process.execPath, [MAIN, ...ARGS, "--out", out], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "", sent = false;
    first.stderr.on("data", (d: Buffer) => { err += d.toString(); });
    const poll = setInterval(() => {
      if (!sent && /== 5\/14 sft/.test(err) && fs.existsSync(sftMetrics) && lines(sftMetrics).length >= 40) { sent = true; first.kill("SIGINT"); }
    }, 200);
    const code = await new Promise<number | null>((r) => first.once("exit", (c) => r(c)));
    clearInterval(poll);
    assert.ok(sent, `the first run ended before SFT reached 40 steps (exit ${code}):\n${err.slice(-3000)}`);
    assert.equal(code, 130, err.slice(-3000));
    const stages = JSON.parse(fs.readFileSync(path.join(out, "stages.json"), "utf8")) as { done: Record<string, unknown> };
    assert.ok("pretrain" in stages.done && !("sft" in stages.done), `stages after SIGINT: ${Object.keys(stages.done)}`);
    const ck = fs.readdirSync(path.join(out, "sft")).filter((d) => /^checkpoint-\d+$/.test(d));
    assert.equal(ck.length, 1, `SFT checkpoints after SIGINT: ${ck}`);
    const stoppedAt = Number(ck[0]!.split("-")[1]);
    const before = lines(sftMetrics).filter((l) => (JSON.parse(l) as { step: number }).step <= stoppedAt);
    const tInterrupt = Date.now();

    // 2. Resume: the same command finishes every stage; SFT's log up to the checkpoint is kept as it was
    //    (a restarted SFT would rewrite those lines with new timings), and continues one step at a time.
    const r = spawnSync(process.execPath, [MAIN, ...ARGS, "--out", out], { encoding: "utf8", timeout: 3_000_000 });
    assert.equal(r.status, 0, r.stderr.slice(-4000));
    assert.match(r.stderr, /pretrain: done \(resumed run\)/);
    const after = lines(sftMetrics);
    assert.deepEqual(after.slice(0, before.length), before, "SFT's metrics up to the checkpoint changed: it restarted instead of resuming");
    const steps = after.map((l) => JSON.parse(l) as { step: number; loss?: number }).filter((m) => typeof m.loss === "number").map((m) => m.step);
    assert.deepEqual(steps, steps.map((_, i) => i + 1), "SFT train steps are 1..N once each");
    assert.ok(steps.length > stoppedAt, `SFT went on after step ${stoppedAt}`);

    // 3. Both reports; the page renders in a real browser from disk.
    const report = JSON.parse(fs.readFileSync(path.join(out, "report.json"), "utf8")) as DemoReport;
    assert.ok(fs.existsSync(path.join(out, "report.html")));
    assertReportRenders(await checkReportPage(path.join(out, "report.html")), assert);

    // 4. The paper's shape, numbers printed first so a failure shows them all.
    const s = report.stages, h = report.reward_models.helpful!, sf = report.reward_models.safety!;
    const row = (k: string): string => `${k.padEnd(20)} helpfulness ${s[k]!.helpfulness?.toFixed(4)}  violations ${s[k]!.safety_violation_rate}  false refusals ${s[k]!.false_refusal_rate}  RM helpful ${s[k]!.reward_helpful?.toFixed(4)}  RM safety ${s[k]!.reward_safety?.toFixed(4)}`;
    console.log(["pretrained", "sft", "rejection_sampling", "ppo", "gatt"].map(row).join("\n"));
    for (const [name, m] of [["helpful", h], ["safety", sf]] as const)
      console.log(`RM ${name}: accuracy ${m.accuracy.toFixed(4)}; ${Object.entries(m.by_rating).map(([k, v]) => `${k} ${v.accuracy?.toFixed(4)} (n ${v.n})`).join(", ")}`);
    for (const [kind, f] of Object.entries(report.fresh_comparisons ?? {}))
      console.log(`fresh ${kind} comparisons: ${f.rows} of ${f.prompts} prompts kept (${f.dropped_ties} exact ties dropped); ${Object.entries(f.by_rating).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    for (const [kind, o] of Object.entries(report.on_policy ?? {}))
      console.log(`on-policy ${kind} pairs ${o.rows}: RM accuracy round 1 ${o.round_1?.accuracy.toFixed(4)}, round 2 ${o.round_2?.accuracy.toFixed(4)}`);
    console.log(`first run ${((tInterrupt - t0) / 1000).toFixed(0)} s, resumed run ${((Date.now() - tInterrupt) / 1000).toFixed(0)} s`);

    // The fresh round kept informative pairs only: exact ties dropped, and some pair rated above "negligibly better".
    for (const [kind, f] of Object.entries(report.fresh_comparisons ?? {})) {
      assert.ok(f.dropped_ties > 0 && f.rows > 0, `${kind}: ${JSON.stringify(f)}`);
      assert.ok(f.rows > (f.by_rating.negligibly_better ?? 0), `${kind}: every kept pair negligibly better: ${JSON.stringify(f)}`);
    }
    assert.deepEqual(Object.keys(report.fresh_comparisons ?? {}), ["helpful", "safety"]);
    assert.ok(s.sft!.helpfulness! > s.pretrained!.helpfulness!, "SFT beats the pretrained model on held-out helpfulness");
    assert.ok(s.ppo!.reward_helpful! > s.sft!.reward_helpful!, "RLHF raises the held-out helpfulness reward above SFT's");
    assert.ok(s.ppo!.safety_violation_rate! <= s.sft!.safety_violation_rate!, "RLHF does not add safety violations");
    for (const [name, m] of [["helpful", h], ["safety", sf]] as const)
      assert.ok(m.by_rating.significantly_better.accuracy! > m.by_rating.negligibly_better.accuracy!,
        `${name} RM: more accurate on significantly better than on negligibly better pairs`);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
