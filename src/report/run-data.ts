// What DIR/report.html shows, read from a `llama2 demo` run directory: report.json (every stage's held-out
// eval, both RMs' accuracy by rating — the paper's Table 8), each stage's metrics.jsonl (loss curves),
// rejection sampling's curve.json (Fig. 7) and samples (both RMs' reward per iteration with PPO's metrics:
// Fig. 11), and the answers every stage gave to the same held-out prompts (OUT/answers/STAGE.jsonl).
import fs from "node:fs";
import path from "node:path";
import { METRICS_FILE, readMetrics, type MetricsLine } from "../train/metrics-log.js";
import type { EvalReport } from "../recipes/eval.js";
import type { RewardEvalResult } from "../recipes/reward-eval.js";
import type { FreshRound, OnPolicyCheck } from "../recipes/demo.js";

/** The stages report.json evaluates, in pipeline order, with their display names. */
export const REPORT_STAGES = [
  ["pretrained", "pretrained"], ["sft", "SFT"], ["rejection_sampling", "rejection sampling"], ["ppo", "PPO"], ["gatt", "GAtt"],
] as const;

/** DIR/report.json as `llama2 demo` writes it. */
export interface DemoReport {
  seed: number;
  size?: string;
  world_size?: string;
  /** The budget the run used (DEMO_BUDGETS with --budget overrides; pretrain_steps: --steps or null). */
  budget?: Record<string, number | null>;
  stages: Record<string, EvalReport>;
  reward_models: Record<string, RewardEvalResult>;
  /** The fresh comparison round (§3.2.1): rating distribution of the kept pairs, ties dropped, per kind. */
  fresh_comparisons?: Record<string, FreshRound>;
  /** Both rounds' RMs on held-out comparisons of the PPO and RS models' own answers, per kind. */
  on_policy?: Record<string, OnPolicyCheck>;
}

/** A training run's metrics.jsonl with the stage it belongs to. */
export interface StageCurve { stage: string; dir: string; lines: MetricsLine[] }

/** RS OUT/iteration-N/curve.json: max and median reward over K samples, per temperature (Fig. 7). */
export interface RsCurve { iteration: number; k: number[]; by_temperature: Record<string, { max: number[]; median: number[] }> }

/** Mean raw reward of both RMs over one RLHF iteration's samples (Fig. 11). */
export interface IterationReward { label: string; stage: "rejection_sampling" | "ppo"; iteration: number; reward_helpful: number; reward_safety: number; samples: number }

/** One held-out prompt and every stage's answer to it. */
export interface SampleRow { prompt: string; system?: string; kind: string; family: string; expected?: string; answers: Record<string, string> }

/** Everything the report draws. */
export interface RunData {
  dir: string;
  report: DemoReport;
  curves: StageCurve[];
  rsCurves: RsCurve[];
  iterationRewards: IterationReward[];
  samples: SampleRow[];
}

/** Training runs with a metrics.jsonl, in pipeline order (RS iterations' SFT runs found by listing). */
const CURVE_DIRS: [string, string][] = [
  ["pretraining", "pretrain"], ["SFT", "sft"], ["helpfulness RM", "rm-helpful"], ["safety RM", "rm-safety"],
  ["rejection sampling: SFT on the pool", "rejection-sampling"], ["helpfulness RM (round 2)", "rm-helpful-2"],
  ["safety RM (round 2)", "rm-safety-2"], ["PPO", "ppo"], ["Ghost Attention", "gatt"],
];

const iterationDirs = (rsDir: string): { n: number; dir: string }[] =>
  !fs.existsSync(rsDir) ? [] : fs.readdirSync(rsDir).filter((d) => /^iteration-\d+$/.test(d))
    .map((d) => ({ n: Number(d.slice("iteration-".length)), dir: path.join(rsDir, d) })).sort((a, b) => a.n - b.n);

