// `llama2 reward train [--config FILE] [--set key=value ...] | --resume RUN_DIR` (src/recipes/reward.ts):
// a helpfulness or safety reward model from a chat/SFT model, written as OUT/final (HF
// LlamaForSequenceClassification). Exit codes: 0 done, 130 / 143 stopped by SIGINT / SIGTERM after a checkpoint.
import { UsageError, defineCommand, parseFlags } from "../../args.js";
import { CONFIG_OPTIONS, printConfig } from "../../config-options.js";
import { trainProgress } from "../../progress.js";
import { loadRewardConfig, loadRewardResumeConfig, resolveResume, runReward } from "../../../recipes/reward.js";

export const command = defineCommand({
  name: "reward train",
  summary: "train a helpfulness or safety reward model with the paper's margin loss (§3.2.2)",
  usage: "[--config FILE] [--set KEY=VALUE ...] [--overwrite] | --resume DIR [--set KEY=VALUE ...]   (either: [--print-config] [--quiet])",
  description: "Every key has a default (llama2 reward train --print-config shows them); model=, data= and out= are required.\n" +
    "data takes a path, a list of paths or a list of {path, weight}, e.g. --set 'data=[{\"path\":\"a.jsonl\",\"weight\":0.1}]'.\n" +
    "OUT/final is a transformers LlamaForSequenceClassification directory. Ctrl-C / SIGTERM write a checkpoint\n" +
    "and exit 130 / 143; --resume continues exactly where it stopped.",
  options: {
    ...CONFIG_OPTIONS,
    quiet: { type: "boolean", description: "no live progress line or notes" },
  },
  examples: [
    "llama2 reward train --set model=runs/sft/final --set data=world/prefs_helpful_train.jsonl --set out=runs/rm-helpful",
    "llama2 reward train --config configs/reward-safety-world.yaml --set model=runs/sft/final",
    "llama2 reward train --resume runs/rm-helpful",
  ],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const sets = f.list("set");
  const resume = f.strOpt("resume");
  const file = f.strOpt("config");
  if (resume && file) throw new UsageError("reward train: use either --config (new run) or --resume (continue), not both");
  if (resume && f.bool("overwrite")) throw new UsageError("reward train: use either --resume (continue the run) or --overwrite (start over), not both");
  const quiet = f.bool("quiet");
  const opts = { progress: quiet ? undefined : trainProgress(), handleSignals: true, onNotice: (m: string) => console.error(m) };
  let result;
  if (resume) {
    const { checkpoint, runDir } = resolveResume(resume);
    const cfg = loadRewardResumeConfig(checkpoint, [`out=${runDir}`, ...sets]);
    if (f.bool("print-config")) { printConfig(cfg); return 0; }
    console.error(`resuming from ${checkpoint}`);
    result = await runReward(cfg, checkpoint, opts);
  } else {
    if (!file && sets.length === 0 && !f.bool("print-config"))
      throw new UsageError("reward train: give --config FILE or --set model=DIR --set data=FILE --set out=DIR (or --resume RUN_DIR)");
    if (f.bool("print-config")) {
      const { loadConfig } = await import("../../../train/config.js");
      const { REWARD_SCHEMA } = await import("../../../recipes/reward-config.js");
      printConfig(loadConfig(REWARD_SCHEMA, file, sets));
      return 0;
    }
    result = await runReward(loadRewardConfig(file, sets), null, { ...opts, overwrite: f.bool("overwrite") });
  }
  console.error(`${result.stopped === "done" ? "finished" : `stopped (${result.stopped})`} at step ${result.step}; ` +
    `last checkpoint: ${result.lastCheckpoint ?? "none"}${result.final ? `; model: ${result.final}` : ""}`);
  return result.stopped === "SIGINT" ? 130 : result.stopped === "SIGTERM" ? 143 : 0;
}
