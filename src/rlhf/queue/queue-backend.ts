// The coordinator's rollout backend on a BullMQ queue: publishes the policy and reward-model snapshots,
// submits one job per row range (ids = content hashes, so a resumed run finds its finished jobs in the
// queue and reruns none), waits for every result, and places rows by index (a job's result is read once,
// from the queue, whoever finished it; BullMQ refuses a late second completion whose lock was lost), and
// refuses one produced by a different build. OUT/rollout/jobs.jsonl records who ran what.
import fs from "node:fs";
import path from "node:path";
import { Job, Queue, QueueEvents } from "bullmq";
import type { RolloutBackend, RolloutModels, BackendOptions } from "../rollout-backend.js";
import { jobRanges, type RolloutBatch, type ScoredRollout } from "../rollout-job.js";
import type { RolloutConfig } from "../rollout-config.js";
import { SnapshotStore } from "./snapshot-store.js";
import type { SnapshotRef } from "./snapshot.js";
import { ROLLOUT_QUEUE, buildId, jobId, parseRedisUrl, type BuildId, type RolloutJobData, type RolloutJobResult } from "./protocol.js";
import { checkRedis } from "./redis.js";

const KEEP_S = 7 * 24 * 3600; // finished jobs stay in Redis a week: a resumed coordinator reuses them

/** Rollout jobs on a BullMQ queue served by `llama2 worker` processes (open with QueueRolloutBackend.open or openRolloutBackend). */
export class QueueRolloutBackend implements RolloutBackend {
  readonly kind = "queue" as const;
  private constructor(
    private readonly cfg: RolloutConfig, private readonly o: BackendOptions, private readonly build: BuildId,
    private readonly queue: Queue<RolloutJobData, RolloutJobResult>, private readonly events: QueueEvents, private readonly store: SnapshotStore,
  ) {}

  /** Connects to cfg.queue (failing at once when Redis is unreachable) and starts the snapshot server or share. */
  static async open(cfg: RolloutConfig, o: BackendOptions): Promise<QueueRolloutBackend> {
    const url = cfg.queue!;
    const conn = parseRedisUrl(url);
    await checkRedis(url);
    fs.mkdirSync(o.scratch, { recursive: true });
    const queue = new Queue<RolloutJobData, RolloutJobResult>(ROLLOUT_QUEUE, { connection: conn });
    const events = new QueueEvents(ROLLOUT_QUEUE, { connection: { ...conn, maxRetriesPerRequest: null } });
    queue.setMaxListeners(0); events.setMaxListeners(0); // one waiter per job in flight
    queue.on("error", (e) => o.log?.(`rollout queue: ${e.message}`));
    events.on("error", (e) => o.log?.(`rollout queue events: ${e.message}`));
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    const store = await SnapshotStore.open(cfg.snapshot_dir ? { dir: cfg.snapshot_dir } : { host: cfg.snapshot_host, port: cfg.snapshot_port, url: cfg.snapshot_url }, path.join(o.scratch, "snapshots"));
    o.log?.(`rollouts on ${url} in jobs of ${cfg.job_prompts} prompts; snapshots ${cfg.snapshot_dir ? `in ${cfg.snapshot_dir}` : `served at ${store.url}`}`);
    return new QueueRolloutBackend(cfg, o, await buildId(), queue, events, store);
  }

