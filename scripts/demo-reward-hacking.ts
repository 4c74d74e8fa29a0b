// Is RLHF on the demo reward hacking (the paper's reason for fresh rounds, §3.2.1)? On a finished `llama2 demo` run,
// the held-out single-turn answers (helpful and borderline prompts) of SFT, rejection sampling and PPO (OUT/answers/STAGE.jsonl) are scored by the
// world's oracle and by both rounds' helpfulness RMs (OUT/rm-helpful = round 1, what RS optimised; OUT/rm-helpful-2 =
// round 2, what PPO optimised). Printed per stage: the oracle's helpfulness, each RM's mean raw score, answer length,
// and each RM's correlation with the oracle over the answers; then, answer against answer for the same prompt (stage
// vs SFT, pairs the oracle does not score alike), how often each RM prefers the answer the oracle prefers, and how
// often it prefers the later stage's answer where the oracle prefers SFT's (the RM's blind spot the policy found).
//   npm run build && node dist/scripts/demo-reward-hacking.js runs/demo [--json]
import fs from "node:fs";
import path from "node:path";
import { Llama } from "../src/model/llama.js";
import { Tokenizer } from "../src/tokenizer/tokenizer.js";
import { encodeChat } from "../src/tokenizer/chat-template.js";
import { scoreLastToken } from "../src/model/score.js";
import { scoreResponse } from "../src/world/oracle.js";
import type { TaskMeta } from "../src/world/types.js";

const run = process.argv[2];
if (!run) { console.error("usage: node dist/scripts/demo-reward-hacking.js RUN_DIR [--json]"); process.exit(2); }
const STAGES = ["sft", "rejection_sampling", "ppo"] as const;

interface Answer { prompt: string; response: string; meta: TaskMeta }
const answers = (stage: string): Answer[] => fs.readFileSync(path.join(run, "answers", `${stage}.jsonl`), "utf8").split("\n")
  .filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Record<string, unknown>)
  .filter((r) => typeof r.prompt === "string").map((r) => r as unknown as Answer)
  .filter((a) => a.meta.kind !== "unsafe"); // helpfulness is judged on helpful and borderline prompts, as the judge does

async function rm(dir: string): Promise<(a: Answer[]) => number[]> {
  const model = await Llama.load(dir, { trainable: false }), tok = await Tokenizer.load(dir);
  return (xs) => {
    const out: number[] = [];
    for (let s = 0; s < xs.length; s += 16)
      for (const r of scoreLastToken(model, xs.slice(s, s + 16).map((a) => encodeChat(tok, [{ role: "user", content: a.prompt }, { role: "assistant", content: a.response }]).ids))) out.push(r[0]!);
    return out;
  };
}

const mean = (x: number[]): number => x.reduce((a, b) => a + b, 0) / x.length;
function pearson(x: number[], y: number[]): number {
  const mx = mean(x), my = mean(y);
  let sxy = 0, sxx = 0, syy = 0;
  x.forEach((v, i) => { sxy += (v - mx) * (y[i]! - my); sxx += (v - mx) ** 2; syy += (y[i]! - my) ** 2; });
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

const rms = { round_1: await rm(path.join(run, "rm-helpful", "final")), round_2: await rm(path.join(run, "rm-helpful-2", "final")) };
const data = Object.fromEntries(STAGES.map((s) => {
  const a = answers(s);
  const oracle = a.map((x) => scoreResponse(x.meta, x.prompt, x.response).helpfulness);
  return [s, { a, oracle, round_1: rms.round_1(a), round_2: rms.round_2(a) }];
})) as Record<(typeof STAGES)[number], { a: Answer[]; oracle: number[]; round_1: number[]; round_2: number[] }>;

const result: Record<string, unknown> = {};
const f3 = (x: number): string => x.toFixed(3);
console.log(`run ${run}: ${data.sft.a.length} held-out single-turn answers to helpful and borderline prompts per stage`);
console.log("stage               oracle help.  RM1 mean  RM2 mean  words  corr(RM1,oracle)  corr(RM2,oracle)");
for (const s of STAGES) {
  const d = data[s];
  const words = mean(d.a.map((x) => x.response.split(/\s+/).filter(Boolean).length));
  const row = { helpfulness: mean(d.oracle), rm1: mean(d.round_1), rm2: mean(d.round_2), words, corr_rm1: pearson(d.round_1, d.oracle), corr_rm2: pearson(d.round_2, d.oracle) };
  result[s] = row;
  console.log(`${s.padEnd(20)}${f3(row.helpfulness).padStart(12)}  ${f3(row.rm1).padStart(8)}  ${f3(row.rm2).padStart(8)}  ${words.toFixed(1).padStart(5)}  ${f3(row.corr_rm1).padStart(16)}  ${f3(row.corr_rm2).padStart(16)}`);
}
// Same prompt, later stage's answer vs SFT's; only pairs the oracle tells apart.
console.log("\nanswer vs SFT's answer to the same prompt (pairs the oracle scores differently):");
for (const s of ["rejection_sampling", "ppo"] as const) {
  const d = data[s], b = data.sft;
  let n = 0, later = 0;
  const changed = d.a.filter((x, i) => x.response !== b.a[i]!.response).length;
  const agree = { round_1: 0, round_2: 0 }, blind = { round_1: 0, round_2: 0 };
  d.a.forEach((_, i) => {
    const go = d.oracle[i]! - b.oracle[i]!;
    if (go === 0) return;
    n++;
    if (go > 0) later++;
    for (const r of ["round_1", "round_2"] as const) {
      const gr = d[r][i]! - b[r][i]!;
      if (Math.sign(gr) === Math.sign(go)) agree[r]++;
      if (go < 0 && gr > 0) blind[r]++;
    }
  });
  result[`${s}_vs_sft`] = { answers_changed: changed, pairs: n, oracle_prefers_later: later, rm1_agrees: agree.round_1, rm2_agrees: agree.round_2, rm1_prefers_worse_later: blind.round_1, rm2_prefers_worse_later: blind.round_2 };
  const pc = (k: number): string => (n ? `${((100 * k) / n).toFixed(1)}%` : "n/a");
  console.log(`${s} vs sft: ${changed} of ${d.a.length} answers differ from SFT's; ${n} pairs the oracle tells apart, the oracle prefers ${s}'s in ${later}; RM1 agrees with the oracle on ${pc(agree.round_1)}, RM2 on ${pc(agree.round_2)}; ` +
    `where the oracle prefers SFT's (${n - later}), RM1 still prefers ${s}'s in ${blind.round_1}, RM2 in ${blind.round_2}`);
}
if (process.argv.includes("--json")) console.log(JSON.stringify(result));
