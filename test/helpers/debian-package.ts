// Tests that need a Debian package (chromium for pages, redis-server for the worker pool) install it
// when it is missing, as the project's rules ask: apt-get, once per machine, serialised by a lock file
// so two test files never run apt at the same time. Fails loudly (never skips) when it cannot install.
import fs from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";

/** The executable each package provides, checked before installing. */
const EXECUTABLES: Record<string, string> = {
  chromium: "/usr/bin/chromium",
  "redis-server": "/usr/bin/redis-server",
};

/**
 * Ensures Debian package `pkg` is installed (running `apt-get install -y` when it is not) and returns
 * the path of its executable. Throws with apt's output when installation fails.
 */
export function ensureDebianPackage(pkg: keyof typeof EXECUTABLES & string): string {
  const exe = EXECUTABLES[pkg];
  if (!exe) throw new Error(`ensureDebianPackage: no executable known for ${pkg}`);
  if (fs.existsSync(exe)) return exe;
  const sudo = process.getuid?.() === 0 ? [] : ["sudo", "-n"];
  // flock serialises concurrent installs (apt holds its own lock and fails rather than waits).
  const script = `set -e; if [ ! -x ${exe} ]; then (apt-get update -qq || true); DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkg}; fi`;
  const cmd = [...sudo, "flock", "/tmp/llama2-ts-apt.lock", "sh", "-c", script];
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: "utf8", timeout: 15 * 60_000 });
  if (r.status !== 0 || !fs.existsSync(exe)) {
    throw new Error(`could not install Debian package ${pkg} (needed by this test): ${r.error?.message ?? ""}\n${r.stdout}\n${r.stderr}`);
  }
  return exe;
}

/** Version line of an installed executable, for logs. */
export function debianVersion(exe: string): string {
  try { return execFileSync(exe, ["--version"], { encoding: "utf8" }).split("\n")[0] ?? ""; } catch { return "unknown"; }
}
