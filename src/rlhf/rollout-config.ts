// The `rollout.*` keys of rejection sampling and PPO: where generation runs. Without `rollout.queue` it
// runs in this process; with `rollout.queue: redis://HOST:PORT[/DB]` it is cut into jobs of `job_prompts`
// prompts for `llama2 worker` processes (BullMQ on Redis), with model snapshots shared through a directory
// (`snapshot_dir`) or an HTTP endpoint this process serves. Jobs are grouped the same way in both modes.
import type { Schema } from "../train/config.js";

/** The resolved `rollout` section (snake_case as in the YAML). */
export interface RolloutConfig {
  queue: string | null;
  job_prompts: number;
  timeout_s: number;
  snapshot_dir: string | null;
  snapshot_host: string;
  snapshot_port: number;
  snapshot_url: string | null;
}

/** The `rollout` section's schema; `jobPrompts` is the recipe's default for `job_prompts`. */
export function rolloutSchema(jobPrompts: number): Schema {
  return {
    queue: { type: "string?", default: null, doc: "redis://HOST:PORT[/DB] of a BullMQ queue served by `llama2 worker`s (null: generate in this process)" },
    job_prompts: { type: "int", default: jobPrompts, range: ">= 1", doc: "prompts per job (rejection sampling: each with its k samples); local runs group the same way" },
    timeout_s: { type: "number", default: 1800, range: "> 0", doc: "seconds a job may take from submission to result before the run fails (no workers, or stuck ones)" },
    snapshot_dir: { type: "string?", default: null, path: true, doc: "a directory every worker can read (NFS, a shared disk): snapshots are copied there; null: served over HTTP" },
    snapshot_host: { type: "string", default: "127.0.0.1", doc: "address the snapshot HTTP server binds (0.0.0.0 for workers on other machines)" },
    snapshot_port: { type: "int", default: 0, range: "[0, 65535]", doc: "its TCP port (0: a free one; fix it so a resumed run keeps the URL)" },
    snapshot_url: { type: "string?", default: null, doc: "the URL workers use for that server (default http://snapshot_host:port; set it when binding 0.0.0.0)" },
  };
}
