// Run-directory ownership (issue 10 item 1), as processes where the reproductions were
// processes: a second `llama2 pretrain` into a finished run's directory is refused and changes
// nothing; --overwrite clears it and says so; a run started while another holds the directory
// stops at once naming the holder, and the first run carries on; a stale lock is taken over.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { LOCK_FILE, RunDirError, assertRunDirFree, openRunDir, procIdentity, readLock } from "../../src/train/run-dir.js";
import { listCheckpoints, readTrainerState, resolveResume } from "../../src/train/checkpoint.js";
import { readMetrics } from "../../src/train/metrics-log.js";
import { makeDataset, snapshot, syntheticCorpus, tinySets, tmpDir } from "./helpers.js";

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/cli/main.js");
const data = await makeDataset(syntheticCorpus(200));
const setArgs = (sets: string[]): string[] => sets.flatMap((s) => ["--set", s]);

interface Exit { code: number | null; signal: NodeJS.Signals | null; stderr: string }

/** Runs `llama2 ARGS`; `watch` is polled every 20 ms while it runs (and never after it exits). */
function runCli(args: string[], watch?: (p: ReturnType<typeof spawn>, stopWatching: () => void) => void): Promise<Exit> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr!.on("data", (d) => { stderr += String(d); });
    const timer = watch ? setInterval(() => watch(p, () => clearInterval(timer)), 20) : undefined;
    p.on("close", (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, stderr });
    });
  });
}

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

test("openRunDir holds a lock naming pid and host, refuses a second holder in the same process, and releases it", () => {
  const dir = tmpDir("rundir-");
  const a = openRunDir(path.join(dir, "run"), { command: "test A" });
  const lock = readLock(path.join(dir, "run", LOCK_FILE))!;
  assert.equal(lock.pid, process.pid);
  assert.equal(lock.host, os.hostname());
  assert.equal(lock.command, "test A");
  assert.throws(() => openRunDir(path.join(dir, "run"), { mode: "resume" }),
    (e: Error) => e instanceof RunDirError && e.message.includes(`test A (pid ${process.pid} on ${os.hostname()}`));
  a.release();
  assert.ok(!fs.existsSync(path.join(dir, "run", LOCK_FILE)), "released");
  a.release(); // idempotent
  openRunDir(path.join(dir, "run")).release();
});

test("a lock left by a dead process on this host is taken over with a warning; one from another host is not", () => {
  const dir = tmpDir("stale-");
  const pid = deadPid();
  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid, host: os.hostname(), started_at: "2026-01-01T00:00:00Z", command: "llama2 pretrain", token: "x" }));
  const r = openRunDir(dir, { mode: "resume" });
  assert.equal(r.notices.length, 1);
  assert.match(r.notices[0], new RegExp(`^warning: took over a stale lock in .*: llama2 pretrain \\(pid ${pid} on `));
  assert.equal(readLock(path.join(dir, LOCK_FILE))!.pid, process.pid);
  r.release();

  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid, host: "some-other-host", started_at: "2026-01-01T00:00:00Z", command: "llama2 sft", token: "y" }));
  assert.throws(() => openRunDir(dir, { mode: "resume" }),
    (e: Error) => e instanceof RunDirError && e.message.includes(`llama2 sft (pid ${pid} on some-other-host`) && e.message.includes(LOCK_FILE));
  assert.equal(readLock(path.join(dir, LOCK_FILE))!.host, "some-other-host", "another host's lock is left alone");

  // A pid that is alive but not the holder (reused after the holder died, e.g. after a reboot): the lock records the
  // boot id and the holder's start time, so it is stale. pid 1 is alive; here it stands for the reusing process.
  const live = { pid: 1, host: os.hostname(), started_at: "2026-01-01T00:00:00Z", command: "llama2 ppo", token: "z" };
  const me = procIdentity(1);
  assert.ok(me.boot_id && me.proc_start, "Linux /proc gives the boot id and the start time");
  for (const stale of [{ boot_id: "an-earlier-boot", proc_start: me.proc_start }, { boot_id: me.boot_id, proc_start: "1" + me.proc_start }]) {
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ ...live, ...stale }));
    const t = openRunDir(dir, { mode: "resume" });
    assert.match(t.notices[0] ?? "", /^warning: took over a stale lock in .*: llama2 ppo \(pid 1 on .* is no longer running$/, JSON.stringify(stale));
    t.release();
  }
  // The same pid, boot and start time (or an older lock without them): that process holds it.
  for (const held of [{ boot_id: me.boot_id, proc_start: me.proc_start }, {}]) {
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ ...live, ...held }));
    assert.throws(() => openRunDir(dir, { mode: "resume" }), (e: Error) => e instanceof RunDirError && e.message.includes("in use by another run: llama2 ppo (pid 1 on "));
  }
  fs.rmSync(path.join(dir, LOCK_FILE));
  const mine = openRunDir(dir, { mode: "resume" });
  assert.deepEqual(readLock(path.join(dir, LOCK_FILE))!.proc_start, procIdentity(process.pid).proc_start, "a new lock records its start time");
  mine.release();
});

