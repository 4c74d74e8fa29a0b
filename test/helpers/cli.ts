// Runs the built `llama2` command (dist/src/cli/main.js) as a user would, for CLI tests.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "cli", "main.js");

export interface CliResult { status: number | null; stdout: string; stderr: string }

export function llama2(...args: string[]): CliResult {
  return llama2Timed(120_000, ...args);
}

/** As llama2(), with a longer kill timeout for whole pipelines (a loaded 2-core machine is slow). */
export function llama2Timed(timeoutMs: number, ...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: "utf8", timeout: timeoutMs });
  if (r.status === null && r.signal) r.stderr += `\n[test helper: llama2 ${args.join(" ")} killed by ${r.signal} after ${timeoutMs} ms]`;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the command, expects exit 0 and one JSON object on stdout. */
export function llama2Json(...args: string[]): any {
  const r = llama2(...args);
  if (r.status !== 0) throw new Error(`llama2 ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
