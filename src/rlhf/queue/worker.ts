// A rollout worker (`llama2 worker`): a BullMQ Worker on the rollout queue that checks the job's build
// against its own (a different llama2-ts version or SIMD kernel path would give different numbers), fetches
// the job's snapshots into its cache by hash, keeps recently used models loaded, runs the job
// (src/rlhf/rollout-job.ts, yielding to the event loop between decode steps so its lock stays renewed) and
// returns the rows. A killed worker's job goes back to the queue through BullMQ's stalled-job check.
import os from "node:os";
import path from "node:path";
import { setImmediate as tick } from "node:timers/promises";
import { Worker, UnrecoverableError, type Job } from "bullmq";
import { Llama } from "../../model/llama.js";
import { Tokenizer } from "../../tokenizer/tokenizer.js";
import { RewardModels, type LoadedRm } from "../reward-models.js";
import { rolloutJobSteps, type PolicyModel } from "../rollout-job.js";
import { fetchSnapshot, SnapshotError, type SnapshotRef } from "./snapshot.js";
import { ROLLOUT_QUEUE, buildId, parseRedisUrl, type BuildId, type RolloutJobData, type RolloutJobResult } from "./protocol.js";
import { checkRedis } from "./redis.js";

/** How a rollout worker connects and runs. */
export interface RolloutWorkerOptions {
  /** redis://HOST:PORT[/DB] of the queue. */
  queue: string;
  /** Snapshot cache directory (one subdirectory per snapshot hash). */
  cacheDir: string;
  /** Jobs run at once in this process (BullMQ concurrency; default 1). */
  concurrency?: number;
  /** Compute threads (default: the addon's). */
  threads?: number;
  /** Seconds without a lock renewal after which the job counts as stalled and another worker takes it (default 30). */
  stalledSeconds?: number;
  /** Models kept loaded between jobs (default 4). */
  maxModels?: number;
  /** Progress lines (job started / done / failed); default none. */
  log?: (line: string) => void;
  /** The worker's name in job results and logs (default HOST:PID). */
  id?: string;
}

/** A running worker. */
export interface RolloutWorker {
  id: string;
  build: BuildId;
  /** Stops taking jobs, lets the running ones finish, disconnects. */
  close(): Promise<void>;
}

type Loaded = PolicyModel | LoadedRm;

/** Connects to the queue and starts taking jobs. Throws when Redis cannot be reached. */
export async function startRolloutWorker(o: RolloutWorkerOptions): Promise<RolloutWorker> {
  const conn = parseRedisUrl(o.queue);
  await checkRedis(o.queue);
  if (o.threads !== undefined) (await import("../../native/addon.js")).native.setThreadCount(o.threads);
  const build = await buildId();
  const id = o.id ?? `${os.hostname()}:${process.pid}`;
  const log = o.log ?? (() => {});
  const maxModels = o.maxModels ?? 4;
  const loaded = new Map<string, Promise<Loaded>>(); // snapshot hash → model, most recently used last

  const model = (ref: SnapshotRef, dir: string, kind: "policy" | "rm"): Promise<Loaded> => {
    const key = `${kind}:${ref.hash}`;
    let p = loaded.get(key);
    if (p) loaded.delete(key);
    else p = (async (): Promise<Loaded> => {
      const base = ref.files.some((f) => f.name.startsWith("base/")) ? path.join(dir, "base") : undefined;
      const m = await Llama.load(dir, { trainable: false, base });
      const tokenizer = await Tokenizer.load(dir);
      if (kind === "rm" && m.head !== "score") throw new UnrecoverableError(`snapshot ${ref.hash} holds a causal LM, not a reward model`);
      if (kind === "policy" && m.head !== "lm") throw new UnrecoverableError(`snapshot ${ref.hash} holds a reward model, not a policy`);
      return { model: m, tokenizer, dir };
    })();
    loaded.set(key, p);
    while (loaded.size > maxModels) loaded.delete(loaded.keys().next().value!);
    p.catch(() => loaded.delete(key));
    return p;
  };

  const fetch = async (ref: SnapshotRef): Promise<{ dir: string; seconds: number }> => {
    try { return await fetchSnapshot(ref, o.cacheDir); }
    catch (e) { throw e instanceof SnapshotError ? new UnrecoverableError(e.message) : e; }
  };

  const process1 = async (job: Job<RolloutJobData, RolloutJobResult>): Promise<RolloutJobResult> => {
    const d = job.data, short = job.id!.slice(0, 12);
    log(`job ${short} started: rows ${d.first_row}-${d.first_row + d.rows.length - 1} (attempt ${job.attemptsMade + 1})`);
    if (d.protocol !== 1) throw new UnrecoverableError(`job protocol ${String(d.protocol)} is not this worker's (1): llama2-ts ${build.version}`);
    if (d.coordinator.version !== build.version || d.coordinator.simd !== build.simd)
      throw new UnrecoverableError(`build mismatch: the coordinator runs llama2-ts ${d.coordinator.version} with ${d.coordinator.simd} kernels, ` +
        `worker ${id} runs ${build.version} with ${build.simd}; its numbers would differ, so it refuses the job`);
    const t0 = performance.now();
    const refs = [d.policy, d.reward_helpful, d.reward_safety];
    const dirs = [];
    for (const r of refs) dirs.push(r ? (await fetch(r)).dir : null);
    const t1 = performance.now();
    const policy = (await model(d.policy, dirs[0]!, "policy")) as PolicyModel;
    const rmH = d.reward_helpful ? (await model(d.reward_helpful, dirs[1]!, "rm")) as LoadedRm : null;
    const rmS = d.reward_safety ? (await model(d.reward_safety, dirs[2]!, "rm")) as LoadedRm : null;
    const t2 = performance.now();
    const steps = rolloutJobSteps(policy, new RewardModels(rmH, rmS), d.rows, d.sampling);
    let r = steps.next();
    while (!r.done) { await tick(); r = steps.next(); }
    const t3 = performance.now();
    log(`job ${short} done: ${d.rows.length} rows in ${((t3 - t0) / 1000).toFixed(2)} s`);
    return {
      job: job.id!, worker: { id, ...build },
      rows: r.value.map((x) => ({
        prompt_ids: x.promptIds, ids: x.ids, logprobs: x.logprobs, text: x.text, finished: x.finished,
        reward: x.reward, reward_helpful: x.rewardHelpful, reward_safety: x.rewardSafety,
      })),
      seconds: { fetch: (t1 - t0) / 1000, load: (t2 - t1) / 1000, rollout: (t3 - t2) / 1000 },
    };
  };

  const stalledMs = Math.round((o.stalledSeconds ?? 30) * 1000);
  const worker = new Worker<RolloutJobData, RolloutJobResult>(ROLLOUT_QUEUE, process1, {
    connection: { ...conn, maxRetriesPerRequest: null },
    concurrency: o.concurrency ?? 1,
    lockDuration: stalledMs, stalledInterval: stalledMs, maxStalledCount: 3,
  });
  worker.on("failed", (job, err) => log(`job ${job?.id?.slice(0, 12) ?? "?"} failed: ${err.message}`));
  worker.on("error", (err) => log(`worker error: ${err.message}`));
  await worker.waitUntilReady();
  log(`worker ${id} ready on ${o.queue} (llama2-ts ${build.version}, ${build.simd} kernels, concurrency ${o.concurrency ?? 1})`);
  return { id, build, close: () => worker.close() };
}
