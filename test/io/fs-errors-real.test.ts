// Issue 10 item 7 with the kernel's own errors, not synthetic ones: EACCES from a user who may not write
// (the tests run as root, which bypasses permission bits, so the command runs as nobody through setpriv; as a
// non-root user it runs as itself), and EROFS / ENOSPC from a read-only and a tiny tmpfs mounted in a private
// mount namespace (`unshare -m`, or `unshare -rm` as non-root), so nothing outside the child process sees them.
// Each error names the path and the operation and says what to do, and a failed save leaves no half checkpoint.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makeDataset, syntheticCorpus, tinySets } from "../train/helpers.js";
import { fixture } from "../helpers/fixtures.js";
import { tempDir } from "../helpers/tmp.js";

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/cli/main.js");
const isRoot = process.getuid?.() === 0;
const setArgs = (sets: string[]): string[] => sets.flatMap((s) => ["--set", s]);
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

let data = "";
let work = "";

/** A temp dir every user can read and enter (mkdtemp makes 0700 ones). */
function openDir(prefix: string): string {
  const d = tempDir(prefix);
  fs.chmodSync(d, 0o755);
  return d;
}

function chmodTree(dir: string, mode: number): void {
  fs.chmodSync(dir, mode);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chmodTree(p, mode);
    else fs.chmodSync(p, 0o644);
  }
}

before(async () => {
  work = openDir("fs-real-");
  data = await makeDataset(syntheticCorpus(120));
  chmodTree(path.dirname(data), 0o755); // readable by nobody
});

/** Runs `llama2 ARGS` as a user for whom permission bits apply (nobody when we are root). */
function asUnprivileged(args: string[]): { status: number | null; stderr: string } {
  const r = isRoot
    ? spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, cli, ...args], { encoding: "utf8", cwd: work })
    : spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", cwd: work });
  if (r.error) throw r.error;
  return { status: r.status, stderr: r.stderr };
}

test("EACCES for real: a run directory, a resumed run's lock and a data output the user may not write name the path and what to do", () => {
  const locked = path.join(work, "locked");
  fs.mkdirSync(locked);
  fs.chmodSync(locked, 0o555);
  // A quick probe that permission bits apply to the child (they would not for root).
  const probe = asUnprivileged(["pretrain", "--quiet", ...setArgs(tinySets(data, path.join(locked, "run")))]);
  assert.equal(probe.status, 1, probe.stderr);
  assert.match(probe.stderr, new RegExp(`^llama2: cannot create the run directory ${esc(path.join(locked, "run"))}: ${esc(locked)} is on a path this user cannot write \\(EACCES\\); ` +
    `this user \\(uid \\d+\\) may not write there: fix the permissions of ${esc(locked)}, or choose another output`, "m"));
  assert.ok(!fs.existsSync(path.join(locked, "run")));

  // A run someone else owns: --resume stops at its lock, naming it, before touching anything.
  const run = path.join(work, "owned");
  const first = spawnSync(process.execPath, [cli, "pretrain", "--quiet", ...setArgs(tinySets(data, run, ["max_steps=2"]))], { encoding: "utf8" });
  assert.equal(first.status, 0, first.stderr);
  chmodTree(run, 0o755);
  if (!isRoot) fs.chmodSync(run, 0o555);
  const before = fs.readdirSync(run).sort();
  const resumed = asUnprivileged(["pretrain", "--quiet", "--resume", run, "--set", "max_steps=3"]);
  assert.equal(resumed.status, 1, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`llama2: cannot create the lock file ${esc(path.join(run, "run.lock"))}: permission denied \\(EACCES\\); ` +
    `this user \\(uid \\d+\\) may not write there: fix the permissions of ${esc(run)}`));
  assert.deepEqual(fs.readdirSync(run).sort(), before);

  // data prepare builds in a temporary sibling: refused at that sibling, and nothing is left behind.
  const prep = asUnprivileged(["data", "prepare", "--tokenizer", fixture("tokenizer", "hf-legacy"), "--input", path.join(path.dirname(data), "corpus.txt"), "--out", path.join(locked, "tokens")]);
  assert.equal(prep.status, 1, prep.stderr);
  assert.match(prep.stderr, new RegExp(`llama2: cannot create .*${esc(locked)}.*\\(EACCES\\); this user \\(uid \\d+\\) may not write there: fix the permissions of ${esc(locked)}`));
  assert.deepEqual(fs.readdirSync(locked), []);
});

/** `unshare` flags that give this process a private mount namespace, or null when the kernel/container forbids it. */
function mountNamespace(): string[] | null {
  for (const flags of isRoot ? [["-m"], ["-rm"]] : [["-rm"]]) {
    const r = spawnSync("unshare", [...flags, "sh", "-c", "mount -t tmpfs tmpfs /mnt"], { encoding: "utf8" });
    if (r.status === 0) return flags;
  }
  return null;
}

/** Runs `sh -c SCRIPT` in a private mount namespace; $L is the llama2 command. */
function inNamespace(flags: string[], script: string): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync("unshare", [...flags, "sh", "-c", script], { encoding: "utf8", env: { ...process.env, L: `${process.execPath} ${cli}` } });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

