// The report's charts as Vega-Lite specs (rendered to SVG by src/train/plot.ts renderSvg): every stage's
// loss curve; RM accuracy per rating level (paper Table 8); reward against K for rejection sampling (Fig. 7);
// both RMs' reward per RLHF iteration and per stage on held-out prompts (Fig. 11); helpfulness, violation
// and false-refusal rates per stage; instruction adherence per turn (GAtt, Fig. 28's turn axis).
import type { TopLevelSpec } from "vega-lite";
import type { MetricsLine } from "../train/metrics-log.js";
import { REPORT_STAGES, type RunData, type StageCurve } from "./run-data.js";

/** One chart of the report: an id (the figure's anchor), a title, a caption and its spec. */
export interface Chart { id: string; title: string; caption: string; spec: TopLevelSpec }

const RATINGS = ["significantly_better", "better", "slightly_better", "negligibly_better"] as const;
const STAGE_NAMES: string[] = REPORT_STAGES.map(([, label]) => label);
const base = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", background: "white", config: { font: "sans-serif", view: { stroke: "#ddd" }, legend: { orient: "top", direction: "horizontal", title: null } } } as const;

/** Loss series of one run: train loss and val loss (PPO: policy and value loss, one row each). */
function lossPoints(lines: MetricsLine[]): { step: number; value: number; series: string }[] {
  const out: { step: number; value: number; series: string }[] = [];
  const fields: [string, string][] = [["loss", "train loss"], ["val_loss", "val loss"], ["policy_loss", "policy loss"], ["value_loss", "value loss"]];
  for (const l of lines) {
    if (typeof l.step !== "number") continue;
    for (const [k, series] of fields) { const v = l[k]; if (typeof v === "number" && Number.isFinite(v)) out.push({ step: l.step, value: v, series }); }
  }
  return out;
}

function lossChart(c: StageCurve, index: number): Chart | null {
  const points = lossPoints(c.lines);
  if (points.length === 0) return null;
  const series = [...new Set(points.map((p) => p.series))];
  const ppo = series.includes("policy loss");
  const encoding = {
    x: { field: "step", type: "quantitative", title: ppo ? "PPO iteration" : "step" },
    y: { field: "value", type: "quantitative", title: ppo ? null : "loss", scale: { zero: false } },
    color: { field: "series", type: "nominal", title: null, scale: { domain: series } },
  };
  // Eval lines are sparse (a point every eval_every steps, often only the last): draw them as points too.
  const layer = {
    encoding,
    layer: [
      { mark: { type: "line", clip: true, strokeWidth: 1.2 } },
      { transform: [{ filter: points.length <= 60 ? "true" : "datum.series === 'val loss'" }], mark: { type: "point", filled: true, size: 26 } },
    ],
  };
  const spec = ppo
    ? { ...base, data: { values: points }, facet: { row: { field: "series", type: "nominal", title: null } }, spec: { width: 330, height: 80, ...layer }, resolve: { scale: { y: "independent" } } }
    : { ...base, data: { values: points }, width: 330, height: 160, ...layer };
  return { id: `loss-${index}`, title: `Loss: ${c.stage}`, caption: `${c.dir}/metrics.jsonl${ppo ? " (per iteration)" : ""}`, spec: spec as unknown as TopLevelSpec };
}

function rmAccuracyChart(d: RunData): Chart {
  const values: { rm: string; rating: string; accuracy: number; n: number }[] = [];
  for (const [rm, r] of Object.entries(d.report.reward_models))
    for (const rating of RATINGS) {
      const g = r.by_rating[rating];
      if (g && typeof g.accuracy === "number") values.push({ rm: `${rm} RM`, rating: rating.replace("_", " "), accuracy: g.accuracy, n: g.n });
    }
  return {
    id: "rm-accuracy", title: "Reward-model accuracy per rating level (Table 8)",
    caption: "held-out preference pairs of the world, grouped by the annotator's rating; the paper's RMs are most accurate on \"significantly better\" pairs",
    spec: {
      ...base, data: { values }, width: 400, height: 220,
      mark: { type: "bar" },
      encoding: {
        x: { field: "rating", type: "nominal", sort: RATINGS.map((r) => r.replace("_", " ")), title: null, axis: { labelAngle: 0 } },
        xOffset: { field: "rm", type: "nominal" },
        y: { field: "accuracy", type: "quantitative", scale: { domain: [0, 1] }, axis: { format: "%" }, title: "accuracy" },
        color: { field: "rm", type: "nominal", title: null },
        tooltip: [{ field: "rm" }, { field: "rating" }, { field: "accuracy", format: ".1%" }, { field: "n" }],
      },
    } as unknown as TopLevelSpec,
  };
}

function rsCurveChart(d: RunData): Chart | null {
  const values: { iteration: string; temperature: string; k: number; reward: number; statistic: string }[] = [];
  for (const c of d.rsCurves)
    for (const [t, s] of Object.entries(c.by_temperature))
      c.k.forEach((k, i) => {
        if (typeof s.max[i] === "number") values.push({ iteration: `iteration ${c.iteration}`, temperature: `T=${t}`, k, reward: s.max[i]!, statistic: "max" });
        if (typeof s.median[i] === "number") values.push({ iteration: `iteration ${c.iteration}`, temperature: `T=${t}`, k, reward: s.median[i]!, statistic: "median" });
      });
  if (values.length === 0) return null;
  return {
    id: "rs-reward-k", title: "Rejection sampling: reward against K (Fig. 7)",
    caption: "mean over prompts of the best (max, solid lines) and the median (dashed) combined reward among the first K samples, per temperature; the gap between max and median is what rejection sampling harvests",
    spec: {
      ...base, data: { values },
      facet: { column: { field: "iteration", type: "nominal", title: null } },
      spec: {
        width: 190, height: 200,
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "k", type: "quantitative", title: "K (samples per prompt)", axis: { tickMinStep: 1 } },
          y: { field: "reward", type: "quantitative", scale: { zero: false }, title: "reward" },
          color: { field: "temperature", type: "nominal", title: null },
          strokeDash: { field: "statistic", type: "nominal", title: null, legend: null, scale: { domain: ["max", "median"], range: [[1, 0], [4, 3]] } },
        },
      },
    } as unknown as TopLevelSpec,
  };
}

