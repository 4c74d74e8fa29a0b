// Run-directory ownership (issue 10 item 1): every training stage opens its run directory through
// here, via the shared Trainer. A directory that holds another run is refused unless the caller
// resumes it or overwrites it (cleared first), and a lock file (pid + host) is held for the run's
// lifetime so a second process on the same directory stops at once instead of corrupting the
// first. A lock left by a dead process on this host is taken over, with a notice. Library code:
// it returns notices and throws RunDirError; the CLI prints.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describeFsError, mkdirpOrExplain } from "../io/fs-errors.js";

/** The lock file inside a run directory while a run holds it. */
export const LOCK_FILE = "run.lock";
const TAKEOVER_FILE = "run.lock.takeover";
/** A takeover guard older than this belonged to a process that died mid-takeover. */
const TAKEOVER_STALE_MS = 30_000;

/** What a new run may do with its directory: "new" refuses one holding a run; "resume" continues it; "overwrite" clears it. */
export type RunDirMode = "new" | "resume" | "overwrite";

/** The contents of run.lock. */
export interface RunLockInfo {
  pid: number;
  host: string;
  started_at: string;
  /** What holds the run (e.g. "llama2 pretrain"), for the message a second process prints. */
  command: string;
  /** Distinguishes this holder from a later process that reuses the pid. */
  token: string;
  /**
   * Linux: the kernel's boot id and the holder's start time (clock ticks since boot, /proc/PID/stat field 22), so a
   * lock from before a reboot, or whose pid now belongs to another process, is known stale. Absent elsewhere.
   */
  boot_id?: string;
  proc_start?: string;
}

/** A run directory could not be opened: another run is there, or another process holds it. */
export class RunDirError extends Error {
  /** `holder`: the lock's owner when another live process holds the directory. */
  constructor(message: string, readonly dir: string, readonly holder: RunLockInfo | null = null) {
    super(message);
    this.name = "RunDirError";
  }
}

/** An open run directory; hold it for the run's lifetime and release() it at the end. */
export interface RunDir {
  /** The directory as given. */
  readonly dir: string;
  readonly lockFile: string;
  /** Things the caller should tell the user (a stale lock taken over, a directory cleared). */
  readonly notices: string[];
  /** Whether the directory already held a run (resume) or was cleared (overwrite). */
  readonly existing: string[];
  /** Removes the lock if it is still ours, and the directory if openRunDir created it and the run wrote nothing there. Idempotent. */
  release(): void;
}

export interface OpenRunDirOptions {
  mode?: RunDirMode;
  /** Names the holder in the lock (default "llama2"). */
  command?: string;
  /**
   * With mode "resume": the checkpoint being resumed. When it belongs to another run directory (--resume
   * A/checkpoint-N --set out=B), `dir` must not hold a run of its own: the two would mix, as in "new".
   */
  resumeFrom?: string | null;
}

/** Lock files this process holds, so a second trainer in the same process is refused too. */
const heldHere = new Set<string>();

/** Entries that make a directory a training run's (checkpoints, their temps, logs, final model, state, RS iterations). */
export function isRunArtifact(name: string): boolean {
  return /^checkpoint-\d+$/.test(name) || /^iteration-\d+$/.test(name) || name.startsWith(".checkpoint-") || name === "metrics.jsonl" ||
    name === "final" || name === "trainer_state.json" || name === LOCK_FILE;
}

/** The run artifacts in `dir` (sorted, lock excluded); [] when it does not exist or holds none. */
export function runArtifacts(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => isRunArtifact(f) && f !== LOCK_FILE && f !== TAKEOVER_FILE).sort(byStep);
}

function byStep(a: string, b: string): number {
  const na = /^checkpoint-(\d+)$/.exec(a), nb = /^checkpoint-(\d+)$/.exec(b);
  if (na && nb) return Number(na[1]) - Number(nb[1]);
  return a < b ? -1 : a > b ? 1 : 0;
}

function summarize(names: string[]): string {
  return names.length <= 6 ? names.join(", ") : `${names.slice(0, 5).join(", ")}, … (${names.length} entries)`;
}