test("a directory holding a run is refused for a new run, kept for resume, cleared (with a notice) for overwrite", () => {
  const dir = tmpDir("holds-");
  fs.mkdirSync(path.join(dir, "checkpoint-4"));
  fs.writeFileSync(path.join(dir, "checkpoint-4", "trainer_state.json"), "{}");
  fs.writeFileSync(path.join(dir, "metrics.jsonl"), "{\"step\":1}\n");
  fs.writeFileSync(path.join(dir, "config.yaml"), "seed: 1\n");
  assert.throws(() => openRunDir(dir), (e: Error) => e instanceof RunDirError &&
    e.message === `${dir} holds another run (checkpoint-4, metrics.jsonl); use --resume ${dir} to continue it, or --overwrite to delete it and start over`);
  assert.throws(() => assertRunDirFree(dir), RunDirError);
  assert.ok(!fs.existsSync(path.join(dir, LOCK_FILE)), "a refused open leaves no lock");
  const resumed = openRunDir(dir, { mode: "resume" });
  assert.deepEqual(resumed.existing, ["checkpoint-4", "metrics.jsonl"]);
  resumed.release();
  // Resuming its own checkpoint is fine; resuming ANOTHER run's checkpoint into it would mix the two runs.
  openRunDir(dir, { mode: "resume", resumeFrom: path.join(dir, "checkpoint-4") }).release();
  const elsewhere = path.join(tmpDir("other-run-"), "checkpoint-2");
  assert.throws(() => openRunDir(dir, { mode: "resume", resumeFrom: elsewhere }), (e: Error) => e instanceof RunDirError &&
    e.message === `${dir} holds another run (checkpoint-4, metrics.jsonl); resuming ${elsewhere} into it would mix the two runs: ` +
      `choose a new or empty out=, or continue the run in ${dir} with --resume ${dir}`);
  assert.ok(!fs.existsSync(path.join(dir, LOCK_FILE)), "a refused resume leaves no lock");
  assert.ok(fs.existsSync(path.join(dir, "metrics.jsonl")));
  const over = openRunDir(dir, { mode: "overwrite" });
  assert.deepEqual(over.notices, [`--overwrite: cleared ${dir} (removed checkpoint-4, config.yaml, metrics.jsonl)`]);
  assert.deepEqual(fs.readdirSync(dir), [LOCK_FILE]);
  over.release();
  // A directory with only unrelated files (or only a config) is not a run: a new run may start there.
  fs.writeFileSync(path.join(dir, "notes.txt"), "mine");
  openRunDir(dir).release();
  assert.ok(fs.existsSync(path.join(dir, "notes.txt")));
  // A run stopped before its first checkpoint: --resume cannot continue it and says how to start it over.
  const early = tmpDir("early-");
  fs.writeFileSync(path.join(early, "metrics.jsonl"), "{\"step\":1}\n");
  fs.writeFileSync(path.join(early, "config.yaml"), "seed: 1\n");
  assert.throws(() => resolveResume(early), { message: `--resume ${early}: no complete checkpoint-N/ (with trainer_state.json) in this directory; ` +
    `the run there stopped before its first checkpoint: start it over with --overwrite (same config: --config ${path.join(early, "config.yaml")})` });
});

