// `llama2 rejection-sample [--config FILE] [--set key=value ...] | --resume RUN_DIR` (src/recipes/rejection-sampling.ts):
// rejection-sampling fine-tuning (paper §3.2.3) with the best answer per prompt pooled over all iterations.
import { UsageError, defineCommand, parseFlags } from "../args.js";
import { CONFIG_OPTIONS, printConfig } from "../config-options.js";
import { RS_SCHEMA, type RsConfig } from "../../recipes/rejection-sampling-config.js";
import { runRejectionSampling } from "../../recipes/rejection-sampling.js";
import { loadConfig } from "../../train/config.js";
import { trainProgress } from "../progress.js";
import { resumeRejectionSampling } from "../../recipes/rlhf-resume.js";

export const command = defineCommand({
  name: "rejection-sample",
  summary: "rejection-sampling fine-tuning: sample K answers, keep the best by reward, fine-tune on the pool (paper §3.2.3)",
  usage: "[--config FILE] [--set KEY=VALUE ...] [--overwrite] | --resume RUN_DIR [--set KEY=VALUE ...]   (either: [--print-config] [--quiet])",
  description: "Required keys: policy=, prompts=, out= and reward_helpful= and/or reward_safety= (llama2 rejection-sample --print-config shows all).\n" +
    "Iteration N samples with iteration N-1's model (the policy for N = 1, or sample_from), ranks by Rc (two RMs) or one RM's raw score,\n" +
    "and fine-tunes on the best answer per prompt over all iterations (OUT/iteration-N/{samples,best}.jsonl, curve.json, model/; OUT/final).",
  options: {
    ...CONFIG_OPTIONS,
    quiet: { type: "boolean", description: "no live progress line" },
  },
  examples: [
    "llama2 rejection-sample --set policy=runs/sft/final --set reward_helpful=runs/rm-h/final --set reward_safety=runs/rm-s/final --set prompts=world/prompts_train.jsonl --set out=runs/rs",
    "llama2 rejection-sample --resume runs/rs",
  ],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const sets = f.list("set"), resume = f.strOpt("resume"), file = f.strOpt("config");
  if (resume && file) throw new UsageError("rejection-sample: use either --config (new run) or --resume (continue), not both");
  if (resume && f.bool("overwrite")) throw new UsageError("rejection-sample: use either --resume (continue the run) or --overwrite (start over), not both");
  let cfg: RsConfig;
  if (resume) {
    // The saved config with --set on top; a --set changing a fixed key (policy, prompts, reward models, ...) is refused.
    cfg = resumeRejectionSampling(resume, { sets });
  } else {
    if (!file && sets.length === 0) throw new UsageError("rejection-sample: give --set policy=DIR --set prompts=FILE --set reward_helpful=DIR --set out=DIR, --config FILE, or --resume RUN_DIR");
    cfg = loadConfig<RsConfig>(RS_SCHEMA, file, sets);
  }
  if (f.bool("print-config")) { printConfig(cfg); return 0; }
  const r = await runRejectionSampling(cfg, {
    log: (s) => console.error(s), progress: f.bool("quiet") ? undefined : trainProgress(), handleSignals: true,
    resume: resume !== undefined, overwrite: f.bool("overwrite"),
  });
  if (!r.final) { console.error(`stopped; resume with llama2 rejection-sample --resume ${r.out}`); return 130; }
  for (const it of r.iterations) console.error(`iteration ${it.iteration}: mean sample reward ${it.meanReward.toFixed(4)}, pooled best ${it.bestMeanReward.toFixed(4)}`);
  console.error(`final model: ${r.final}`);
  return 0;
}
