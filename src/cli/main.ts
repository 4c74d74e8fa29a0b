#!/usr/bin/env node
// The `llama2` command (DESIGN.md §3). One subcommand per file in ./commands/<name>.ts, each
// exporting `run(argv)`; this entry only finds the file, so adding a command touches nothing else.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { UsageError } from "./args.js";

const commandsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "commands");

function available(): string[] {
  return fs.readdirSync(commandsDir).filter((f) => f.endsWith(".js")).map((f) => f.slice(0, -3)).sort();
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(`usage: llama2 <command> [options]\ncommands: ${available().join(", ")}`);
    return name ? 0 : 1;
  }
  if (!available().includes(name)) {
    console.error(`llama2: unknown command "${name}"; commands: ${available().join(", ")}`);
    return 1;
  }
  const mod = (await import(pathToFileURL(path.join(commandsDir, `${name}.js`)).href)) as {
    run(argv: string[]): Promise<number | void>;
  };
  return (await mod.run(rest)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof UsageError) console.error(`llama2: ${err.message}`);
    else console.error(err instanceof Error ? (process.env.LLAMA2_DEBUG ? err.stack : `llama2: ${err.message}`) : err);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
