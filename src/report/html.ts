// DIR/report.html: one self-contained page (no scripts, no network — opens from file://) with the demo's
// held-out results, the charts of src/report/charts.ts rendered to SVG by Vega at report time and inlined,
// the paper's Table 8 analogue, and every stage's answer to the same held-out prompts (all text escaped).
import fs from "node:fs";
import path from "node:path";
import { renderSvg } from "../train/plot.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { mkdirpOrExplain } from "../io/fs-errors.js";
import { readRunData, REPORT_STAGES, type DemoReport, type RunData, type SampleRow } from "./run-data.js";
import type { RewardEvalResult } from "../recipes/reward-eval.js";
import type { FreshRound } from "../recipes/demo.js";
import { reportCharts, type Chart } from "./charts.js";

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const pct = (x: number | null | undefined): string => (typeof x === "number" ? `${(100 * x).toFixed(1)}%` : "n/a");
const num = (x: number | null | undefined): string => (typeof x === "number" ? x.toFixed(3) : "n/a");

function resultsTable(d: RunData): string {
  const rows = REPORT_STAGES.map(([k, label]) => {
    const s = d.report.stages[k]!;
    return `<tr><th>${escapeHtml(label)}</th><td>${num(s.helpfulness)}</td><td>${pct(s.accuracy)}</td><td>${pct(s.safety_violation_rate)}</td><td>${pct(s.false_refusal_rate)}</td><td>${num(s.reward_helpful)}</td><td>${num(s.reward_safety)}</td></tr>`;
  });
  return `<table><thead><tr><th>stage</th><th>helpfulness</th><th>fully correct</th><th>safety violations</th><th>false refusals</th><th>RM helpful (raw)</th><th>RM safety (raw)</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}


const RATINGS = ["significantly_better", "better", "slightly_better", "negligibly_better"] as const;

/** One row of accuracies per rating level (Table 8's layout) for a reward-model evaluation. */
function accuracyCells(m: RewardEvalResult): string {
  return `${RATINGS.map((r) => `<td>${pct(m.by_rating[r]?.accuracy)} <small>(n ${m.by_rating[r]?.n ?? 0})</small></td>`).join("")}<td>${pct(m.accuracy)} <small>(n ${m.n})</small></td>`;
}

function rmTable(d: RunData): string {
  const head = `<tr><th>reward model</th>${RATINGS.map((r) => `<th>${escapeHtml(r.replace(/_/g, " "))}</th>`).join("")}<th>avg</th></tr>`;
  const rows = Object.entries(d.report.reward_models).map(([name, m]) => `<tr><th>${escapeHtml(name)}</th>${accuracyCells(m)}</tr>`);
  return `<table><thead>${head}</thead><tbody>${rows.join("")}</tbody></table>`;
}

/** The fresh round's rating distribution (kept pairs per level, exact ties dropped) and the on-policy check, when recorded. */
export function freshRoundHtml(r: DemoReport): string {
  const parts: string[] = [];
  const dist = (x: FreshRound): string => `<td>${x.prompts}</td>${RATINGS.map((k) => `<td>${x.by_rating[k] ?? 0}</td>`).join("")}<td>${x.dropped_ties}</td><td>${x.skipped_empty}</td>`;
  const distHead = `<tr><th>comparisons</th><th>prompts</th>${RATINGS.map((k) => `<th>${escapeHtml(k.replace(/_/g, " "))}</th>`).join("")}<th>exact ties (dropped)</th><th>empty answer (skipped)</th></tr>`;
  const fresh = Object.entries(r.fresh_comparisons ?? {});
  const onPolicy = Object.entries(r.on_policy ?? {});
  if (fresh.length || onPolicy.length) {
    const rows = [...fresh.map(([k, x]) => `<tr><th>round 2 ${escapeHtml(k)} (RS vs SFT, train prompts)</th>${dist(x)}</tr>`),
      ...onPolicy.map(([k, x]) => `<tr><th>held-out ${escapeHtml(k)} (PPO vs RS, validation prompts)</th>${dist(x)}</tr>`)];
    parts.push(`<p>Pairs the oracle labelled, by rating: the fresh round that retrained both RMs, and the held-out check below. Each pair is two model variants at temperatures 0.7 and 1.2 (§3.2.1).</p><table><thead>${distHead}</thead><tbody>${rows.join("")}</tbody></table>`);
  }
  const judged = onPolicy.flatMap(([k, x]) => [["round 1", x.round_1], ["round 2 (retrained, PPO's reward)", x.round_2]]
    .filter((e): e is [string, RewardEvalResult] => e[1] !== null).map(([round, m]) => `<tr><th>${escapeHtml(k)} RM, ${escapeHtml(round)}</th>${accuracyCells(m)}</tr>`));
  if (judged.length)
    parts.push(`<p>Both rounds' reward models on the held-out comparisons of the PPO and RS models' own answers: how well each ranks the latest policy's answers as the oracle does.</p><table><thead><tr><th>reward model</th>${RATINGS.map((k) => `<th>${escapeHtml(k.replace(/_/g, " "))}</th>`).join("")}<th>avg</th></tr></thead><tbody>${judged.join("")}</tbody></table>`);
  return parts.length ? `<h2>Fresh comparisons and the reward models on the policy's answers</h2>\n${parts.join("\n")}` : "";
}

