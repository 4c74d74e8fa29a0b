// A real `llama2 worker` refuses jobs it cannot run faithfully, with the reason in the failed job (issue 16):
// a snapshot whose bytes do not match its hash, a file list that does not hash to the name, a snapshot missing
// from the share or not served over HTTP, a coordinator of another llama2-ts build. The same job with the
// files restored runs and returns exactly what the local job function computes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Queue, QueueEvents } from "bullmq";
import { tinyWorldModel } from "../../helpers/tiny-world.js";
import { startRedis, startWorker, kill, type RedisServer, type Proc } from "../../helpers/redis.js";
import { rewardModelFrom } from "../../../src/recipes/reward.js";
import { SnapshotStore } from "../../../src/rlhf/queue/snapshot-store.js";
import { ROLLOUT_QUEUE, buildId, jobId, type RolloutJobData, type RolloutJobResult } from "../../../src/rlhf/queue/protocol.js";
import { runRolloutJob } from "../../../src/rlhf/rollout-job.js";
import { RewardModels } from "../../../src/rlhf/reward-models.js";
import { Llama } from "../../../src/model/llama.js";
import { Tokenizer } from "../../../src/tokenizer/tokenizer.js";
import { tempDir } from "../../helpers/tmp.js";

const work = tempDir("job-refusals-");
let redis: RedisServer;
let worker: Proc;
let queue: Queue<RolloutJobData, RolloutJobResult>;
let events: QueueEvents;

before(async () => {
  redis = await startRedis();
  const rm = path.join(work, "rm-h");
  await rewardModelFrom(tinyWorldModel(), 1, 0.5).save(rm);
  for (const f of ["tokenizer.json", "tokenizer_config.json", "tokenizer.model"]) fs.copyFileSync(path.join(tinyWorldModel(), f), path.join(rm, f));
  worker = await startWorker(["--queue", redis.url, "--threads", "1", "--cache", path.join(work, "cache")]);
  const connection = { host: "127.0.0.1", port: redis.port, maxRetriesPerRequest: null };
  queue = new Queue(ROLLOUT_QUEUE, { connection });
  events = new QueueEvents(ROLLOUT_QUEUE, { connection });
  await events.waitUntilReady();
});

after(async () => {
  await events?.close();
  await queue?.close();
  await kill(worker);
  await redis?.stop();
});

// Each case on its own seed: job ids hash the rows, not the snapshot sources.
const rowsFor = (seed: number) => [{ messages: [{ role: "user" as const, content: "Where is the library?" }], isSafety: false, seed }];
const sampling = { maxNewTokens: 8, temperature: 1, topP: 1, topK: 0, batchSize: 2 };

async function submit(d: RolloutJobData): Promise<{ ok: RolloutJobResult } | { failed: string }> {
  const job = await queue.add("rollout", d, { jobId: jobId(d), attempts: 3 });
  try { return { ok: await job.waitUntilFinished(events, 60_000) }; } catch (e) { return { failed: (e as Error).message }; }
}

test("refused: bytes that do not match the hash, a list that does not hash to its name, missing snapshots, another build; restored, it runs", async () => {
  const share = path.join(work, "share");
  const store = await SnapshotStore.open({ dir: share }, path.join(work, "scratch"));
  const policy = await store.publishDir(tinyWorldModel());
  const rmH = await store.publishDir(path.join(work, "rm-h"));
  const build = await buildId();
  const job = (over: Partial<RolloutJobData> = {}): RolloutJobData => ({ protocol: 1, coordinator: build, policy, reward_helpful: rmH, reward_safety: null, sampling, first_row: 0, rows: rowsFor(1), ...over });

  // 1. one byte of the shared weights changed after publishing
  const weights = path.join(policy.source, "model.safetensors");
  const bytes = fs.readFileSync(weights);
  const at = bytes.length - 100;
  bytes[at] = bytes[at]! ^ 0x40;
  fs.writeFileSync(weights, bytes);
  const r1 = await submit(job());
  assert.ok("failed" in r1 && /model\.safetensors has .* sha256 .*hash mismatch/.test(r1.failed), JSON.stringify(r1));
  // 2. a file list that is not what the job calls it
  const r2 = await submit(job({ rows: rowsFor(2), policy: { ...policy, files: policy.files.map((f) => (f.name === "config.json" ? { ...f, size: f.size + 1 } : f)) } }));
  assert.ok("failed" in r2 && /file list hashes to [0-9a-f]{64}; refusing/.test(r2.failed), JSON.stringify(r2));
  // 3. missing from the share; 4. not served by the HTTP endpoint
  const r3 = await submit(job({ policy: { ...policy, source: path.join(work, "nowhere") }, rows: rowsFor(3) }));
  assert.ok("failed" in r3 && /not found \(missing from the shared snapshot directory\)/.test(r3.failed), JSON.stringify(r3));
  const http = await SnapshotStore.open({ host: "127.0.0.1", port: 0, url: null }, path.join(work, "scratch-http"));
  const r4 = await submit(job({ policy: { ...policy, source: `${http.url}${policy.hash}/` }, rows: rowsFor(4) }));
  await http.close();
  assert.ok("failed" in r4 && /not found \(the coordinator does not serve this snapshot\)/.test(r4.failed), JSON.stringify(r4));
  // 5. a coordinator of another build
  const r5 = await submit(job({ coordinator: { version: "0.0.0-other", simd: build.simd }, rows: rowsFor(5) }));
  assert.ok("failed" in r5 && /build mismatch: the coordinator runs llama2-ts 0\.0\.0-other/.test(r5.failed), JSON.stringify(r5));
  // unrecoverable: one attempt each, not three
  for (const d of [job(), job({ coordinator: { version: "0.0.0-other", simd: build.simd }, rows: rowsFor(5) })]) assert.equal((await queue.getJob(jobId(d)))!.attemptsMade, 1);

  // restored: the same job runs (retried from failed) and returns what the job function computes in this process
  bytes[at] = bytes[at]! ^ 0x40;
  fs.writeFileSync(weights, bytes);
  const failed = (await queue.getJob(jobId(job())))!;
  await failed.retry("failed");
  const r6 = { ok: await failed.waitUntilFinished(events, 60_000) };
  const want = runRolloutJob({ model: await Llama.load(tinyWorldModel(), { trainable: false }), tokenizer: await Tokenizer.load(tinyWorldModel()) },
    await RewardModels.load(path.join(work, "rm-h"), null), rowsFor(1), sampling);
  assert.deepEqual(r6.ok.rows.map((r) => [r.ids, r.logprobs, r.text, r.reward]), want.map((r) => [r.ids, r.logprobs, r.text, r.reward]));
  assert.deepEqual({ version: r6.ok.worker.version, simd: r6.ok.worker.simd }, build);
  await store.close();
});
