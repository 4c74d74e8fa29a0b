#!/usr/bin/env node
// The `llama2` command (DESIGN.md §3). One subcommand per file in ./commands (src/cli/registry.ts),
// each exporting its definition `command` and `run(argv)`; this entry finds the file, prints the
// top-level and group help, --version, and maps errors to exit codes (usage 2, failure 1).
import { describeSystemError } from "../io/fs-errors.js";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HelpRequested, UsageError, nearest } from "./args.js";
import { allCommands, commandsDir, entries, isGroup, loadCommand } from "./registry.js";

function version(): string {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../package.json");
  return (JSON.parse(fs.readFileSync(pkg, "utf8")) as { version: string }).version;
}

/** "name   summary" lines for the given commands, read from their definitions. */
async function commandTable(words: string[][], indent = "  "): Promise<string> {
  const rows: [string, string][] = [];
  for (const w of words) {
    const file = w.length === 1 ? path.join(commandsDir, `${w[0]}.js`) : path.join(commandsDir, w[0]!, `${w[1]}.js`);
    rows.push([w.join(" "), (await loadCommand(file)).command?.summary ?? ""]);
  }
  const width = Math.max(...rows.map(([n]) => n.length)) + 3;
  return rows.map(([n, s]) => `${indent}${n.padEnd(width)}${s}`.trimEnd()).join("\n");
}

async function topHelp(): Promise<string> {
  return [
    "llama2 — the Llama 2 system: tokenizer, pretraining, alignment stages, generation, in TypeScript on Node.js",
    "",
    "usage: llama2 <command> [options]",
    "       llama2 <command> --help     options of one command",
    "       llama2 --version",
    "",
    "commands:",
    await commandTable(allCommands().map((c) => c.words)),
    "",
    "example:",
    "  llama2 demo --out runs/demo",
  ].join("\n");
}

async function groupHelp(group: string): Promise<string> {
  return [`usage: llama2 ${group} <subcommand> [options]`, "", "subcommands:",
    await commandTable(entries(path.join(commandsDir, group)).map((s) => [group, s])),
    "", `llama2 ${group} <subcommand> --help shows the options of one.`].join("\n");
}

const isHelp = (a: string | undefined): boolean => a === "--help" || a === "-h";

function unknown(what: string, given: string, known: string[]): never {
  const hint = nearest(given, known);
  throw new UsageError(`unknown ${what} "${given}"${hint ? `; did you mean "${hint}"?` : ""} (known: ${known.join(", ")})`);
}

async function main(argv: string[]): Promise<number> {
  let [name, ...rest] = argv;
  if (name === "help") { // `llama2 help [command [sub]]` = `llama2 [command [sub]] --help`
    if (rest.length === 0) name = "--help";
    else { [name, ...rest] = [...rest, "--help"]; }
  }
  if (name === undefined) { console.error(await topHelp()); return 2; }
  if (isHelp(name)) { console.log(await topHelp()); return 0; }
  if (name === "--version" || name === "-V") { console.log(version()); return 0; }
  const names = entries();
  if (!names.includes(name)) unknown("command", name, names);
  let file = path.join(commandsDir, `${name}.js`);
  if (isGroup(name)) {
    const [sub, ...subArgs] = rest;
    if (sub === undefined) { console.error(await groupHelp(name)); return 2; }
    if (isHelp(sub)) { console.log(await groupHelp(name)); return 0; }
    const subs = entries(path.join(commandsDir, name));
    if (!subs.includes(sub)) unknown(`${name} subcommand`, sub, subs);
    file = path.join(commandsDir, name, `${sub}.js`);
    rest = subArgs;
  }
  return (await (await loadCommand(file)).run(rest)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof HelpRequested) { console.log(err.text); process.exitCode = 0; return; }
    if (err instanceof UsageError) console.error(`llama2: ${err.message}`);
    // A bare Node system error (EROFS, ENOSPC, …) gets its operation and path spelled out.
    else console.error(err instanceof Error ? (process.env.LLAMA2_DEBUG ? err.stack : `llama2: ${describeSystemError(err) ?? err.message}`) : err);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