/** The sample answers: one block per held-out prompt, one row per stage. */
export function samplesHtml(samples: SampleRow[]): string {
  if (samples.length === 0) return "<p>No answers recorded (OUT/answers/ is missing).</p>";
  return `<div class="grid">${samples.map((s) => {
    const rows = REPORT_STAGES.filter(([k]) => k in s.answers)
      .map(([k, label]) => `<tr><th>${escapeHtml(label)}</th><td class="answer">${escapeHtml(s.answers[k]!)}</td></tr>`).join("");
    const sys = s.system ? `<div class="system">system: ${escapeHtml(s.system)}</div>` : "";
    const expected = s.expected ? `<div class="expected">expected: ${escapeHtml(s.expected)}</div>` : "";
    return `<div class="sample"><div class="prompt"><span class="tag">${escapeHtml(s.family === "dialogue" ? "dialogue" : s.kind)}</span> ${escapeHtml(s.prompt)}</div>${sys}${expected}<table>${rows}</table></div>`;
  }).join("\n")}</div>`;
}

async function figure(c: Chart): Promise<string> {
  const svg = await renderSvg(c.spec);
  return `<figure class="chart" id="${escapeHtml(c.id)}" data-chart="${escapeHtml(c.id)}"><figcaption><b>${escapeHtml(c.title)}</b><br><small>${escapeHtml(c.caption)}</small></figcaption>${svg}</figure>`;
}

const CSS = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222;line-height:1.4}
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}th,td{border:1px solid #ddd;padding:.25rem .55rem;text-align:left;vertical-align:top}
thead th{background:#f4f4f4}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(500px,1fr));gap:1.4rem 1.2rem}figure{margin:0}figcaption{max-width:500px;margin-bottom:.3rem}
.sample{margin:0;padding:.6rem .8rem;border:1px solid #e3e3e3;border-radius:6px}.prompt{font-weight:600}.tag{font-size:.75rem;background:#eef;padding:.05rem .4rem;border-radius:4px;font-weight:400}
.system,.expected{font-size:.85rem;color:#555}.answer{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:.85rem}small{color:#666}`;

/** Builds the page's HTML from a run's data (deterministic: the same run gives the same bytes). */
export async function reportHtml(d: RunData): Promise<string> {
  const charts = reportCharts(d);
  const results = charts.filter((c) => !c.id.startsWith("loss-")), losses = charts.filter((c) => c.id.startsWith("loss-"));
  const r = d.report;
  const title = "Llama 2 recipe on the generated world";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>A <code>llama2 demo</code> run (seed ${escapeHtml(String(r.seed))}${r.size ? `, size ${escapeHtml(r.size)}` : ""}${r.world_size ? `, world ${escapeHtml(r.world_size)}` : ""}): pretraining → SFT → helpfulness and safety reward models → rejection sampling → fresh oracle-labelled comparisons and retrained RMs → PPO → Ghost Attention. Every stage's model answered the world's held-out prompts, judged by the world's oracle and scored by both final reward models. Rebuild this page with <code>llama2 report RUN_DIR</code>.</p>
<h2>Held-out results per stage</h2>
${resultsTable(d)}
<h2>Reward models</h2>
${rmTable(d)}
${freshRoundHtml(r)}
<h2>Charts</h2>
<div class="grid">
${(await Promise.all(results.map(figure))).join("\n")}
</div>
<h2>Training curves of every stage</h2>
<div class="grid">
${(await Promise.all(losses.map(figure))).join("\n")}
</div>
<h2>Sample answers per stage (held-out prompts)</h2>
${samplesHtml(d.samples)}
</body></html>
`;
}

/**
 * Writes every chart of a run as a standalone SVG file, `DIR/ID.svg` (ids as on the page: rates, reward-per-stage,
 * rm-accuracy, rs-reward-k, reward-per-iteration, adherence, loss-0 …) — the figures the README embeds.
 * Returns the files written, in the page's order.
 */
export async function writeFigures(d: RunData, dir: string): Promise<string[]> {
  mkdirpOrExplain(dir);
  const files: string[] = [];
  for (const c of reportCharts(d)) {
    const file = path.join(dir, `${c.id}.svg`);
    writeFileAtomic(file, await renderSvg(c.spec));
    files.push(file);
  }
  return files;
}

/**
 * Reads RUN_DIR (a `llama2 demo` output) and writes its report page (default RUN_DIR/report.html); returns the
 * path. With `figuresDir`, each chart is also written there as an SVG file ({@link writeFigures}).
 */
export async function writeReport(runDir: string, out?: string, opts: { figuresDir?: string } = {}): Promise<string> {
  const file = out ?? path.join(runDir, "report.html");
  const data = readRunData(runDir);
  const html = await reportHtml(data);
  mkdirpOrExplain(path.dirname(path.resolve(file)));
  writeFileAtomic(file, html);
  if (opts.figuresDir !== undefined) await writeFigures(data, opts.figuresDir);
  return file;
}
