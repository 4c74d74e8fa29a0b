// RLHF from code: `rejectionSample(config)` and `ppo(config)` run the same recipes as `llama2 rejection-sample`
// and `llama2 ppo` from a typed partial config merged over the schema defaults (one schema for the YAML and
// the API); `annotate(options)` is `llama2 world annotate`; `startServer(options)` is `llama2 serve`.
import { defaults, mergeObject } from "../train/config.js";
import { RS_SCHEMA, type RsConfig } from "../recipes/rejection-sampling-config.js";
import { runRejectionSampling, type RsOptions, type RsResult } from "../recipes/rejection-sampling.js";
import { PPO_SCHEMA, type PpoConfig } from "../recipes/ppo-config.js";
import { runPpo, type PpoOptions, type PpoResult } from "../recipes/ppo.js";
import { resumePpo, resumeRejectionSampling } from "../recipes/rlhf-resume.js";

/** Options of rejectionSample(): the recipe's, with `resume` also taking a run directory. */
export interface RejectionSampleOptions extends Omit<RsOptions, "resume"> {
  /**
   * Continue a run as `llama2 rejection-sample --resume RUN_DIR` does: its saved config with `config` on top (a change
   * to a fixed key — policy, prompts, reward models, sft.seq_len, … — is refused, naming both values), at its first
   * missing output. A `config.out` elsewhere (new or empty) gets a copy of the run first. `true`: the run in `config.out`.
   */
  resume?: boolean | string;
}

/** Rejection-sampling fine-tuning (paper §3.2.3): any subset of the keys (policy, prompts, out and a reward model required). */
export async function rejectionSample(config: Partial<RsConfig>, options: RejectionSampleOptions = {}): Promise<RsResult> {
  const { resume, ...rest } = options;
  if (resume !== undefined && resume !== false) {
    const runDir = resume === true ? config.out : resume;
    if (!runDir) throw new Error("rejectionSample: resume: true needs config.out (the run directory)");
    const cfg = resumeRejectionSampling(runDir, { config, via: "rejectionSample(config)" });
    return runRejectionSampling(cfg, { ...rest, resume: true });
  }
  const c = defaults(RS_SCHEMA);
  mergeObject(RS_SCHEMA, c, config, "rejectionSample config");
  return runRejectionSampling(c as unknown as RsConfig, rest);
}

/** Options of ppo(): the recipe's, an AbortSignal, and `resume` also taking a run or checkpoint directory. */
export interface PpoCallOptions extends Omit<PpoOptions, "resume"> {
  /** Stops after the current iteration's checkpoint. */
  signal?: AbortSignal;
  /**
   * Continue a run as `llama2 ppo --resume DIR` does: DIR is a run directory (its newest checkpoint) or a checkpoint-N;
   * the checkpoint's config with `config` on top (a change to a fixed key — policy, reference, value model, prompts,
   * reward models — is refused, naming both values). A `config.out` elsewhere (new or empty) continues the run there.
   * `true`: the newest checkpoint in `config.out`, with the config as given (resumeFrom: that checkpoint, likewise).
   */
  resume?: boolean | string;
}

/** PPO with the combined safety/helpfulness reward; an AbortSignal stops after the current iteration's checkpoint. */
export async function ppo(config: Partial<PpoConfig>, options: PpoCallOptions = {}): Promise<PpoResult> {
  const { signal, resume, ...rest } = options;
  const shouldStop = (): boolean => (signal?.aborted ?? false) || (rest.shouldStop?.() ?? false);
  if (typeof resume === "string") {
    const { cfg, resumeFrom } = resumePpo(resume, { config, via: "ppo(config)" });
    return runPpo(cfg, { ...rest, resumeFrom, shouldStop });
  }
  const c = defaults(PPO_SCHEMA);
  mergeObject(PPO_SCHEMA, c, config, "ppo config");
  return runPpo(c as unknown as PpoConfig, { ...rest, resume, shouldStop });
}

export type { RsConfig, RsOptions, RsResult, PpoConfig, PpoOptions, PpoResult };
