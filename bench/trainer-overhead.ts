// Loop overhead of the shared trainer: the time between consecutive steps of a real
// `runPretrain` (loader reads, target counting, clipping, AdamW, metrics.jsonl, progress, the
// event-loop yield) against the model's raw step (zeroGrads + lmForwardBackward + AdamW on
// batches already in memory), at the same shape, alternating rounds; medians. Both wall time and
// process CPU time (with threads=1 the CPU time is the work done, whatever else runs on the machine).
//   node dist/bench/trainer-overhead.js DATA_DIR [--steps 20] [--rounds 3] [--set k=v ...]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseFlags } from "../src/cli/args.js";
import { loadPretrainConfig, modelConfig, runPretrain } from "../src/recipes/pretrain.js";
import { readTokenIndex } from "../src/data/token-index.js";
import { TokenLoader } from "../src/data/token-loader.js";
import { Llama } from "../src/model/llama.js";
import { AdamW, LLAMA2_ADAMW } from "../src/train/adamw.js";
import { native } from "../src/native/addon.js";
import { clipGradNorm } from "../src/train/grad-norm.js";
import { LmTask } from "../src/train/lm-task.js";
import { MetricsLog } from "../src/train/metrics-log.js";

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const f = parseFlags("trainer-overhead", process.argv.slice(2), { steps: { type: "string" }, rounds: { type: "string" }, set: { type: "string", multiple: true } }, true);
const data = f.positionals[0];
const steps = f.int("steps", 20), rounds = f.int("rounds", 3);
const out = fs.mkdtempSync(path.join(os.tmpdir(), "overhead-"));
const cfg = loadPretrainConfig(undefined, [`data=${data}`, `out=${out}`, `max_steps=${steps}`, "eval_every=0", "save_every=0", "warmup=2", ...f.list("set")]);
if (cfg.threads !== null) native.setThreadCount(cfg.threads);
const idx = readTokenIndex(data);

const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

function rawStepTimes(): { wall: number[]; cpu: number[] } {
  const model = new Llama(modelConfig(cfg.model, idx.vocab_size, idx.bos_id, idx.eos_id)).initRandom(cfg.seed);
  const opt = new AdamW(model.params, LLAMA2_ADAMW);
  const loader = new TokenLoader(data, "train", { B: cfg.batch_size, T: cfg.seq_len, seed: cfg.seed });
  const batches = Array.from({ length: steps + 1 }, () => loader.next());
  loader.close();
  const wall: number[] = [], cpu: number[] = [];
  for (const b of batches) {
    const t0 = performance.now(), c0 = cpuMs();
    model.zeroGrads();
    model.lmForwardBackward(b.ids, b.targets, b.B, b.T, 1 / (b.B * b.T));
    opt.update(1e-3);
    wall.push(performance.now() - t0);
    cpu.push(cpuMs() - c0);
  }
  return { wall: wall.slice(1), cpu: cpu.slice(1) }; // the first step allocates buffers
}

async function trainerStepTimes(): Promise<{ wall: number[]; cpu: number[] }> {
  fs.rmSync(out, { recursive: true, force: true });
  const wall: number[] = [], cpu: number[] = [];
  await runPretrain({ ...cfg }, null, { progress: false, onStep: () => { wall.push(performance.now()); cpu.push(cpuMs()); } });
  // Step-to-step: everything in the loop is included.
  const diff = (xs: number[]): number[] => xs.slice(1).map((t, i) => t - xs[i]);
  return { wall: diff(wall), cpu: diff(cpu) };
}

const raw = { wall: [] as number[], cpu: [] as number[] }, loop = { wall: [] as number[], cpu: [] as number[] };
for (let r = 0; r < rounds; r++) {
  const a = rawStepTimes();
  const b = await trainerStepTimes();
  for (const k of ["wall", "cpu"] as const) { raw[k].push(median(a[k])); loop[k].push(median(b[k])); }
  console.error(`round ${r + 1}: raw ${median(a.wall).toFixed(1)} ms wall / ${median(a.cpu).toFixed(1)} ms cpu per step, ` +
    `trainer ${median(b.wall).toFixed(1)} / ${median(b.cpu).toFixed(1)}`);
}
/** CPU ms per step of each piece the loop adds around the model (measured alone, 200 times each). */
async function loopPieces(): Promise<Record<string, number>> {
  const model = new Llama(modelConfig(cfg.model, idx.vocab_size, idx.bos_id, idx.eos_id)).initRandom(cfg.seed);
  const loader = new TokenLoader(data, "train", { B: cfg.batch_size, T: cfg.seq_len, seed: cfg.seed });
  const task = new LmTask(model, loader);
  const log = new MetricsLog(out);
  fs.mkdirSync(out, { recursive: true });
  const n = 200;
  const time = async (fn: () => unknown): Promise<number> => {
    const c0 = cpuMs();
    for (let i = 0; i < n; i++) await fn();
    return (cpuMs() - c0) / n;
  };
  const accum = 1;
  const r = {
    next_batch_ms: await time(() => task.nextBatch()),
    batch_weight_ms: await time(() => task.batchWeight(loader.next())), // includes a loader read (conservative)
    grad_norm_ms: await time(() => clipGradNorm(model.params, 1e9)),
    metrics_append_ms: await time(() => log.append({ step: 1, loss: 1.2345, lr: 1e-3, grad_norm: 0.5, tokens_per_s: 1000, tokens: 1, step_s: 0.1 })),
    yield_ms: await time(() => new Promise((res) => setImmediate(res))),
  };
  loader.close();
  return { ...r, total_ms: accum * (r.next_batch_ms + r.batch_weight_ms) + r.grad_norm_ms + r.metrics_append_ms + r.yield_ms };
}

const pieces = await loopPieces();
const tokens = cfg.batch_size * cfg.seq_len;
const pct = (k: "wall" | "cpu"): number => 100 * (median(loop[k]) / median(raw[k]) - 1);
const res = {
  tokens_per_step: tokens, threads: native.threadCount(), steps, rounds,
  raw_wall_ms: median(raw.wall), trainer_wall_ms: median(loop.wall), raw_cpu_ms: median(raw.cpu), trainer_cpu_ms: median(loop.cpu),
  raw_tokens_per_s: (tokens / median(raw.wall)) * 1000, trainer_tokens_per_s: (tokens / median(loop.wall)) * 1000,
  overhead_wall_pct: pct("wall"), overhead_cpu_pct: pct("cpu"),
  per_round_cpu_overhead_pct: raw.cpu.map((a, i) => 100 * (loop.cpu[i] / a - 1)),
  loop_pieces_cpu_ms: pieces,
  loop_pieces_pct_of_raw_step: (100 * pieces.total_ms) / median(raw.cpu),
};
console.log(JSON.stringify(res));
fs.rmSync(out, { recursive: true, force: true });