  /** Publishes the snapshots, submits (or finds) one job per row range, waits and places the rows. */
  async run(models: RolloutModels, batches: readonly RolloutBatch[]): Promise<ScoredRollout[][]> {
    const p = models.policy;
    const policy = p.dir ? await this.store.publishDir(p.dir) : await this.store.publishModel(p.model, p.tokenizerDir);
    const rm = async (r: { dir: string } | null): Promise<SnapshotRef | null> => (r ? this.store.publishDir(r.dir) : null);
    const [rh, rs] = [await rm(models.rms.helpful), await rm(models.rms.safety)];
    const jobs: Array<{ id: string; data: RolloutJobData; batch: number; start: number }> = [];
    batches.forEach((b, bi) => {
      for (const [s, e] of jobRanges(b.rows.length, b.rowsPerJob)) {
        const data: RolloutJobData = { protocol: 1, coordinator: this.build, policy, reward_helpful: rh, reward_safety: rs, sampling: b.sampling, first_row: s, rows: b.rows.slice(s, e) };
        jobs.push({ id: jobId(data), data, batch: bi, start: s });
      }
    });
    const out: ScoredRollout[][] = batches.map((b) => new Array<ScoredRollout>(b.rows.length));
    let reused = 0, done = 0;
    const t0 = performance.now();
    const finished = await Promise.all(jobs.map(async (j) => {
      const job = await this.submit(j.id, j.data);
      if (job.state === "completed") reused++;
      const result = job.state === "completed" ? job.value! : await this.wait(job.job, j);
      this.accept(result, j);
      result.rows.forEach((r, k) => {
        out[j.batch]![j.start + k] = {
          promptIds: r.prompt_ids, ids: r.ids, logprobs: r.logprobs, text: r.text, finished: r.finished,
          reward: r.reward, rewardHelpful: r.reward_helpful, rewardSafety: r.reward_safety,
        };
      });
      done++;
      const fin = await Job.fromId(this.queue, j.id);
      return { job: j.id, batch: j.batch, rows: [j.start, j.start + j.data.rows.length], worker: result.worker, attempts: fin?.attemptsMade ?? null,
        stalled: fin?.stalledCounter ?? null, reused: job.state === "completed", seconds: result.seconds,
        queued_at: fin?.timestamp ?? null, started_at: fin?.processedOn ?? null, finished_at: fin?.finishedOn ?? null };
    }));
    fs.appendFileSync(path.join(this.o.scratch, "jobs.jsonl"), finished.map((x) => JSON.stringify(x) + "\n").join(""));
    this.o.log?.(`rollouts: ${done} jobs done in ${((performance.now() - t0) / 1000).toFixed(1)} s (${reused} finished before this run)`);
    return out;
  }

  /** Adds the job unless the queue has it: a finished one is reused, a failed one retried, a waiting one pointed at the current snapshot sources. */
  private async submit(id: string, data: RolloutJobData): Promise<{ job: Job<RolloutJobData, RolloutJobResult>; state: string; value?: RolloutJobResult }> {
    const have = await Job.fromId<RolloutJobData, RolloutJobResult>(this.queue, id);
    if (have) {
      const state = await have.getState();
      if (state === "completed" && have.returnvalue) return { job: have, state, value: have.returnvalue };
      if (state === "failed") { await have.updateData(data); await have.retry("failed"); }
      else if (state === "waiting" || state === "delayed" || state === "prioritized") await have.updateData(data);
      if (state !== "completed" && state !== "unknown") return { job: have, state };
    }
    const job = await this.queue.add("rollout", data, {
      jobId: id, attempts: 3, backoff: { type: "fixed", delay: 1000 }, removeOnComplete: { age: KEEP_S }, removeOnFail: { age: KEEP_S },
    });
    return { job, state: "waiting" };
  }

  private async wait(job: Job<RolloutJobData, RolloutJobResult>, j: { id: string; data: RolloutJobData }): Promise<RolloutJobResult> {
    const what = `rollout job ${j.id.slice(0, 12)} (rows ${j.data.first_row}-${j.data.first_row + j.data.rows.length - 1})`;
    try {
      const v = await job.waitUntilFinished(this.events, this.cfg.timeout_s * 1000);
      if (v && typeof v === "object" && Array.isArray((v as RolloutJobResult).rows)) return v;
      const fin = await Job.fromId<RolloutJobData, RolloutJobResult>(this.queue, j.id); // the event carried no value
      if (!fin?.returnvalue) throw new Error("finished without a result");
      return fin.returnvalue;
    } catch (e) {
      const msg = (e as Error).message;
      if (/timed out/i.test(msg)) {
        const workers = await this.queue.getWorkersCount().catch(() => -1);
        throw new Error(`${what} not finished after ${this.cfg.timeout_s} s (rollout.timeout_s); ${workers} workers are connected to ${this.cfg.queue}`);
      }
      throw new Error(`${what} failed: ${msg}`);
    }
  }

  /** Checks a result is the job's and comes from this build; throws otherwise. */
  private accept(r: RolloutJobResult, j: { id: string; data: RolloutJobData }): void {
    if (r.job !== j.id) throw new Error(`rollout job ${j.id.slice(0, 12)}: the result names job ${String(r.job).slice(0, 12)}`);
    if (r.worker.version !== this.build.version || r.worker.simd !== this.build.simd)
      throw new Error(`rollout job ${j.id.slice(0, 12)} ran on worker ${r.worker.id} (llama2-ts ${r.worker.version}, ${r.worker.simd}); this coordinator is ${this.build.version}, ${this.build.simd}`);
    if (r.rows.length !== j.data.rows.length) throw new Error(`rollout job ${j.id.slice(0, 12)}: ${r.rows.length} rows returned for ${j.data.rows.length}`);
  }

  /** Closes the queue connections and the snapshot server. */
  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close(), this.store.close()]);
  }
}
