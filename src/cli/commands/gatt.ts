// `llama2 gatt [--config FILE] [--set key=value ...] | --resume RUN_DIR` (src/recipes/gatt.ts): Ghost
// Attention fine-tuning on multi-turn dialogues. Exit codes as `llama2 sft`.
import { UsageError, defineCommand, parseFlags } from "../args.js";
import { CONFIG_OPTIONS, printConfig } from "../config-options.js";
import { loadGattConfig, loadGattResumeConfig, resolveResume, runGatt } from "../../recipes/gatt.js";
import { GATT_SCHEMA } from "../../recipes/gatt-config.js";
import { loadConfig } from "../../train/config.js";
import { trainProgress } from "../progress.js";

export const command = defineCommand({
  name: "gatt",
  summary: "Ghost Attention: keep following a system instruction over many turns (paper §3.3)",
  usage: "[--config FILE] [--set KEY=VALUE ...] [--overwrite] | --resume DIR [--set KEY=VALUE ...]   (either: [--print-config] [--quiet])",
  description: "Samples every assistant turn of the dialogues with the model while the instruction is concatenated to each user\n" +
    "turn, then fine-tunes on the dialogues with the instruction only in the first turn (the system message), the loss on\n" +
    "one sampled reply per sample. model=, dialogues= and out= are required; the other keys are SFT's (--print-config).\n" +
    "The run ends with OUT/final and, on a world's dialogues, `llama2 eval` into OUT/eval.json.",
  options: {
    ...CONFIG_OPTIONS,
    quiet: { type: "boolean", description: "no live progress line" },
  },
  examples: [
    "llama2 gatt --set model=runs/sft/final --set dialogues=world/dialogues_train.jsonl --set out=runs/gatt",
    "llama2 gatt --config configs/gatt-tiny.yaml --set model=runs/sft/final --set dialogues=world/dialogues_train.jsonl --set out=runs/gatt",
    "llama2 gatt --resume runs/gatt",
  ],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const sets = f.list("set");
  const resume = f.strOpt("resume");
  const file = f.strOpt("config");
  if (resume && file) throw new UsageError("gatt: use either --config (new run) or --resume (continue), not both");
  if (resume && f.bool("overwrite")) throw new UsageError("gatt: use either --resume (continue the run) or --overwrite (start over), not both");
  if (f.bool("print-config")) {
    printConfig(resume ? loadGattResumeConfig(resolveResume(resume).checkpoint, [`out=${resolveResume(resume).runDir}`, ...sets]) : loadConfig(GATT_SCHEMA, file, sets));
    return 0;
  }
  if (!resume && !file && sets.length === 0) throw new UsageError("gatt: give --set model=DIR --set dialogues=FILE --set out=DIR, --config FILE, or --resume RUN_DIR");
  const log = (s: string): void => console.error(s);
  let result;
  if (resume) {
    const { checkpoint, runDir } = resolveResume(resume);
    const cfg = loadGattResumeConfig(checkpoint, [`out=${runDir}`, ...sets]);
    console.error(`resuming from ${checkpoint}`);
    result = await runGatt(cfg, checkpoint, { progress: f.bool("quiet") ? undefined : trainProgress(), handleSignals: true, log });
  } else {
    result = await runGatt(loadGattConfig(file, sets), null, { progress: f.bool("quiet") ? undefined : trainProgress(), handleSignals: true, overwrite: f.bool("overwrite"), log });
  }
  console.error(`${result.stopped === "done" ? "finished" : `stopped (${result.stopped})`} at step ${result.step}; ` +
    `last checkpoint: ${result.lastCheckpoint ?? "none"}${result.final ? `; final model: ${result.final}` : ""}`);
  return result.stopped === "SIGINT" ? 130 : result.stopped === "SIGTERM" ? 143 : 0;
}
