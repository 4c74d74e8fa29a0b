// `llama2 worker --queue redis://HOST:PORT[/DB] [--threads N] [--concurrency N] [--cache DIR] [--stalled-s S]`: a rollout worker for
// rejection sampling and PPO run with rollout.queue (src/rlhf/queue/worker.ts). Logs one line per job on
// stderr; SIGTERM / Ctrl-C stop taking jobs and let the running ones finish (a second Ctrl-C exits at once).
import os from "node:os";
import path from "node:path";
import { defineCommand, parseFlags, UsageError } from "../args.js";
import { startRolloutWorker } from "../../rlhf/queue/worker.js";
import { parseRedisUrl } from "../../rlhf/queue/protocol.js";

export const command = defineCommand({
  name: "worker",
  summary: "rollout worker: takes rejection-sampling / PPO generation jobs from a Redis (BullMQ) queue",
  usage: "--queue redis://HOST:PORT[/DB] [--threads N] [--concurrency N] [--cache DIR] [--stalled-s S]",
  description: "Runs jobs a coordinator (llama2 rejection-sample / llama2 ppo with rollout.queue=redis://...) submits: it fetches the\n" +
    "model snapshots a job names (shared directory or the coordinator's HTTP server) into --cache by content hash, checks\n" +
    "every file's sha256 and the coordinator's llama2-ts version and SIMD kernel path, samples, scores with the reward models\n" +
    "and returns the answers with their log-probabilities and rewards. A killed worker's job is retried by another one.",
  options: {
    queue: { type: "string", value: "URL", required: true, description: "redis://HOST:PORT[/DB] of the rollout queue (the coordinator's rollout.queue)" },
    threads: { type: "string", value: "N", description: "compute threads (default: the machine's; one per worker when several share a machine)" },
    concurrency: { type: "string", value: "N", default: 1, description: "jobs run at once in this process" },
    cache: { type: "string", value: "DIR", defaultText: "~/.cache/llama2-ts/snapshots", description: "snapshot cache, one directory per content hash" },
    "stalled-s": { type: "string", value: "S", default: 30, description: "seconds without a lock renewal after which a job is retried by another worker" },
  },
  examples: [
    "llama2 worker --queue redis://127.0.0.1:6379 --threads 1",
    "llama2 worker --queue redis://10.0.0.5:6379/2 --concurrency 2 --cache /var/cache/llama2",
  ],
});

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(command, argv);
  const queue = f.str("queue");
  try { parseRedisUrl(queue); } catch (e) { throw new UsageError(`worker: --queue: ${(e as Error).message}`); }
  const concurrency = f.int("concurrency"), stalled = f.num("stalled-s");
  if (concurrency < 1) throw new UsageError(`worker: --concurrency must be >= 1, got ${concurrency}`);
  if (!(stalled > 0)) throw new UsageError(`worker: --stalled-s must be > 0, got ${stalled}`);
  const threads = f.strOpt("threads") === undefined ? undefined : f.int("threads");
  if (threads !== undefined && threads < 1) throw new UsageError(`worker: --threads must be >= 1, got ${threads}`);
  const w = await startRolloutWorker({
    queue, concurrency, threads, stalledSeconds: stalled,
    cacheDir: path.resolve(f.strOpt("cache") ?? path.join(os.homedir(), ".cache", "llama2-ts", "snapshots")),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  await new Promise<void>((resolve) => {
    let closing = false;
    const stop = (sig: string): void => {
      if (closing) { process.stderr.write(`${sig} again: exiting now\n`); process.exit(130); }
      closing = true;
      process.stderr.write(`${sig}: finishing the running jobs, then exiting\n`);
      w.close().then(resolve, resolve);
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
  });
  return 0;
}
