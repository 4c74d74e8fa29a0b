// RLHF from code: `rejectionSample(config)` and `ppo(config)` run the same recipes as `llama2 rejection-sample`
// and `llama2 ppo` from a typed partial config merged over the schema defaults (one schema for the YAML and
// the API); `annotate(options)` is `llama2 world annotate`; `startServer(options)` is `llama2 serve`.
import { defaults, mergeObject } from "../train/config.js";
import { RS_SCHEMA, type RsConfig } from "../recipes/rejection-sampling-config.js";
import { runRejectionSampling, type RsOptions, type RsResult } from "../recipes/rejection-sampling.js";
import { PPO_SCHEMA, type PpoConfig } from "../recipes/ppo-config.js";
import { runPpo, type PpoOptions, type PpoResult } from "../recipes/ppo.js";

/** Rejection-sampling fine-tuning (paper §3.2.3): any subset of the keys (policy, prompts, out and a reward model required). */
export function rejectionSample(config: Partial<RsConfig>, options: RsOptions = {}): Promise<RsResult> {
  const c = defaults(RS_SCHEMA);
  mergeObject(RS_SCHEMA, c, config, "rejectionSample config");
  return runRejectionSampling(c as unknown as RsConfig, options);
}

/** PPO with the combined safety/helpfulness reward; an AbortSignal stops after the current iteration's checkpoint. */
export function ppo(config: Partial<PpoConfig>, options: PpoOptions & { signal?: AbortSignal } = {}): Promise<PpoResult> {
  const c = defaults(PPO_SCHEMA);
  mergeObject(PPO_SCHEMA, c, config, "ppo config");
  const { signal, ...rest } = options;
  return runPpo(c as unknown as PpoConfig, { ...rest, shouldStop: () => (signal?.aborted ?? false) || (rest.shouldStop?.() ?? false) });
}

export type { RsConfig, RsOptions, RsResult, PpoConfig, PpoOptions, PpoResult };
