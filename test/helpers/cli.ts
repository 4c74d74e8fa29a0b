// Runs the built `llama2` command (dist/src/cli/main.js) as a user would, for CLI tests.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "cli", "main.js");

export interface CliResult { status: number | null; stdout: string; stderr: string }

export function llama2(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the command, expects exit 0 and one JSON object on stdout. */
export function llama2Json(...args: string[]): any {
  const r = llama2(...args);
  if (r.status !== 0) throw new Error(`llama2 ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