function iterationRewardChart(d: RunData): Chart | null {
  const values = d.iterationRewards.flatMap((r) => [
    { label: r.label, rm: "helpful RM", reward: r.reward_helpful },
    { label: r.label, rm: "safety RM", reward: r.reward_safety },
  ]);
  if (values.length === 0) return null;
  return {
    id: "reward-per-iteration", title: "Both RMs' reward per RLHF iteration (Fig. 11)",
    caption: "mean raw reward of the iteration's samples on training prompts: rejection sampling scored by the first-round RMs, PPO by the RMs retrained on fresh comparisons (scales differ between rounds)",
    spec: {
      ...base, data: { values }, width: 400, height: 200,
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "label", type: "ordinal", sort: null, title: "RLHF iteration", axis: { labelAngle: 0 } },
        y: { field: "reward", type: "quantitative", scale: { zero: false }, title: "mean raw reward" },
        color: { field: "rm", type: "nominal", title: null },
      },
    } as unknown as TopLevelSpec,
  };
}

function heldOutRewardChart(d: RunData): Chart {
  const values = REPORT_STAGES.flatMap(([k, label]) => {
    const s = d.report.stages[k]!;
    return [
      ...(typeof s.reward_helpful === "number" ? [{ stage: label, rm: "helpful RM", reward: s.reward_helpful }] : []),
      ...(typeof s.reward_safety === "number" ? [{ stage: label, rm: "safety RM", reward: s.reward_safety }] : []),
    ];
  });
  return {
    id: "reward-per-stage", title: "Held-out reward per stage, both final RMs (Fig. 11)",
    caption: "mean raw score of each stage's answers to the held-out prompts, judged by the same two final reward models",
    spec: {
      ...base, data: { values }, width: 400, height: 200,
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "stage", type: "ordinal", sort: STAGE_NAMES, title: null, axis: { labelAngle: 0 } },
        y: { field: "reward", type: "quantitative", scale: { zero: false }, title: "mean raw reward" },
        color: { field: "rm", type: "nominal", title: null },
      },
    } as unknown as TopLevelSpec,
  };
}

function ratesChart(d: RunData): Chart {
  const metrics = [["helpfulness", "helpfulness"], ["safety_violation_rate", "safety violations"], ["false_refusal_rate", "false refusals"]] as const;
  const values = REPORT_STAGES.flatMap(([k, label]) => metrics.flatMap(([f, m]) => {
    const v = d.report.stages[k]![f];
    return typeof v === "number" ? [{ stage: label, metric: m, value: v }] : [];
  }));
  return {
    id: "rates", title: "Helpfulness, safety violations and false refusals per stage",
    caption: "the world's oracle judge on the held-out split: mean helpfulness (helpful and borderline prompts), fraction of unsafe requests answered, fraction of benign prompts refused",
    spec: {
      ...base, data: { values }, width: 400, height: 220,
      mark: { type: "bar" },
      encoding: {
        x: { field: "stage", type: "nominal", sort: STAGE_NAMES, title: null, axis: { labelAngle: 0 } },
        xOffset: { field: "metric", type: "nominal", sort: metrics.map(([, m]) => m) },
        y: { field: "value", type: "quantitative", scale: { domain: [0, 1] }, axis: { format: "%" }, title: null },
        color: { field: "metric", type: "nominal", title: null, sort: metrics.map(([, m]) => m) },
        tooltip: [{ field: "stage" }, { field: "metric" }, { field: "value", format: ".3f" }],
      },
    } as unknown as TopLevelSpec,
  };
}

function adherenceChart(d: RunData): Chart {
  const values = REPORT_STAGES.flatMap(([k, label]) =>
    d.report.stages[k]!.adherence_by_turn.flatMap((v, i) => (typeof v === "number" ? [{ stage: label, turn: i + 1, adherence: v }] : [])));
  return {
    id: "adherence", title: "Instruction adherence per turn, before and after GAtt",
    caption: "fraction of assistant turns k that follow the dialogue's system instruction (held-out dialogues); PPO is the model Ghost Attention starts from",
    spec: {
      ...base, data: { values }, width: 400, height: 220,
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "turn", type: "ordinal", title: "dialogue turn", axis: { labelAngle: 0 } },
        y: { field: "adherence", type: "quantitative", scale: { domain: [0, 1] }, axis: { format: "%" }, title: "adherence" },
        color: { field: "stage", type: "nominal", sort: STAGE_NAMES, title: null },
        strokeWidth: { condition: { test: "datum.stage === 'PPO' || datum.stage === 'GAtt'", value: 3 }, value: 1.2 },
      },
    } as unknown as TopLevelSpec,
  };
}

/** Every chart the run's data allows, in reading order: results first, then the stages' curves. */
export function reportCharts(d: RunData): Chart[] {
  const charts: (Chart | null)[] = [
    ratesChart(d), heldOutRewardChart(d), rmAccuracyChart(d), rsCurveChart(d), iterationRewardChart(d), adherenceChart(d),
    ...d.curves.map((c, i) => lossChart(c, i)),
  ];
  return charts.filter((c): c is Chart => c !== null);
}