/**
 * Checks, without locking, that a fresh run may start in `dir`: throws RunDirError when it holds
 * another run (for commands that want to fail before expensive setup, e.g. `llama2 demo`).
 */
export function assertRunDirFree(dir: string, mode: RunDirMode = "new"): void {
  const lockFile = path.join(dir, LOCK_FILE);
  const holder = readLock(lockFile);
  if (holder && isAlive(holder, path.resolve(lockFile))) throw lockedError(dir, holder);
  const found = runArtifacts(dir);
  if (mode === "new" && found.length > 0) throw holdsRunError(dir, found);
}

/**
 * Opens `dir` for a run: creates it, takes the lock (or throws RunDirError naming the holder),
 * then applies `mode` — "new" refuses a directory holding another run, "overwrite" clears it,
 * "resume" keeps it — and removes temp directories a killed save left behind.
 */
export function openRunDir(dir: string, opts: OpenRunDirOptions = {}): RunDir {
  const mode = opts.mode ?? "new";
  const notices: string[] = [];
  const created = !fs.existsSync(dir); // then a run that writes nothing (it failed during setup) leaves no empty OUT behind
  mkdirpOrExplain(dir, "create the run directory");
  if (!fs.statSync(dir).isDirectory()) throw new RunDirError(`${dir}: run directory is a file`, dir);
  const lockFile = path.join(dir, LOCK_FILE);
  const me: RunLockInfo = {
    pid: process.pid, host: os.hostname(), started_at: new Date().toISOString(),
    command: opts.command ?? "llama2", token: crypto.randomBytes(8).toString("hex"),
    ...procIdentity(process.pid),
  };
  acquire(dir, lockFile, me, notices);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    heldHere.delete(path.resolve(lockFile));
    const cur = readLock(lockFile);
    if (cur && cur.token === me.token) fs.rmSync(lockFile, { force: true });
    if (created) try { fs.rmdirSync(dir); } catch { /* not empty (the run wrote something), or gone: keep it */ }
  };
  try {
    const found = runArtifacts(dir);
    if (mode === "new" && found.length > 0) throw holdsRunError(dir, found);
    if (mode === "resume" && opts.resumeFrom && found.length > 0 && !sameDir(path.dirname(path.resolve(opts.resumeFrom)), dir))
      throw new RunDirError(`${dir} holds another run (${summarize(found)}); resuming ${opts.resumeFrom} into it would mix the two runs: ` +
        `choose a new or empty out=, or continue the run in ${dir} with --resume ${dir}`, dir);
    if (mode === "overwrite" && found.length > 0) {
      const all = fs.readdirSync(dir).filter((f) => f !== LOCK_FILE && f !== TAKEOVER_FILE);
      for (const f of all) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
      notices.push(`--overwrite: cleared ${dir} (removed ${summarize(all.sort(byStep))})`);
    }
    // Safe now: with the lock held, no live process is writing a checkpoint here.
    for (const f of fs.readdirSync(dir))
      if (f.startsWith(".checkpoint-")) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
    return { dir, lockFile, notices, existing: mode === "new" ? [] : found, release };
  } catch (e) {
    release();
    throw e;
  }
}

/** Whether two paths name the same directory (symlinks resolved where they exist). */
function sameDir(a: string, b: string): boolean {
  const real = (p: string): string => { try { return fs.realpathSync(p); } catch { return path.resolve(p); } };
  return real(a) === real(b);
}

function holdsRunError(dir: string, found: string[]): RunDirError {
  return new RunDirError(`${dir} holds another run (${summarize(found)}); ` +
    `use --resume ${dir} to continue it, or --overwrite to delete it and start over`, dir);
}

function lockedError(dir: string, h: RunLockInfo): RunDirError {
  return new RunDirError(`${dir} is in use by another run: ${h.command} (pid ${h.pid} on ${h.host}, since ${h.started_at}); ` +
    `wait for it to finish or stop it. If that process is gone, delete ${path.join(dir, LOCK_FILE)}`, dir, h);
}

