// `llama2 sft [--config FILE] [--set key=value ...] | --resume RUN_DIR` (src/recipes/sft.ts): supervised
// fine-tuning on chat rows. Exit codes: 0 done, 130 / 143 stopped by SIGINT / SIGTERM after a checkpoint.
import { UsageError, defineCommand, parseFlags } from "../args.js";
import { CONFIG_OPTIONS, printConfig } from "../config-options.js";
import { loadSftConfig, loadSftResumeConfig, resolveResume, runSft } from "../../recipes/sft.js";
import { SFT_SCHEMA } from "../../recipes/sft-config.js";
import { loadConfig } from "../../train/config.js";
import { trainProgress } from "../progress.js";

export const command = defineCommand({
  name: "sft",
  summary: "supervised fine-tuning on chat data, loss on the assistant replies only (paper §3.1)",
  usage: "[--config FILE] [--set KEY=VALUE ...] [--overwrite] | --resume DIR [--set KEY=VALUE ...]   (either: [--print-config] [--quiet])",
  description: "Every key has a default (llama2 sft --print-config shows them); model=, data= and out= are required.\n" +
    "Rows: {\"messages\": [...]} (optional system, any number of turns) or {\"prompt\", \"response\"}; a world's sft_train.jsonl.\n" +
    "Samples are packed best-fit into seq_len rows (packing=false pads each to the longest); batch_size × grad_accum\n" +
    "samples make one step. The run ends with OUT/final and, on a world's data, `llama2 eval` into OUT/eval.json.",
  options: {
    ...CONFIG_OPTIONS,
    quiet: { type: "boolean", description: "no live progress line" },
  },
  examples: [
    "llama2 sft --set model=runs/demo/pretrain/final --set data=runs/demo/world/sft_train.jsonl --set out=runs/sft",
    "llama2 sft --config configs/sft-tiny.yaml --set model=DIR --set data=world/sft_train.jsonl --set out=runs/sft",
    "llama2 sft --resume runs/sft",
  ],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const sets = f.list("set");
  const resume = f.strOpt("resume");
  const file = f.strOpt("config");
  if (resume && file) throw new UsageError("sft: use either --config (new run) or --resume (continue), not both");
  if (resume && f.bool("overwrite")) throw new UsageError("sft: use either --resume (continue the run) or --overwrite (start over), not both");
  if (f.bool("print-config")) {
    printConfig(resume ? loadSftResumeConfig(resolveResume(resume).checkpoint, [`out=${resolveResume(resume).runDir}`, ...sets]) : loadConfig(SFT_SCHEMA, file, sets));
    return 0;
  }
  if (!resume && !file && sets.length === 0) throw new UsageError("sft: give --set model=DIR --set data=FILE --set out=DIR, --config FILE, or --resume RUN_DIR");
  const log = (s: string): void => console.error(s);
  let result;
  if (resume) {
    const { checkpoint, runDir } = resolveResume(resume);
    const cfg = loadSftResumeConfig(checkpoint, [`out=${runDir}`, ...sets]);
    console.error(`resuming from ${checkpoint}`);
    result = await runSft(cfg, checkpoint, { progress: f.bool("quiet") ? undefined : trainProgress(), handleSignals: true, log });
  } else {
    result = await runSft(loadSftConfig(file, sets), null, { progress: f.bool("quiet") ? undefined : trainProgress(), handleSignals: true, overwrite: f.bool("overwrite"), log });
  }
  console.error(`${result.stopped === "done" ? "finished" : `stopped (${result.stopped})`} at step ${result.step}; ` +
    `last checkpoint: ${result.lastCheckpoint ?? "none"}${result.final ? `; final model: ${result.final}` : ""}`);
  return result.stopped === "SIGINT" ? 130 : result.stopped === "SIGTERM" ? 143 : 0;
}
