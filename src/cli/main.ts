#!/usr/bin/env node
// The `llama2` command (DESIGN.md §3). One subcommand per file in ./commands/<name>.ts, each
// exporting `run(argv)`; this entry only finds the file, so adding a command touches nothing else.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { UsageError } from "./args.js";

const commandsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "commands");

// A command is commands/<name>.js, or a folder commands/<name>/ of subcommands <sub>.js
// (`llama2 tokenizer train` runs commands/tokenizer/train.js).
function available(dir = commandsDir): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() || (e.name.endsWith(".js") && !e.name.endsWith(".test.js")))
    .map((e) => e.name.replace(/\.js$/, "")).sort();
}

type Command = { run(argv: string[]): Promise<number | void> };

async function load(file: string): Promise<Command> {
  return (await import(pathToFileURL(file).href)) as Command;
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
  const groupDir = path.join(commandsDir, name);
  if (fs.existsSync(groupDir) && fs.statSync(groupDir).isDirectory()) {
    const [sub, ...subArgs] = rest;
    const subs = available(groupDir);
    if (!sub || !subs.includes(sub)) {
      console.error(`llama2 ${name}: ${sub ? `unknown subcommand "${sub}"` : "missing subcommand"}; subcommands: ${subs.join(", ")}`);
      return 2;
    }
    return (await (await load(path.join(groupDir, `${sub}.js`))).run(subArgs)) ?? 0;
  }
  return (await (await load(path.join(commandsDir, `${name}.js`))).run(rest)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof UsageError) console.error(`llama2: ${err.message}`);
    else console.error(err instanceof Error ? (process.env.LLAMA2_DEBUG ? err.stack : `llama2: ${err.message}`) : err);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