/** Creates the lock exclusively; takes over a stale one; throws naming a live holder. */
function acquire(dir: string, lockFile: string, me: RunLockInfo, notices: string[]): void {
  const key = path.resolve(lockFile);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(lockFile, me)) {
      heldHere.add(key);
      return;
    }
    const holder = readLock(lockFile);
    if (holder === null) continue; // removed meanwhile, or being written: try again
    if (isAlive(holder, key)) throw lockedError(dir, holder);
    // Stale: its process is gone. One taker at a time, guarded by an exclusive takeover file.
    const guard = path.join(dir, TAKEOVER_FILE);
    if (!tryCreate(guard, me)) {
      const age = ageMs(guard);
      if (age !== null && age > TAKEOVER_STALE_MS) fs.rmSync(guard, { force: true });
      else throw new RunDirError(`${dir}: another process is taking over the stale lock of pid ${holder.pid}; try again`, dir, holder);
      continue;
    }
    try {
      const again = readLock(lockFile);
      if (again && again.token !== holder.token) continue; // someone else took it first
      fs.rmSync(lockFile, { force: true });
      if (tryCreate(lockFile, me)) {
        heldHere.add(key);
        notices.push(`warning: took over a stale lock in ${dir}: ${holder.command} (pid ${holder.pid} on ${holder.host}, ` +
          `since ${holder.started_at}) is no longer running`);
        return;
      }
    } finally {
      fs.rmSync(guard, { force: true });
    }
  }
  const holder = readLock(lockFile);
  throw holder ? lockedError(dir, holder) : new RunDirError(`${dir}: could not take the lock ${lockFile}`, dir);
}

function tryCreate(file: string, info: RunLockInfo): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, "wx");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new Error(describeFsError(e, "create the lock file", file));
  }
  try {
    fs.writeSync(fd, JSON.stringify(info) + "\n");
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** The lock's contents, or null when it is absent. A torn or foreign lock counts as held by an unknown process. */
export function readLock(file: string): RunLockInfo | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
  try {
    const o = JSON.parse(text) as Partial<RunLockInfo>;
    if (Number.isInteger(o.pid) && typeof o.host === "string")
      return { pid: o.pid!, host: o.host, command: o.command ?? "llama2", started_at: o.started_at ?? "?", token: o.token ?? "",
        ...(typeof o.boot_id === "string" ? { boot_id: o.boot_id } : {}), ...(typeof o.proc_start === "string" ? { proc_start: o.proc_start } : {}) };
  } catch { /* fall through */ }
  // Being written right now (empty) or not ours: do not take it over.
  if (text === "" && (ageMs(file) ?? 0) < 2000) return null;
  return { pid: -1, host: "unknown", started_at: "?", command: `an unreadable lock file (${file})`, token: "" };
}

/** Whether the lock's process still runs. Locks from another host are assumed live (we cannot tell). */
function isAlive(h: RunLockInfo, key: string): boolean {
  if (h.host !== os.hostname() || h.pid <= 0) return true;
  if (h.pid === process.pid) return heldHere.has(key); // our pid: live only if this process holds it (else a leftover)
  // Where the lock says which boot and which process (Linux): an earlier boot, or the pid now another process's, is stale.
  const now = procIdentity(h.pid);
  if (h.boot_id !== undefined && now.boot_id !== undefined && h.boot_id !== now.boot_id) return false;
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  if (h.proc_start !== undefined && now.proc_start !== undefined && h.proc_start !== now.proc_start) return false;
  return true;
}

/** The boot id and the start time of process `pid` (Linux /proc), or {} where /proc does not tell. */
export function procIdentity(pid: number): { boot_id?: string; proc_start?: string } {
  const out: { boot_id?: string; proc_start?: string } = {};
  try {
    out.boot_id = fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch { /* not Linux */ }
  try {
    // Field 2 (comm) is parenthesised and may hold spaces: count from the last ")".
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    if (start !== undefined && /^\d+$/.test(start)) out.proc_start = start;
  } catch { /* no such process, or no /proc */ }
  return out;
}

function ageMs(file: string): number | null {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}
