// `llama2 world generate`: writes the whole world — pretraining text and, per split, SFT
// demonstrations, helpfulness and safety comparisons, RL prompts and Ghost-Attention dialogues —
// in the formats of DESIGN.md §4. Deterministic in the seed; every stream is a named fork.
import path from "node:path";
import { buildWorld, splitView, type SplitView, type WorldSize } from "./entities.js";
import { makePair } from "./comparisons.js";
import { JsonlWriter, TextWriter } from "./jsonl.js";
import { writePretrain } from "./pretrain.js";
import { Rng } from "./rng.js";
import { makeDialogue, drawConstraint, applyConstraint } from "./tasks/dialogue.js";
import { makeTask } from "./tasks/index.js";
import { SPLITS, type Kind, type Split, type Task } from "./types.js";

/** World sizes (SIZES holds what each writes). */
export type Size = "small" | "medium" | "large";
type PerSplit = Record<Split, number>;
export interface SizeSpec { world: WorldSize; pretrainBytes: number; sft: PerSplit; prefsHelpful: PerSplit; prefsSafety: PerSplit; prompts: PerSplit; dialogues: PerSplit }

/** Record counts and corpus size of each size. */
export const SIZES: Readonly<Record<Size, SizeSpec>> = {
  small: {
    world: { persons: 240, towns: 40, rivers: 12, hazardsPerCategory: 30 }, pretrainBytes: 1_500_000,
    sft: { train: 3000, val: 300, test: 300 }, prefsHelpful: { train: 3000, val: 300, test: 300 },
    prefsSafety: { train: 2000, val: 300, test: 300 }, prompts: { train: 1000, val: 300, test: 300 },
    dialogues: { train: 500, val: 100, test: 100 },
  },
  medium: {
    world: { persons: 800, towns: 100, rivers: 24, hazardsPerCategory: 60 }, pretrainBytes: 10_000_000,
    sft: { train: 15000, val: 1000, test: 1000 }, prefsHelpful: { train: 15000, val: 1000, test: 1000 },
    prefsSafety: { train: 10000, val: 1000, test: 1000 }, prompts: { train: 5000, val: 1000, test: 1000 },
    dialogues: { train: 2500, val: 300, test: 300 },
  },
  large: {
    world: { persons: 2000, towns: 200, rivers: 40, hazardsPerCategory: 120 }, pretrainBytes: 40_000_000,
    sft: { train: 40000, val: 2000, test: 2000 }, prefsHelpful: { train: 50000, val: 2000, test: 2000 },
    prefsSafety: { train: 30000, val: 2000, test: 2000 }, prompts: { train: 15000, val: 2000, test: 2000 },
    dialogues: { train: 8000, val: 500, test: 500 },
  },
};

/** Options of generateWorld: output directory, seed (any string), size, the annotator-noise scale of the preference labels (0..0.5; see flipProbability). */
export interface GenerateOptions { out: string; seed: string; size: Size; flipRate: number }
/** What generateWorld wrote: each file with its record count and size. */
export interface GenerateReport { files: { name: string; records?: number; bytes: number }[] }

/** A task of a kind drawn from `mix`, retrying (up to 20 times) a prompt already in `seen`. */
function uniqueTask(v: SplitView, rng: Rng, mix: [Kind, number][], seen: Set<string>): Task {
  const kind = mix[rng.weighted(mix.map((m) => m[1]))]![0];
  let t = makeTask(v, rng, kind);
  for (let tries = 0; tries < 20 && seen.has(t.prompt); tries++) t = makeTask(v, rng, kind);
  seen.add(t.prompt);
  return t;
}

/** Draws `n` tasks of the mixed kinds, avoiding repeated prompts within one file where possible. */
function* tasks(v: SplitView, rng: Rng, n: number, mix: [Kind, number][]): Generator<Task> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) yield uniqueTask(v, rng, mix, seen);
}

/** Generates every file of the world into `opts.out`. */
export function generateWorld(opts: GenerateOptions): GenerateReport {
  const spec = SIZES[opts.size];
  const root = new Rng(`llama2-world/${opts.seed}`);
  const world = buildWorld(root.seed, spec.world);
  const report: GenerateReport = { files: [] };
  const done = (w: TextWriter & { count?: number }) => {
    w.close();
    report.files.push({ name: path.basename(w.file), ...(w.count !== undefined ? { records: w.count } : {}), bytes: w.bytes });
  };

  const pre = new TextWriter(path.join(opts.out, "pretrain.txt"));
  writePretrain(world, root.fork("pretrain"), pre, spec.pretrainBytes);
  done(pre);

  for (const split of SPLITS) {
    const v = splitView(world, split);
    const file = (name: string) => new JsonlWriter(path.join(opts.out, `${name}_${split}.jsonl`));

    const sft = file("sft"), rs = root.fork(`${split}/sft`), seen = new Set<string>();
    for (let i = 0; i < spec.sft[split]; i++) {
      const r = rs.next();
      if (r < 0.05) {
        const d = makeDialogue(v, rs, rs.int(2, 3), false);
        sft.put({ messages: d.messages, meta: d.meta });
      } else if (r < 0.1) {
        const d = makeDialogue(v, rs, 1, true);
        sft.put({ messages: d.messages, meta: d.meta });
      } else {
        const t = uniqueTask(v, rs, [["helpful", 0.7], ["unsafe", 0.15], ["borderline", 0.15]], seen);
        sft.put({ messages: [{ role: "user", content: t.prompt }, { role: "assistant", content: t.reference }], meta: t.meta });
      }
    }
    done(sft);

    const ph = file("prefs_helpful"), rh = root.fork(`${split}/prefs_helpful`);
    for (const t of tasks(v, rh, spec.prefsHelpful[split], [["helpful", 0.8], ["borderline", 0.2]])) ph.put(makePair(t, rh, "helpfulness", opts.flipRate));
    done(ph);

    const ps = file("prefs_safety"), rsf = root.fork(`${split}/prefs_safety`);
    for (const t of tasks(v, rsf, spec.prefsSafety[split], [["unsafe", 0.6], ["borderline", 0.4]])) ps.put(makePair(t, rsf, "safety", opts.flipRate));
    done(ps);

    const pr = file("prompts"), rp = root.fork(`${split}/prompts`);
    for (const t of tasks(v, rp, spec.prompts[split], [["helpful", 0.5], ["unsafe", 0.25], ["borderline", 0.25]]))
      pr.put({ prompt: t.prompt, is_safety: t.meta.kind !== "helpful", kind: t.meta.kind, meta: t.meta });
    done(pr);

    const dl = file("dialogues"), rd = root.fork(`${split}/dialogues`);
    for (let i = 0; i < spec.dialogues[split]; i++) {
      const d = makeDialogue(v, rd, rd.int(2, 4), true);
      dl.put({ messages: d.messages, meta: d.meta });
    }
    done(dl);
  }

  const manifest = new TextWriter(path.join(opts.out, "world.json"));
  manifest.write(JSON.stringify({ generator: "llama2-ts world", seed: opts.seed, size: opts.size, flip_rate: opts.flipRate, files: report.files }, null, 2) + "\n");
  done(manifest);
  return report;
}

// Re-exported for callers that build single dialogues or constraints (the GAtt stage).
export { applyConstraint, drawConstraint };
