// `llama2 pretrain --config FILE [--set key=value ...]` and
// `llama2 pretrain --resume RUN_DIR|CHECKPOINT_DIR [--set out=DIR ...]` (src/recipes/pretrain.ts).
// Exit codes: 0 done, 130 / 143 stopped by SIGINT / SIGTERM after writing a checkpoint.
import { UsageError, parseFlags } from "../args.js";
import { loadPretrainConfig, loadResumeConfig, resolveResume, runPretrain } from "../../recipes/pretrain.js";

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags("pretrain", argv, {
    config: { type: "string" },
    set: { type: "string", multiple: true },
    resume: { type: "string" },
    quiet: { type: "boolean" },
  });
  const sets = f.list("set");
  const resume = f.strOpt("resume");
  const file = f.strOpt("config");
  if (resume && file) throw new UsageError("pretrain: use either --config (new run) or --resume (continue), not both");
  if (!resume && !file && sets.length === 0) throw new UsageError("pretrain: --config FILE or --resume RUN_DIR is required");
  let result;
  if (resume) {
    const { checkpoint, runDir } = resolveResume(resume);
    const cfg = loadResumeConfig(checkpoint, [`out=${runDir}`, ...sets]);
    console.error(`resuming from ${checkpoint}`);
    result = await runPretrain(cfg, checkpoint, { progress: !f.bool("quiet") });
  } else {
    result = await runPretrain(loadPretrainConfig(file, sets), null, { progress: !f.bool("quiet") });
  }
  console.error(`${result.stopped === "done" ? "finished" : `stopped (${result.stopped})`} at step ${result.step}; last checkpoint: ${result.lastCheckpoint ?? "none"}`);
  return result.stopped === "SIGINT" ? 130 : result.stopped === "SIGTERM" ? 143 : 0;
}
