// The options every config-driven command (pretrain, sft, reward train, ppo, ...) shares —
// `--config FILE`, `--set key=value`, `--resume DIR`, `--overwrite`, `--print-config` — spread into its definition:
// `options: { ...CONFIG_OPTIONS, quiet: {...} }`. The CLI help test requires --print-config wherever --config is.
import type { OptionDefs } from "./args.js";
import { configToYaml, type ConfigValues } from "../train/config.js";

export const CONFIG_OPTIONS = {
  config: { type: "string", value: "FILE", description: "YAML config (see configs/); keys not in it keep their defaults" },
  set: { type: "string", value: "KEY=VALUE", multiple: true, description: "override one config key, e.g. --set max_steps=100 or --set model.preset=stories15M" },
  resume: { type: "string", value: "DIR", description: "continue a run from its run directory (newest checkpoint) or one checkpoint directory" },
  overwrite: { type: "boolean", description: "start over in a run directory that holds another run, clearing it first (otherwise refused)" },
  "print-config": { type: "boolean", description: "print the resolved config (defaults, then --config, then --set) as YAML and exit" },
} satisfies OptionDefs;

/** Prints a resolved config the way it is saved as RUN_DIR/config.yaml. */
export function printConfig(cfg: object): void {
  process.stdout.write(configToYaml(cfg as ConfigValues));
}