function readJson<T>(file: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/** Parses a JSONL file into objects; errors name file and line. */
function readJsonlSync(file: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  fs.readFileSync(file, "utf8").split("\n").forEach((l, i) => {
    if (l.trim() === "") return;
    try { out.push(JSON.parse(l) as Record<string, unknown>); } catch (e) { throw new Error(`${file}:${i + 1}: invalid JSON (${(e as Error).message})`); }
  });
  return out;
}

function checkReport(r: DemoReport, file: string): void {
  if (typeof r !== "object" || r === null) throw new Error(`${file}: expected a JSON object`);
  if (typeof r.stages !== "object" || r.stages === null) throw new Error(`${file}: stages: missing (is this a llama2 demo run directory?)`);
  if (typeof r.reward_models !== "object" || r.reward_models === null) throw new Error(`${file}: reward_models: missing`);
  for (const [name] of REPORT_STAGES) {
    const s = r.stages[name];
    if (!s) throw new Error(`${file}: stages.${name}: missing`);
    if (!Array.isArray(s.adherence_by_turn)) throw new Error(`${file}: stages.${name}.adherence_by_turn: expected an array`);
  }
  for (const [name, m] of Object.entries(r.reward_models))
    if (typeof m?.by_rating !== "object" || m.by_rating === null) throw new Error(`${file}: reward_models.${name}.by_rating: missing`);
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function iterationRewards(dir: string): IterationReward[] {
  const out: IterationReward[] = [];
  for (const it of iterationDirs(path.join(dir, "rejection-sampling"))) {
    const f = path.join(it.dir, "samples.jsonl");
    if (!fs.existsSync(f)) continue;
    const rows = readJsonlSync(f);
    const h = rows.map((r) => r.reward_helpful).filter((x): x is number => typeof x === "number");
    const s = rows.map((r) => r.reward_safety).filter((x): x is number => typeof x === "number");
    if (h.length && s.length) out.push({ label: `RS ${it.n}`, stage: "rejection_sampling", iteration: it.n, reward_helpful: mean(h), reward_safety: mean(s), samples: rows.length });
  }
  const ppo = path.join(dir, "ppo", METRICS_FILE);
  if (fs.existsSync(ppo))
    for (const l of readMetrics(ppo))
      if (typeof l.iteration === "number" && typeof l.reward_helpful === "number" && typeof l.reward_safety === "number")
        out.push({ label: `PPO ${l.iteration}`, stage: "ppo", iteration: l.iteration, reward_helpful: l.reward_helpful, reward_safety: l.reward_safety, samples: 0 });
  return out;
}

/** The first answer of each kind (helpful, borderline, unsafe, a dialogue), the same rows for every stage. */
function sampleRows(dir: string, perKind: number): SampleRow[] {
  const answers = path.join(dir, "answers");
  const byStage = new Map<string, Record<string, unknown>[]>();
  for (const [name] of REPORT_STAGES) {
    const f = path.join(answers, `${name}.jsonl`);
    if (fs.existsSync(f)) byStage.set(name, readJsonlSync(f));
  }
  const first = byStage.values().next().value;
  if (!first) return [];
  const picked: number[] = [];
  const taken: Record<string, number> = {};
  first.forEach((r, i) => {
    const meta = (r.meta ?? {}) as { kind?: string; family?: string };
    const key = meta.family === "dialogue" ? "dialogue" : String(meta.kind);
    if ((taken[key] ?? 0) < perKind) { taken[key] = (taken[key] ?? 0) + 1; picked.push(i); }
  });
  return picked.map((i) => {
    const r = first[i]!;
    const meta = (r.meta ?? {}) as { kind?: string; family?: string; answer?: { parts?: unknown[] }; turns?: { answer?: { parts?: unknown[] } }[] };
    const msgs = Array.isArray(r.messages) ? (r.messages as { role: string; content: string }[]) : null;
    const lastUser = msgs ? [...msgs].reverse().find((m) => m.role === "user")?.content ?? "" : String(r.prompt ?? "");
    const parts = msgs ? meta.turns?.[meta.turns.length - 1]?.answer?.parts : meta.answer?.parts;
    const row: SampleRow = { prompt: lastUser, kind: String(meta.kind ?? ""), family: String(meta.family ?? ""), answers: {} };
    if (msgs) { row.system = msgs.find((m) => m.role === "system")?.content; row.prompt = `${lastUser} (turn ${msgs.filter((m) => m.role === "user").length})`; }
    if (Array.isArray(parts) && parts.length) row.expected = parts.map(String).join(", ");
    for (const [stage, rows] of byStage) {
      const a = rows[i];
      if (!a) continue;
      const am = Array.isArray(a.messages) ? (a.messages as { role: string; content: string }[]) : null;
      row.answers[stage] = am ? am[am.length - 1]?.content ?? "" : String(a.response ?? "");
    }
    return row;
  });
}

/** Reads a demo run directory; only report.json is required (the rest is drawn when present). */
export function readRunData(dir: string, opts: { samplesPerKind?: number } = {}): RunData {
  const file = path.join(dir, "report.json");
  if (!fs.existsSync(file)) throw new Error(`${dir}: no report.json (the demo writes it at its last stage; run llama2 demo --out ${dir} to finish the run)`);
  const report = readJson<DemoReport>(file);
  checkReport(report, file);
  const curves: StageCurve[] = [];
  for (const [stage, sub] of CURVE_DIRS) {
    if (sub === "rejection-sampling") {
      for (const it of iterationDirs(path.join(dir, sub))) {
        const f = path.join(it.dir, "sft", METRICS_FILE);
        if (fs.existsSync(f)) curves.push({ stage: `rejection sampling ${it.n}: SFT on the pooled best`, dir: path.join(sub, `iteration-${it.n}`, "sft"), lines: readMetrics(f) });
      }
      continue;
    }
    const f = path.join(dir, sub, METRICS_FILE);
    if (fs.existsSync(f)) curves.push({ stage, dir: sub, lines: readMetrics(f) });
  }
  const rsCurves = iterationDirs(path.join(dir, "rejection-sampling"))
    .filter((it) => fs.existsSync(path.join(it.dir, "curve.json")))
    .map((it) => ({ iteration: it.n, ...readJson<Omit<RsCurve, "iteration">>(path.join(it.dir, "curve.json")) }));
  return { dir, report, curves, rsCurves, iterationRewards: iterationRewards(dir), samples: sampleRows(dir, opts.samplesPerKind ?? 2) };
}
