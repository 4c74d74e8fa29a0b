// Rollouts on the worker pool (issue 16), side by side in one run on a real redis-server:
//  1. throughput: the same batches (P prompts x K samples, stories15M-shaped policy with the tiny world's
//     1,024-piece vocabulary, random init, plus a tiny-world-shaped RM) locally and on 1, 2, 3 `llama2 worker`
//     processes with one thread each (fresh snapshot caches: the first job of each worker fetches and loads);
//  2. queue overhead per job: many one-row, one-token jobs on one worker vs. the same jobs run locally;
//  3. snapshot transfer: publish (hash) + fetch (HTTP and shared directory, sha256 checked) for the
//     stories15M and stories42M shapes (random init, float32).
//   node dist/bench/rollout-workers.js [--prompts 12] [--k 4] [--new-tokens 32] [--job-prompts 1] [--repeats 3] [--json]
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Llama } from "../src/model/llama.js";
import { preset } from "../src/model/presets.js";
import { Tokenizer } from "../src/tokenizer/tokenizer.js";
import { native } from "../src/native/addon.js";
import { RewardModels } from "../src/rlhf/reward-models.js";
import { LocalRolloutBackend, type RolloutModels } from "../src/rlhf/rollout-backend.js";
import { QueueRolloutBackend } from "../src/rlhf/queue/queue-backend.js";
import { rolloutSchema, type RolloutConfig } from "../src/rlhf/rollout-config.js";
import { SnapshotStore } from "../src/rlhf/queue/snapshot-store.js";
import { fetchSnapshot } from "../src/rlhf/queue/snapshot.js";
import { defaults } from "../src/train/config.js";
import type { RolloutBatch } from "../src/rlhf/rollout-job.js";
import { ensureDebianPackage } from "../test/helpers/debian-package.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const main = path.join(root, "dist", "src", "cli", "main.js");
const { values: a } = parseArgs({ options: {
  prompts: { type: "string", default: "12" }, k: { type: "string", default: "4" }, "new-tokens": { type: "string", default: "32" },
  "job-prompts": { type: "string", default: "1" }, repeats: { type: "string", default: "3" }, json: { type: "boolean", default: false },
} });
const P = Number(a.prompts), K = Number(a.k), NEW = Number(a["new-tokens"]), JP = Number(a["job-prompts"]), R = Number(a.repeats);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-rollout-"));
const median = (xs: number[]): number => { const s = [...xs].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)}`;
const note = (s: string): void => { process.stderr.write(s + "\n"); };

async function freePort(): Promise<number> {
  return new Promise((resolve) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); }); });
}
function waitLine(c: ChildProcess, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const on = (d: Buffer): void => { buf += d.toString(); if (re.test(buf)) resolve(); };
    c.stdout?.on("data", on); c.stderr?.on("data", on);
    c.once("exit", (code) => reject(new Error(`exited ${code} before ${re}: ${buf}`)));
  });
}

// ---- models ----
const tinyDir = path.join(root, "test", "fixtures", "tiny-world");
const tok = await Tokenizer.load(tinyDir);
const tokFiles = ["tokenizer.json", "tokenizer_config.json", "tokenizer.model"];
async function saveModel(dir: string, m: Llama): Promise<string> {
  await m.save(dir);
  for (const f of tokFiles) fs.copyFileSync(path.join(tinyDir, f), path.join(dir, f));
  return dir;
}
const policyDir = await saveModel(path.join(work, "policy"), new Llama({ ...preset("stories15M"), vocabSize: tok.vocabSize, maxPositionEmbeddings: 256 }, { trainable: false }).initRandom(1, 0.05));
const rmDir = await saveModel(path.join(work, "rm"), new Llama(JSON.parse(JSON.stringify((await Llama.load(tinyDir)).config)), { head: "score", trainable: false }).initRandom(2, 0.05));
native.setThreadCount(1);
const models: RolloutModels = {
  policy: { model: await Llama.load(policyDir, { trainable: false }), tokenizer: tok, dir: policyDir, tokenizerDir: policyDir },
  rms: await RewardModels.load(rmDir, null),
};
const batchOf = (prompts: number, k: number, newTokens: number, jobPrompts: number, seed: number): RolloutBatch => ({
  rows: Array.from({ length: prompts * k }, (_, i) => ({ messages: [{ role: "user" as const, content: `Question number ${Math.floor(i / k)}: where is the key?` }], isSafety: false, seed: seed * 100003 + i })),
  sampling: { maxNewTokens: newTokens, temperature: 1, topP: 1, topK: 0, batchSize: 8 }, rowsPerJob: jobPrompts * k,
});

// ---- redis + workers ----
const port = await freePort();
const redis = spawn(ensureDebianPackage("redis-server"), ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
await waitLine(redis, /Ready to accept connections/);
const url = `redis://127.0.0.1:${port}`;
let db = 0;
async function withWorkers<T>(n: number, fn: (cfg: RolloutConfig) => Promise<T>): Promise<T> {
  db++;
  const queue = `${url}/${db}`, cache = fs.mkdtempSync(path.join(work, "cache-"));
  const ws = Array.from({ length: n }, () => spawn(process.execPath, [main, "worker", "--queue", queue, "--threads", "1", "--cache", cache], { stdio: ["ignore", "pipe", "pipe"] }));
  await Promise.all(ws.map((w) => waitLine(w, /ready on redis/)));
  const cfg = { ...(defaults(rolloutSchema(JP)) as unknown as RolloutConfig), queue };
  try { return await fn(cfg); } finally { for (const w of ws) w.kill("SIGKILL"); }
}
/** Wall seconds of one queue run, and the seconds its workers spent inside the jobs (fetch + load + rollout, from jobs.jsonl). */
async function queueRunTimed(cfg: RolloutConfig, batch: RolloutBatch): Promise<{ wall: number; inJobs: number }> {
  const scratch = fs.mkdtempSync(path.join(work, "scratch-"));
  const b = await QueueRolloutBackend.open(cfg, { scratch });
  try {
    const t0 = performance.now();
    await b.run(models, [batch]);
    const wall = (performance.now() - t0) / 1000;
    const jobs = fs.readFileSync(path.join(scratch, "jobs.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { seconds: { fetch: number; load: number; rollout: number } });
    return { wall, inJobs: jobs.reduce((s, j) => s + j.seconds.fetch + j.seconds.load + j.seconds.rollout, 0) };
  } finally { await b.close(); }
}
const queueRun = async (cfg: RolloutConfig, batch: RolloutBatch): Promise<number> => (await queueRunTimed(cfg, batch)).wall;
const local = new LocalRolloutBackend();
async function localRun(batch: RolloutBatch): Promise<number> {
  const t0 = performance.now();
  await local.run(models, [batch]);
  return (performance.now() - t0) / 1000;
}

const result: Record<string, unknown> = { machine: { cpus: os.cpus().length, simd: native.simdLevel(), load_at_start: os.loadavg().map((x) => +x.toFixed(1)) }, prompts: P, k: K, new_tokens: NEW, job_prompts: JP, repeats: R };
try {
  // 1. throughput (rows/s); each repeat its own seed so no job is found finished in the queue
  const rows = P * K;
  const tp: Record<string, number[]> = { local: [], w1: [], w2: [], w3: [] };
  // rows per second of one worker's time inside jobs (fetch + load + rollout): what each added worker brings
  // when it has a core of its own (the extrapolation), whatever else this machine is running.
  const perWorker: Record<string, number[]> = { w1: [], w2: [], w3: [] };
  for (let r = 0; r < R; r++) {
    tp.local!.push(rows / await localRun(batchOf(P, K, NEW, JP, 10 + r)));
    for (const n of [1, 2, 3]) {
      const t = await withWorkers(n, (cfg) => queueRunTimed(cfg, batchOf(P, K, NEW, JP, 10 + r)));
      tp[`w${n}`]!.push(rows / t.wall);
      perWorker[`w${n}`]!.push(rows / t.inJobs);
    }
    note(`throughput round ${r + 1}: ${Object.entries(tp).map(([k, v]) => `${k} ${v.at(-1)!.toFixed(2)}`).join(", ")} rows/s`);
  }
  result.throughput_rows_per_s = Object.fromEntries(Object.entries(tp).map(([k, v]) => [k, { median: +median(v).toFixed(3), spread: spread(v) }]));
  result.per_worker_rows_per_s = Object.fromEntries(Object.entries(perWorker).map(([k, v]) => [k, { median: +median(v).toFixed(3), spread: spread(v) }]));
  // 2. queue overhead per job: J one-row one-token jobs, all submitted at once, on 1 worker (snapshots fetched by a
  //    warm-up job first). The worker runs them back to back, so the coordinator's wall time minus the seconds the
  //    worker spent inside the jobs is what the queue adds (submit, hand-over, result, events), in the same run.
  const J = 40;
  const over: number[] = [];
  for (let r = 0; r < R; r++) {
    const small = batchOf(J, 1, 1, 1, 1000 + r);
    const tl = await localRun(small);
    const tq = await withWorkers(1, async (cfg) => { await queueRun(cfg, batchOf(1, 1, 1, 1, 5000 + r)); return queueRunTimed(cfg, small); });
    over.push(((tq.wall - tq.inJobs) / J) * 1000);
    note(`overhead round ${r + 1}: ${J} jobs: local ${tl.toFixed(2)} s; queue ${tq.wall.toFixed(2)} s wall, ${tq.inJobs.toFixed(2)} s inside the jobs → ${over.at(-1)!.toFixed(1)} ms/job`);
  }
  result.queue_overhead_ms_per_job = { median: +median(over).toFixed(1), spread: spread(over), jobs: J };
  // 3. snapshot transfer for the stories15M / stories42M shapes
  const transfer: Record<string, unknown> = {};
  for (const name of ["stories15M", "stories42M"] as const) {
    const dir = await saveModel(path.join(work, name), new Llama(preset(name), { trainable: false }).initRandom(3, 0.02));
    const bytes = fs.readdirSync(dir).reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
    const t: Record<string, number[]> = { publish_hash_s: [], http_fetch_s: [], shared_dir_copy_s: [], shared_dir_fetch_s: [] };
    for (let r = 0; r < R; r++) {
      fs.utimesSync(path.join(dir, "model.safetensors"), new Date(), new Date(Date.now() + r * 1000)); // defeat the hash memo: measure hashing
      const http = await SnapshotStore.open({ host: "127.0.0.1", port: 0, url: null }, path.join(work, "s"));
      let t0 = performance.now();
      const ref = await http.publishDir(dir);
      t.publish_hash_s!.push((performance.now() - t0) / 1000);
      t.http_fetch_s!.push((await fetchSnapshot(ref, fs.mkdtempSync(path.join(work, "c-")))).seconds);
      await http.close();
      const shared = await SnapshotStore.open({ dir: fs.mkdtempSync(path.join(work, "share-")) }, path.join(work, "s"));
      t0 = performance.now();
      const sref = await shared.publishDir(dir);
      t.shared_dir_copy_s!.push((performance.now() - t0) / 1000);
      t.shared_dir_fetch_s!.push((await fetchSnapshot(sref, fs.mkdtempSync(path.join(work, "c-")))).seconds);
    }
    transfer[name] = { mb: +(bytes / 1e6).toFixed(1), ...Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { median: +median(v).toFixed(3), spread: spread(v) }])) };
    note(`${name}: ${JSON.stringify(transfer[name])}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  result.snapshot_transfer = transfer;
} finally {
  redis.kill("SIGKILL");
  fs.rmSync(work, { recursive: true, force: true });
}
(result.machine as Record<string, unknown>).load_at_end = os.loadavg().map((x) => +x.toFixed(1));
if (a.json) process.stdout.write(JSON.stringify(result) + "\n");
else process.stdout.write(JSON.stringify(result, null, 2) + "\n");
