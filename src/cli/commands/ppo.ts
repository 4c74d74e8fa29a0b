// `llama2 ppo [--config FILE] [--set key=value ...] | --resume RUN_DIR` (src/recipes/ppo.ts): PPO against the
// paper's combined safety/helpfulness reward with a KL penalty to the reference policy (§3.2.3).
import { UsageError, defineCommand, parseFlags } from "../args.js";
import { CONFIG_OPTIONS, printConfig } from "../config-options.js";
import { PPO_SCHEMA, type PpoConfig } from "../../recipes/ppo-config.js";
import { runPpo } from "../../recipes/ppo.js";
import { resumePpo } from "../../recipes/rlhf-resume.js";
import { loadConfig } from "../../train/config.js";

export const command = defineCommand({
  name: "ppo",
  summary: "PPO on the combined safety/helpfulness reward with a KL penalty to the reference (paper §3.2.3)",
  usage: "[--config FILE] [--set KEY=VALUE ...] [--overwrite] | --resume RUN_DIR [--set KEY=VALUE ...]   (either: [--print-config] [--quiet])",
  description: "Required keys: policy=, prompts=, out= and reward_helpful= and/or reward_safety= (llama2 ppo --print-config shows all).\n" +
    "Per iteration OUT/metrics.jsonl gets reward_combined, reward_helpful, reward_safety, kl, entropy, clipfrac, policy_loss,\n" +
    "value_loss, response_length and the time split (*_s); OUT/checkpoint-N holds the policy (HF directory), value/, both\n" +
    "optimizers and the RNG; OUT/final is the policy. Ctrl-C checkpoints and stops; --resume continues exactly.",
  options: { ...CONFIG_OPTIONS, quiet: { type: "boolean", description: "no per-iteration log lines" } },
  examples: [
    "llama2 ppo --set policy=runs/rs/final --set reward_helpful=runs/rm-h/final --set reward_safety=runs/rm-s/final --set prompts=world/prompts_train.jsonl --set out=runs/ppo",
    "llama2 ppo --resume runs/ppo",
  ],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const sets = f.list("set"), resume = f.strOpt("resume"), file = f.strOpt("config");
  if (resume && file) throw new UsageError("ppo: use either --config (new run) or --resume (continue), not both");
  if (resume && f.bool("overwrite")) throw new UsageError("ppo: use either --resume (continue the run) or --overwrite (start over), not both");
  let cfg: PpoConfig;
  let resumeFrom: string | undefined;
  if (resume) {
    // The checkpoint's config with --set on top: out= this run directory wherever the run was started (paths are
    // stored absolute); a --set changing a fixed key (policy, reference, value model, prompts, reward models) is refused.
    ({ cfg, resumeFrom } = resumePpo(resume, { sets }));
  } else {
    if (!file && sets.length === 0) throw new UsageError("ppo: give --set policy=DIR --set prompts=FILE --set reward_helpful=DIR --set out=DIR, --config FILE, or --resume RUN_DIR");
    cfg = loadConfig<PpoConfig>(PPO_SCHEMA, file, sets);
  }
  if (f.bool("print-config")) { printConfig(cfg); return 0; }
  let stop = false;
  const onSig = (): void => { stop = true; console.error("stopping after this iteration (a checkpoint is written first)"); };
  process.once("SIGINT", onSig);
  process.once("SIGTERM", onSig);
  const r = await runPpo(cfg, { log: f.bool("quiet") ? undefined : (s) => console.error(s), shouldStop: () => stop,
    resumeFrom, overwrite: f.bool("overwrite"), onNotice: (m) => console.error(m) });
  if (r.stopped) { console.error(`stopped at iteration ${r.iteration}; resume with llama2 ppo --resume ${r.out}`); return 130; }
  console.error(`finished ${r.iteration} iterations; final policy: ${r.final}`);
  return 0;
}
