// Rejection sampling on a real redis-server with real `llama2 worker` processes (issue 16): three workers give
// samples.jsonl, best.jsonl, curve.json and the final model byte for byte as the local run; so do they with one
// worker SIGKILLed in the middle of an iteration (its job is retried elsewhere after the stalled-job check), and
// with one paused past that check whose late second result BullMQ refuses; and a coordinator SIGKILLed
// mid-iteration resumes from the queue without any job running twice.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { tinyWorld, tinyWorldModel, untrainedRewardModels } from "../../helpers/tiny-world.js";
import { startRedis, startWorker, startLlama2, waitForLine, kill, type RedisServer, type Proc } from "../../helpers/redis.js";
import { runRejectionSampling } from "../../../src/recipes/rejection-sampling.js";
import { RS_SCHEMA, type RsConfig } from "../../../src/recipes/rejection-sampling-config.js";
import { configToYaml, defaults, mergeObject } from "../../../src/train/config.js";
import { tempDir } from "../../helpers/tmp.js";

const work = tempDir("rs-queue-");
let redis: RedisServer;
let base: Record<string, unknown>;
const procs: Proc[] = [];

before(async () => {
  redis = await startRedis();
  const world = await tinyWorld();
  const model = tinyWorldModel();
  const rm = await untrainedRewardModels(work);
  base = {
    policy: model, reward_helpful: rm.helpful, reward_safety: rm.safety,
    prompts: path.join(world, "prompts_train.jsonl"), iterations: 2, k: 3, temperature: [0.8, 1.2], max_new_tokens: 12,
    max_prompts: 6, batch_size: 4, seed: 5, sft: { max_steps: 2, batch_size: 2, grad_accum: 1, seq_len: 128 }, threads: 1,
    rollout: { job_prompts: 1 },
  };
});

after(async () => {
  for (const p of procs) await kill(p);
  await redis?.stop();
});

function cfg(out: string, extra: Record<string, unknown> = {}): RsConfig {
  const c = defaults(RS_SCHEMA);
  mergeObject(RS_SCHEMA, c, { ...base, out, ...extra, rollout: { ...(base.rollout as object), ...(extra.rollout as object ?? {}) } }, "test");
  return c as unknown as RsConfig;
}

