// `--help` text generated from a command's definition (src/cli/args.ts CommandDef): usage, every
// option with its placeholder, one line on what it does and its default, then examples. The parser
// reads the same definition, so what --help lists is exactly what the command accepts.
import type { CommandDef, OptionDef } from "./args.js";

/** The left column of one option, e.g. "-m, --model DIR" or "--set KEY=VALUE ...". */
export function optionLabel(name: string, o: Pick<OptionDef, "type" | "value" | "short" | "multiple">): string {
  const flag = `${o.short ? `-${o.short}, ` : ""}--${name}`;
  if (o.type === "boolean") return flag;
  return `${flag} ${o.value ?? "VALUE"}${o.multiple ? " ..." : ""}`;
}

function optionNotes(o: OptionDef): string {
  const notes: string[] = [];
  if (o.choices) notes.push(`one of: ${o.choices.join(", ")}`);
  if (o.required) notes.push("required");
  if (o.default !== undefined) notes.push(`default: ${o.default}`);
  else if (o.defaultText) notes.push(`default: ${o.defaultText}`);
  if (o.multiple) notes.push("repeatable");
  return notes.length ? ` [${notes.join("; ")}]` : "";
}

/** The help page of one command. */
export function formatHelp(def: CommandDef): string {
  const rows: [string, string][] = Object.entries(def.options).map(([name, o]) => [optionLabel(name, o), `${o.description}${optionNotes(o)}`]);
  rows.push(["-h, --help", "show this help and exit"]);
  const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2);
  const lines = [`llama2 ${def.name}${def.summary ? ` — ${def.summary}` : ""}`, ""];
  const synopsis = def.usage ?? `${Object.keys(def.options).length ? "[options]" : ""}${def.positionals ? ` ${def.positionals}` : ""}`;
  lines.push(`usage: llama2 ${def.name} ${synopsis}`.trimEnd());
  if (def.description) lines.push("", ...def.description.split("\n"));
  lines.push("", "options:");
  for (const [label, text] of rows)
    lines.push(label.length + 2 > width ? `  ${label}\n  ${" ".repeat(width)}${text}` : `  ${label.padEnd(width)}${text}`);
  if (def.examples.length) lines.push("", def.examples.length > 1 ? "examples:" : "example:", ...def.examples.map((e) => `  ${e}`));
  return lines.join("\n");
}

/** The option names a help page lists (the test compares them with the parser's). */
export function listedOptions(help: string): string[] {
  const section = help.split(/\noptions:\n/)[1]?.split(/\n\n/)[0] ?? "";
  const names: string[] = [];
  for (const line of section.split("\n")) {
    const m = /^  (?:-\w, )?--([\w-]+)/.exec(line);
    if (m) names.push(m[1]!);
  }
  return names;
}
