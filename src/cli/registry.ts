// The commands of `llama2`, found on disk: commands/<name>.js is `llama2 <name>`, and a folder
// commands/<group>/ holds subcommands <sub>.js (`llama2 tokenizer train`). Adding a command is
// adding a file; main.ts, `llama2 --help` and the CLI help test discover it here.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { CommandDef } from "./args.js";

export const commandsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "commands");

/** What a command file exports. `command` is its definition (options, help); `run` does the work. */
export interface CommandModule {
  command?: CommandDef;
  run(argv: string[]): Promise<number | void>;
}

/** One runnable command: `words` as typed after `llama2`, and its compiled file. */
export interface CommandEntry { words: string[]; file: string }

/** Names of commands (files) and groups (folders) in `dir`, sorted. */
export function entries(dir = commandsDir): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() || (e.name.endsWith(".js") && !e.name.endsWith(".test.js")))
    .map((e) => e.name.replace(/\.js$/, "")).sort();
}

export function isGroup(name: string): boolean {
  const dir = path.join(commandsDir, name);
  return fs.existsSync(dir) && fs.statSync(dir).isDirectory();
}

/** Every runnable command, groups expanded (`tokenizer train`, `tokenizer encode`, ...). */
export function allCommands(): CommandEntry[] {
  const out: CommandEntry[] = [];
  for (const name of entries()) {
    if (isGroup(name)) for (const sub of entries(path.join(commandsDir, name))) out.push({ words: [name, sub], file: path.join(commandsDir, name, `${sub}.js`) });
    else out.push({ words: [name], file: path.join(commandsDir, `${name}.js`) });
  }
  return out;
}

export async function loadCommand(file: string): Promise<CommandModule> {
  return (await import(pathToFileURL(file).href)) as CommandModule;
}