test("llama2 pretrain into a finished run's directory is refused and changes nothing; --overwrite starts over and says so", async () => {
  const run = tmpDir("double-");
  const first = await runCli(["pretrain", "--quiet", ...setArgs(tinySets(data, run, ["max_steps=6", "save_every=2", "keep_checkpoints=2"]))]);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(listCheckpoints(run).map((c) => c.step), [4, 6]);
  const before = snapshot(run);

  // The reproduction: a second, shorter run used to have each of its saves pruned as older than 4 and 6.
  const second = await runCli(["pretrain", "--quiet", ...setArgs(tinySets(data, run, ["max_steps=4", "save_every=2", "keep_checkpoints=2", "seed=8"]))]);
  assert.equal(second.code, 1, second.stderr);
  assert.match(second.stderr, new RegExp(`llama2: ${run} holds another run \\(checkpoint-4, checkpoint-6, final, metrics.jsonl\\); use --resume ${run} to continue it, or --overwrite`));
  assert.deepEqual(snapshot(run), before, "the refused run touched nothing (config.yaml, metrics.jsonl, checkpoints)");

  const over = await runCli(["pretrain", "--quiet", "--overwrite", ...setArgs(tinySets(data, run, ["max_steps=4", "save_every=2", "keep_checkpoints=2", "seed=8"]))]);
  assert.equal(over.code, 0, over.stderr);
  assert.match(over.stderr, new RegExp(`--overwrite: cleared ${run} \\(removed checkpoint-4, checkpoint-6, config.yaml, final, metrics.jsonl\\)`));
  assert.deepEqual(listCheckpoints(run).map((c) => c.step), [2, 4], "the new run's checkpoints survive");
  assert.equal(readTrainerState(path.join(run, "checkpoint-4")).config.seed, 8);
  assert.deepEqual(readMetrics(path.join(run, "metrics.jsonl")).map((l) => l.step), [1, 2, 3, 4], "one run's metrics, not two");
  assert.match(fs.readFileSync(path.join(run, "config.yaml"), "utf8"), /^seed: 8$/m);
  assert.ok(!fs.existsSync(path.join(run, LOCK_FILE)), "the lock is gone when the run ends");
  const both = await runCli(["pretrain", "--resume", run, "--overwrite"]);
  assert.equal(both.code, 2);
});

test("llama2 pretrain --resume A --set out=B, where B holds another run, is refused and changes neither; into an empty B it continues A", async () => {
  const a = tmpDir("resume-src-"), b = tmpDir("resume-dst-"), c = path.join(tmpDir("resume-new-"), "c");
  for (const [dir, seed] of [[a, "seed=7"], [b, "seed=9"]] as const) {
    const r = await runCli(["pretrain", "--quiet", ...setArgs(tinySets(data, dir, ["max_steps=4", "save_every=2", seed]))]);
    assert.equal(r.code, 0, r.stderr);
  }
  const beforeA = snapshot(a), beforeB = snapshot(b);
  // Used to succeed, replacing B's checkpoint-4 and final/ with A's continuation and appending to B's metrics.jsonl.
  const mixed = await runCli(["pretrain", "--quiet", "--resume", path.join(a, "checkpoint-2"), "--set", `out=${b}`]);
  assert.equal(mixed.code, 1, mixed.stderr);
  assert.match(mixed.stderr, new RegExp(`llama2: ${b} holds another run \\(checkpoint-2, checkpoint-4, final, metrics.jsonl\\); resuming ${a}/checkpoint-2 into it would mix the two runs: ` +
    `choose a new or empty out=, or continue the run in ${b} with --resume ${b}`));
  assert.deepEqual(snapshot(b), beforeB, "B untouched");
  assert.deepEqual(snapshot(a), beforeA, "A untouched");
  const fresh = await runCli(["pretrain", "--quiet", "--resume", path.join(a, "checkpoint-2"), "--set", `out=${c}`]);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.deepEqual(listCheckpoints(c).map((k) => k.step), [4]);
  assert.equal(readTrainerState(path.join(c, "checkpoint-4")).config.seed, 7);
});

