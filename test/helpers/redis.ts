// A real redis-server for queue tests (Debian's package, installed when missing): started on a free local
// port with persistence off, stopped after. And `llama2 worker` child processes with their stderr lines.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDebianPackage } from "./debian-package.js";

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "cli", "main.js");

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

/** Waits until `lines` has a line matching `re` (checked as lines arrive); rejects after `ms`. */
export function waitForLine(proc: { lines: string[]; onLine: Set<() => void> }, re: RegExp, ms = 60_000, what = String(re)): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => { const l = proc.lines.find((x) => re.test(x)); if (l !== undefined) { done(); resolve(l); return true; } return false; };
    const timer = setTimeout(() => { done(); reject(new Error(`no line matching ${what} in ${ms} ms; got:\n${proc.lines.join("\n")}`)); }, ms);
    const done = (): void => { clearTimeout(timer); proc.onLine.delete(tick); };
    const tick = (): void => { check(); };
    if (!check()) proc.onLine.add(tick);
  });
}

/** Waits until `lines` has `count` lines matching `re` (checked as lines arrive); rejects after `ms`. */
export function waitForLines(proc: { lines: string[]; onLine: Set<() => void> }, re: RegExp, count: number, ms = 60_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const matching = (): string[] => proc.lines.filter((x) => re.test(x));
    const check = (): boolean => { const m = matching(); if (m.length >= count) { done(); resolve(m); return true; } return false; };
    const timer = setTimeout(() => { done(); reject(new Error(`${matching().length} of ${count} lines matching ${re} in ${ms} ms; got:\n${proc.lines.join("\n")}`)); }, ms);
    const done = (): void => { clearTimeout(timer); proc.onLine.delete(tick); };
    const tick = (): void => { check(); };
    if (!check()) proc.onLine.add(tick);
  });
}

/** A child process whose stdout+stderr lines are collected. */
export interface Proc { child: ChildProcess; lines: string[]; onLine: Set<() => void>; exited: Promise<number | null> }

function track(child: ChildProcess): Proc {
  const p: Proc = { child, lines: [], onLine: new Set(), exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))) };
  for (const s of [child.stdout, child.stderr]) {
    let buf = "";
    s?.setEncoding("utf8");
    s?.on("data", (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) { p.lines.push(buf.slice(0, i)); buf = buf.slice(i + 1); for (const f of [...p.onLine]) f(); }
    });
  }
  return p;
}

/** A running redis-server: its URL (redis://127.0.0.1:PORT) and stop(). */
export interface RedisServer { url: string; port: number; stop(): Promise<void> }

export async function startRedis(): Promise<RedisServer> {
  const exe = ensureDebianPackage("redis-server");
  const port = await freePort();
  const p = track(spawn(exe, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"], { stdio: ["ignore", "pipe", "pipe"] }));
  await waitForLine(p, /Ready to accept connections/, 20_000, "redis-server ready");
  return {
    url: `redis://127.0.0.1:${port}`, port,
    stop: async () => { if (p.child.exitCode === null) { p.child.kill("SIGKILL"); await p.exited; } },
  };
}

/** Starts `llama2 worker` with `args` and waits for its "ready" line. */
export async function startWorker(args: string[]): Promise<Proc> {
  const p = track(spawn(process.execPath, [main, "worker", ...args], { stdio: ["ignore", "pipe", "pipe"] }));
  await waitForLine(p, /ready on redis/, 30_000, "worker ready");
  return p;
}

/** Runs `llama2 ARGS` as a tracked child process (a coordinator the test may kill). */
export function startLlama2(args: string[]): Proc {
  return track(spawn(process.execPath, [main, ...args], { stdio: ["ignore", "pipe", "pipe"] }));
}

/** SIGKILLs a process and waits for it. */
export async function kill(p: Proc): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) { p.child.kill("SIGKILL"); await p.exited; }
}