const FILES = ["iteration-1/samples.jsonl", "iteration-1/best.jsonl", "iteration-1/curve.json", "iteration-2/samples.jsonl", "iteration-2/best.jsonl", "iteration-2/curve.json", "final/model.safetensors"];
let local = "";
async function localRun(): Promise<string> {
  if (!local) { local = path.join(work, "local"); await runRejectionSampling(cfg(local)); }
  return local;
}
function sameFiles(a: string, b: string, files = FILES): void {
  for (const f of files) assert.ok(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), `${f} differs between ${a} and ${b}`);
}
const jobsLog = (out: string): Array<{ job: string; worker: { id: string }; reused: boolean; stalled: number | null }> =>
  fs.readFileSync(path.join(out, "rollout", "jobs.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));

async function workers(n: number, db: number, extra: string[] = []): Promise<Proc[]> {
  const cache = fs.mkdtempSync(path.join(work, "cache-"));
  const ws = await Promise.all(Array.from({ length: n }, () => startWorker(["--queue", `${redis.url}/${db}`, "--threads", "1", "--cache", cache, "--stalled-s", "2", ...extra])));
  procs.push(...ws);
  return ws;
}

test("three worker processes: every output byte-identical to the local run, jobs spread over the workers", async () => {
  const ws = await workers(3, 1);
  const out = path.join(work, "queue3");
  await runRejectionSampling(cfg(out, { rollout: { queue: `${redis.url}/1` } }));
  sameFiles(await localRun(), out);
  const log = jobsLog(out);
  assert.equal(log.length, 2 * 2 * 6); // 2 iterations x 2 temperatures x 6 one-prompt jobs
  const by = new Set(log.map((j) => j.worker.id));
  assert.ok(by.size >= 2, `jobs ran on ${[...by].join(", ")}`);
  for (const w of ws) await kill(w);
});

test("a worker SIGKILLed mid-job: its job is retried by another worker and the results are unchanged", async () => {
  const ws = await workers(3, 2);
  const out = path.join(work, "killed");
  const run = runRejectionSampling(cfg(out, { rollout: { queue: `${redis.url}/2` } }));
  // The first job a worker starts: it is still fetching and loading the snapshots when it dies.
  const victim = await Promise.race(ws.map((w) => waitForLine(w, /job [0-9a-f]{12} started/).then((l) => ({ w, job: /job ([0-9a-f]{12})/.exec(l)![1]! }))));
  await kill(victim.w);
  await run;
  sameFiles(await localRun(), out);
  const killedId = `${os.hostname()}:${victim.w.child.pid}`;
  const redone = jobsLog(out).find((j) => j.job.startsWith(victim.job))!;
  assert.ok(redone, "the killed worker's job is in the log");
  assert.notEqual(redone.worker.id, killedId, "finished by another worker");
  assert.ok((redone.stalled ?? 0) >= 1, "moved back to the queue by BullMQ's stalled-job check");
  assert.ok(!jobsLog(out).some((j) => j.worker.id === killedId && j.job.startsWith(victim.job)));
  for (const w of ws) await kill(w);
});

test("a worker paused (SIGSTOP) past the stalled-job check finishes its job late: that duplicate result is ignored, the results are unchanged", async () => {
  const ws = await workers(3, 4);
  const out = path.join(work, "paused");
  const run = runRejectionSampling(cfg(out, { rollout: { queue: `${redis.url}/4` } }));
  const victim = await Promise.race(ws.map((w) => waitForLine(w, /job [0-9a-f]{12} started/).then((l) => ({ w, job: /job ([0-9a-f]{12})/.exec(l)![1]! }))));
  victim.w.child.kill("SIGSTOP");
  // Its lock lapses; BullMQ's stalled-job check hands the job to another worker. Then the paused one wakes up.
  const again = new RegExp(`job ${victim.job} started`);
  await Promise.race(ws.filter((w) => w !== victim.w).map((w) => waitForLine(w, again)));
  victim.w.child.kill("SIGCONT");
  await run;
  // The woken worker computed the job a second time ("done") and its completion was refused (lock lost).
  await waitForLine(victim.w, new RegExp(`job ${victim.job} done`));
  // (BullMQ's moveToFinished refuses it: "Missing lock", or "Lock mismatch" while the other worker still holds the job)
  await waitForLine(victim.w, new RegExp(`(Missing lock for job|Lock mismatch for job|Job) ${victim.job}[0-9a-f]*\\b.*moveToFinished`));
  sameFiles(await localRun(), out);
  const pausedId = `${os.hostname()}:${victim.w.child.pid}`;
  const entry = jobsLog(out).filter((j) => j.job.startsWith(victim.job));
  assert.equal(entry.length, 1, "the job's result was placed once");
  assert.notEqual(entry[0]!.worker.id, pausedId, "the result is the worker's that held the lock");
  for (const w of ws) await kill(w);
});

test("a coordinator SIGKILLed mid-iteration resumes from the queue: no job runs twice, the results are unchanged", async () => {
  const [w] = await workers(1, 3);
  const out = path.join(work, "coordinator");
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(work, "coordinator.yaml");
  fs.writeFileSync(file, configToYaml({ ...cfg(out, { iterations: 1, rollout: { queue: `${redis.url}/3` } }) } as never));
  const c1 = startLlama2(["rejection-sample", "--config", file, "--quiet"]);
  procs.push(c1);
  await waitForLine(w!, /job [0-9a-f]{12} done/, 60_000);
  await kill(c1); // mid-iteration: samples.jsonl not written yet, more jobs queued or running
  assert.ok(!fs.existsSync(path.join(out, "iteration-1", "samples.jsonl")));
  const c2 = startLlama2(["rejection-sample", "--resume", out, "--quiet"]);
  procs.push(c2);
  const code = await c2.exited;
  assert.equal(code, 0, c2.lines.join("\n"));
  sameFiles(await localRun(), out, ["iteration-1/samples.jsonl", "iteration-1/best.jsonl", "iteration-1/curve.json"]);
  const started = w!.lines.filter((l) => / started: /.test(l)).map((l) => /job ([0-9a-f]{12})/.exec(l)![1]!);
  assert.equal(started.length, 2 * 6, `jobs started: ${started.join(" ")}`);
  assert.equal(new Set(started).size, started.length, "no job ran twice");
  assert.ok(jobsLog(out).some((j) => j.reused), "the resumed coordinator found finished jobs in the queue");
  await kill(w!);
});