test("a second llama2 pretrain on a directory in use stops at once naming the holder; the first run is unharmed", async () => {
  const run = tmpDir("concurrent-");
  let firstPid = 0;
  let second: Exit | null = null;
  let resumed: Exit | null = null;
  const first = await runCli(["pretrain", "--quiet", ...setArgs(tinySets(data, run, ["max_steps=100000", "save_every=3"]))], (p, stop) => {
    firstPid = p.pid!;
    if (!listCheckpoints(run).length) return; // wait until the first run has saved a checkpoint
    stop();
    void (async () => {
      // Even --overwrite (which would clear the directory) and --resume must not touch a live run.
      second = await runCli(["pretrain", "--quiet", "--overwrite", ...setArgs(tinySets(data, run))]);
      resumed = await runCli(["pretrain", "--quiet", "--resume", run]);
      p.kill("SIGINT");
    })();
  });
  assert.equal(first.code, 130, first.stderr);
  for (const r of [second!, resumed!] as Exit[]) {
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`${run} is in use by another run: llama2 pretrain \\(pid ${firstPid} on ${os.hostname()}, since `));
    assert.doesNotMatch(r.stderr, /cleared/);
  }
  const ckpts = listCheckpoints(run);
  assert.ok(ckpts.length >= 1);
  const lines = readMetrics(path.join(run, "metrics.jsonl"));
  assert.deepEqual(lines.map((l) => l.step), lines.map((_, i) => i + 1), "one unbroken run in metrics.jsonl");
  assert.equal(ckpts.at(-1)!.step, lines.at(-1)!.step, "the first run checkpointed its last step when stopped");
  assert.ok(!fs.existsSync(path.join(run, LOCK_FILE)));
});

test("a run whose process was killed leaves a stale lock that the next --resume takes over with a warning", async () => {
  const run = tmpDir("killed-lock-");
  const first = await runCli(["pretrain", "--quiet", ...setArgs(tinySets(data, run, ["max_steps=100000", "save_every=2"]))], (p, stop) => {
    if (listCheckpoints(run).length === 0) return;
    stop();
    p.kill("SIGKILL");
  });
  assert.equal(first.signal, "SIGKILL");
  assert.ok(fs.existsSync(path.join(run, LOCK_FILE)), "SIGKILL leaves the lock behind");
  const again = await runCli(["pretrain", "--quiet", "--resume", run, "--set", `max_steps=${listCheckpoints(run).at(-1)!.step + 1}`]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /warning: took over a stale lock in .*: llama2 pretrain \(pid \d+ on .*\) is no longer running/);
  assert.ok(!fs.existsSync(path.join(run, LOCK_FILE)));
});

test("llama2 demo refuses at once, before regenerating anything, when OUT holds an earlier demo run", async () => {
  const out = tmpDir("demo-again-");
  fs.mkdirSync(path.join(out, "pretrain", "checkpoint-4"), { recursive: true });
  fs.writeFileSync(path.join(out, "pretrain", "metrics.jsonl"), "");
  const r = await runCli(["demo", "--out", out, "--steps", "1", "--quiet"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`${out} holds an earlier demo run \\(${path.join(out, "pretrain")}\\); pass --overwrite to replace it`));
  assert.deepEqual(fs.readdirSync(out), ["pretrain"], "no world, tokenizer or tokens were written");
});
