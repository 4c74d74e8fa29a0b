// Where rejection sampling and PPO generate (§3.2.3): the recipes hand batches of rows to a RolloutBackend
// at one point and get every row back, sampled and scored, in row order. The local backend runs each job of
// a batch in this process; the queue backend (src/rlhf/queue/queue-backend.ts) sends the same jobs to
// `llama2 worker` processes. Both cut batches into the same jobs, so results are byte-identical.
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import type { Llama } from "../model/llama.js";
import type { RewardModels } from "./reward-models.js";
import { jobRanges, runRolloutJob, type RolloutBatch, type ScoredRollout } from "./rollout-job.js";
import type { RolloutConfig } from "./rollout-config.js";

/** The models a batch uses. `dir` names a directory holding exactly the policy's weights, or null (a model trained in memory). */
export interface RolloutModels {
  policy: { model: Llama; tokenizer: Tokenizer; dir: string | null; tokenizerDir: string };
  rms: RewardModels;
}

/** Samples and scores batches of rows; results per batch, in row order. */
export interface RolloutBackend {
  readonly kind: "local" | "queue";
  /** Samples and scores every row of every batch (cut into jobs of batch.rowsPerJob rows); one array per batch, in row order. */
  run(models: RolloutModels, batches: readonly RolloutBatch[]): Promise<ScoredRollout[][]>;
  /** Releases connections and servers (nothing for the local backend). */
  close(): Promise<void>;
}

/** Runs every job in this process, one after another. */
export class LocalRolloutBackend implements RolloutBackend {
  readonly kind = "local" as const;
  /** Each job of each batch in turn, with the in-memory models. */
  async run(models: RolloutModels, batches: readonly RolloutBatch[]): Promise<ScoredRollout[][]> {
    return batches.map((b) => jobRanges(b.rows.length, b.rowsPerJob).flatMap(([s, e]) => runRolloutJob(models.policy, models.rms, b.rows.slice(s, e), b.sampling)));
  }
  /** Nothing to release. */
  async close(): Promise<void> {}
}

/** How a recipe's backend reports and where it keeps its files. */
export interface BackendOptions {
  /** A directory of the run for snapshots saved from memory and the job log (jobs.jsonl). */
  scratch: string;
  /** Progress notes (jobs submitted and done); default none. */
  log?: (line: string) => void;
}

/** The backend `rollout` asks for: local without `rollout.queue`, else the queue (connected and checked now). */
export async function openRolloutBackend(cfg: RolloutConfig, o: BackendOptions): Promise<RolloutBackend> {
  if (!cfg.queue) return new LocalRolloutBackend();
  const { QueueRolloutBackend } = await import("./queue/queue-backend.js");
  return QueueRolloutBackend.open(cfg, o);
}
