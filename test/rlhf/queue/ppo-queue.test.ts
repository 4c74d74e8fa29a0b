// PPO with its rollouts on two real `llama2 worker` processes (snapshots of the changing policy through a shared
// directory) equals PPO without the queue for two iterations: metrics other than timings, samples.jsonl and the
// final policy byte for byte (issue 16). A `llama2 ppo` coordinator SIGKILLed in iteration 2 resumes from
// checkpoint-1 and the queue: the policy it republishes has the same hash, so no finished job runs again.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { tinyWorld, tinyWorldModel, untrainedRewardModels } from "../../helpers/tiny-world.js";
import { startRedis, startWorker, startLlama2, waitForLines, kill, type RedisServer, type Proc } from "../../helpers/redis.js";
import { runPpo } from "../../../src/recipes/ppo.js";
import { PPO_SCHEMA, type PpoConfig } from "../../../src/recipes/ppo-config.js";
import { configToYaml, defaults, mergeObject } from "../../../src/train/config.js";
import { tempDir } from "../../helpers/tmp.js";

const work = tempDir("ppo-queue-");
let redis: RedisServer;
let base: Record<string, unknown>;
const procs: Proc[] = [];

before(async () => {
  redis = await startRedis();
  const world = await tinyWorld();
  const model = tinyWorldModel();
  const rm = await untrainedRewardModels(work);
  base = {
    policy: model, reward_helpful: rm.helpful, reward_safety: rm.safety, prompts: path.join(world, "prompts_train.jsonl"),
    iterations: 2, batch_size: 8, mini_batch_size: 4, max_new_tokens: 10, lr: 1e-4, save_every: 1, seed: 3, threads: 1, gen_batch_size: 4,
    samples_to_log: 8,
  };
});

after(async () => {
  for (const p of procs) await kill(p);
  await redis?.stop();
});

function cfg(out: string, rollout: Record<string, unknown>): PpoConfig {
  const c = defaults(PPO_SCHEMA);
  mergeObject(PPO_SCHEMA, c, { ...base, out, rollout }, "test");
  return c as unknown as PpoConfig;
}

const metrics = (dir: string): Record<string, number>[] =>
  fs.readFileSync(path.join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>)
    .map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.endsWith("_s"))));

test("PPO with the queue (two workers, shared snapshot directory) equals PPO without it for two iterations", async () => {
  const cache = path.join(work, "cache");
  for (let i = 0; i < 2; i++) procs.push(await startWorker(["--queue", redis.url, "--threads", "1", "--cache", cache]));
  const local = path.join(work, "local"), queued = path.join(work, "queued");
  await runPpo(cfg(local, { job_prompts: 3 }));
  await runPpo(cfg(queued, { job_prompts: 3, queue: redis.url, snapshot_dir: path.join(work, "share") }));
  assert.deepEqual(metrics(queued), metrics(local));
  assert.equal(metrics(local).length, 2);
  for (const f of ["samples.jsonl", "final/model.safetensors", "checkpoint-2/value/model.safetensors"])
    assert.ok(fs.readFileSync(path.join(queued, f)).equals(fs.readFileSync(path.join(local, f))), f);
  // two policy snapshots (one per iteration) went through the share; 2 iterations x 3 jobs (3 + 3 + 2 rows)
  const jobs = fs.readFileSync(path.join(queued, "rollout", "jobs.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { rows: number[] });
  assert.deepEqual(jobs.map((j) => j.rows), [[0, 3], [3, 6], [6, 8], [0, 3], [3, 6], [6, 8]]);
  assert.equal(fs.readdirSync(path.join(work, "share")).filter((d) => /^[0-9a-f]{64}$/.test(d)).length, 2 + 2); // 2 policies + 2 RMs
  for (const p of procs.splice(0)) await kill(p);
});

test("a PPO coordinator SIGKILLed in iteration 2 resumes from checkpoint-1 and the queue: no job runs twice, the run equals the local one", async () => {
  const queue = `${redis.url}/2`, cache = path.join(work, "cache-2");
  const w = await startWorker(["--queue", queue, "--threads", "1", "--cache", cache]);
  procs.push(w);
  const local = path.join(work, "local-1");
  await runPpo(cfg(local, { job_prompts: 1 }));
  const out = path.join(work, "coordinator"), file = path.join(work, "coordinator.yaml");
  fs.writeFileSync(file, configToYaml(cfg(out, { job_prompts: 1, queue }) as never));
  const c1 = startLlama2(["ppo", "--config", file, "--quiet"]);
  procs.push(c1);
  // 8 one-prompt jobs an iteration; the ninth done is iteration 2's first (checkpoint-1 is written before it is
  // submitted), and seven are still to run when the coordinator dies.
  await waitForLines(w, /job [0-9a-f]{12} done/, 9, 300_000);
  await kill(c1);
  assert.ok(fs.existsSync(path.join(out, "checkpoint-1")) && !fs.existsSync(path.join(out, "checkpoint-2")), "killed during iteration 2");
  const c2 = startLlama2(["ppo", "--resume", out, "--quiet"]);
  procs.push(c2);
  assert.equal(await c2.exited, 0, c2.lines.join("\n"));
  assert.deepEqual(metrics(out), metrics(local));
  for (const f of ["samples.jsonl", "final/model.safetensors"]) assert.ok(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(local, f))), f);
  const started = w.lines.filter((l) => / started: /.test(l)).map((l) => /job ([0-9a-f]{12})/.exec(l)![1]!);
  assert.equal(started.length, 2 * 8, `jobs started: ${started.join(" ")}`);
  assert.equal(new Set(started).size, started.length, "no job ran twice");
  const reused = fs.readFileSync(path.join(out, "rollout", "jobs.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { reused: boolean }).filter((j) => j.reused);
  assert.ok(reused.length >= 1, "the resumed coordinator found iteration 2's finished jobs in the queue");
});