test("EROFS and ENOSPC for real (read-only and full tmpfs in a private mount namespace): the path, the operation, what to do; no half checkpoint", () => {
  const flags = mountNamespace();
  // Never skipped: a machine that cannot make a private mount namespace fails here, saying why.
  assert.ok(flags !== null, "this kernel/container allows no private mount namespace (unshare -m / -rm failed): EROFS/ENOSPC cannot be produced for real");
  const ro = path.join(work, "ro"), small = path.join(work, "small"), run = path.join(work, "ro-run");
  fs.mkdirSync(ro);
  fs.mkdirSync(small);
  const sets = setArgs(tinySets(data, path.join(ro, "run"))).join(" ");
  // A new run on a read-only file system.
  const a = inNamespace(flags, `mount -t tmpfs -o ro tmpfs ${ro} && $L pretrain --quiet ${sets}`);
  assert.equal(a.status, 1, a.stderr);
  assert.match(a.stderr, new RegExp(`^llama2: cannot create the run directory ${esc(path.join(ro, "run"))}: ${esc(ro)} is on a read-only file system \\(EROFS\\); ` +
    `choose an output on a writable file system, or remount ${esc(ro)} read-write`, "m"));

  // File and directory outputs under a missing directory on a read-only file system: EROFS at the nearest existing
  // ancestor, not the ENOENT that a recursive mkdir reports there (world convert --out, export --out, lora merge --out).
  const msgs = path.join(work, "msgs.jsonl");
  fs.writeFileSync(msgs, JSON.stringify({ messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "hello" }] }) + "\n");
  const outs = inNamespace(flags, `mount -t tmpfs -o ro tmpfs ${ro} && ` +
    `$L world convert --format messages --input ${msgs} --out ${ro}/conv/sft.jsonl; ` +
    `$L export --model ${fixture("models", "llama-gqa")} --format llama2c --out ${ro}/exp/c; exit 0`);
  for (const sub of ["conv", "exp/c"])
    assert.match(outs.stderr, new RegExp(`^llama2: cannot create the directory ${esc(path.join(ro, sub))}: ${esc(ro)} is on a read-only file system \\(EROFS\\); ` +
      `choose an output on a writable file system`, "m"), outs.stderr);
  assert.doesNotMatch(outs.stderr, /ENOENT/);

  // --resume of a run whose directory became read-only: stops at the lock file, naming it.
  const first = spawnSync(process.execPath, [cli, "pretrain", "--quiet", ...setArgs(tinySets(data, run, ["max_steps=2"]))], { encoding: "utf8" });
  assert.equal(first.status, 0, first.stderr);
  const b = inNamespace(flags, `mount --bind ${run} ${run} && mount -o remount,bind,ro ${run} && $L pretrain --quiet --resume ${run} --set max_steps=3`);
  assert.equal(b.status, 1, b.stderr);
  assert.match(b.stderr, new RegExp(`llama2: cannot create the lock file ${esc(path.join(run, "run.lock"))}: read-only file system \\(EROFS\\); choose an output on a writable file system, or remount ${esc(run)} read-write`));

  // A disk that fills while the first checkpoint is written: the file is named, and no partial checkpoint remains.
  const out = path.join(small, "run");
  const c = inNamespace(flags, `mount -t tmpfs -o size=128k tmpfs ${small} && $L pretrain --quiet ${setArgs(tinySets(data, out, ["max_steps=2"])).join(" ")}; s=$?; ls -A ${out}; exit $s`);
  assert.equal(c.status, 1, c.stderr);
  assert.match(c.stderr, new RegExp(`llama2: cannot write ${esc(out)}/\\.checkpoint-2\\.partial-\\d+.*/[a-z_]+\\.safetensors: no space left on device \\(ENOSPC\\); free space on the file system of `));
  const left = c.stdout.trim().split("\n").filter((l) => l !== "");
  assert.ok(left.every((e) => !e.startsWith(".checkpoint-") && !e.startsWith("checkpoint-")), `no (partial) checkpoint left: ${left}`);
  assert.ok(!left.includes("run.lock"), "the lock is released on the failure");

  // A log appended to on a disk that is already full (metrics.jsonl): Node's own ENOSPC from write(2) has no path.
  const full = path.join(work, "full"), log = path.resolve(path.dirname(cli), "../train/metrics-log.js");
  fs.mkdirSync(full);
  const d = inNamespace(flags, `mount -t tmpfs -o size=64k tmpfs ${full} && (head -c 1048576 /dev/zero > ${full}/filler || true) && ` +
    `${process.execPath} --input-type=module -e 'import { MetricsLog } from "${log}"; new MetricsLog("${full}").append({ step: 1, loss: 2 })'`);
  assert.equal(d.status, 1, d.stderr);
  assert.match(d.stderr, new RegExp(`cannot append to ${esc(path.join(full, "metrics.jsonl"))}: no space left on device \\(ENOSPC\\); free space on the file system of ${esc(full)}`));
});
