// `llama2 pretrain --config FILE [--set key=value ...]` and
// `llama2 pretrain --resume RUN_DIR|CHECKPOINT_DIR [--set out=DIR ...]` (src/recipes/pretrain.ts).
// A run directory holding another run is refused unless --resume or --overwrite (src/train/run-dir.ts).
// Exit codes: 0 done, 130 / 143 stopped by SIGINT / SIGTERM after writing a checkpoint.
import { UsageError, defineCommand, parseFlags } from "../args.js";
import { CONFIG_OPTIONS, printConfig } from "../config-options.js";
import { loadPretrainConfig, loadResumeConfig, resolveResume, runPretrain } from "../../recipes/pretrain.js";
import { loadConfig } from "../../train/config.js";
import { PRETRAIN_SCHEMA, expandModelShorthand } from "../../recipes/pretrain-config.js";
import { trainProgress } from "../progress.js";

export const command = defineCommand({
  name: "pretrain",
  summary: "pretrain a Llama decoder on prepared token shards (paper §2.2)",
  usage: "[--config FILE] [--set KEY=VALUE ...] [--overwrite] | --resume DIR [--set KEY=VALUE ...]   (either: [--print-config] [--quiet])",
  description: "Every key has a default (llama2 pretrain --print-config shows them); data= and out= are required;\n" +
    "--set model=DIR is shorthand for --set model.init_from=DIR (continue from an HF model directory).\n" +
    "Ctrl-C / SIGTERM write a checkpoint and exit 130 / 143; --resume continues exactly where it stopped.",
  options: {
    ...CONFIG_OPTIONS,
    quiet: { type: "boolean", description: "no live progress line" },
  },
  examples: [
    "llama2 pretrain --config configs/pretrain-tiny.yaml --set data=world/tokens --set out=runs/tiny",
    "llama2 pretrain --resume runs/tiny --set max_steps=1200",
    "llama2 pretrain --config configs/pretrain-tiny.yaml --print-config",
  ],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const sets = f.list("set");
  const resume = f.strOpt("resume");
  const file = f.strOpt("config");
  if (resume && file) throw new UsageError("pretrain: use either --config (new run) or --resume (continue), not both");
  if (f.bool("print-config")) {
    printConfig(resume ? loadResumeConfig(resolveResume(resume).checkpoint, [`out=${resolveResume(resume).runDir}`, ...sets]) : loadConfig(PRETRAIN_SCHEMA, file, expandModelShorthand(sets)));
    return 0;
  }
  if (!resume && !file && sets.length === 0) throw new UsageError("pretrain: --config FILE or --resume RUN_DIR is required");
  if (resume && f.bool("overwrite")) throw new UsageError("pretrain: use either --resume (continue the run) or --overwrite (start over), not both");
  const onNotice = (m: string): void => console.error(m);
  let result;
  if (resume) {
    const { checkpoint, runDir } = resolveResume(resume);
    const cfg = loadResumeConfig(checkpoint, [`out=${runDir}`, ...sets]);
    console.error(`resuming from ${checkpoint}`);
    result = await runPretrain(cfg, checkpoint, { progress: f.bool("quiet") ? undefined : trainProgress(), handleSignals: true, onNotice });
  } else {
    result = await runPretrain(loadPretrainConfig(file, sets), null, { progress: f.bool("quiet") ? undefined : trainProgress(), handleSignals: true,
      overwrite: f.bool("overwrite"), onNotice });
  }
  console.error(`${result.stopped === "done" ? "finished" : `stopped (${result.stopped})`} at step ${result.step}; last checkpoint: ${result.lastCheckpoint ?? "none"}` +
    (result.final ? `; final model: ${result.final}` : ""));
  return result.stopped === "SIGINT" ? 130 : result.stopped === "SIGTERM" ? 143 : 0;
}
