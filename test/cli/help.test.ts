// Every `llama2` command, found on disk the way main.ts finds it (so commands added later are covered):
// --help exits 0 and prints exactly the help generated from the command's exported definition, the
// options it lists are the ones the parser accepts, and a misspelt option exits 2 naming the right one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { allCommands, entries, loadCommand, type CommandModule } from "../../src/cli/registry.js";
import { UsageError, editDistance, nearest, parseFlags, type CommandDef } from "../../src/cli/args.js";
import { formatHelp, listedOptions } from "../../src/cli/help.js";
import { loadConfig } from "../../src/train/config.js";
import { PRETRAIN_SCHEMA } from "../../src/recipes/pretrain-config.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const main = path.join(root, "dist", "src", "cli", "main.js");

interface Run { status: number; stdout: string; stderr: string }
function llama2(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], { encoding: "utf8", timeout: 120_000 }, (err, stdout, stderr) => {
      const status = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}

/** Runs `jobs` with at most `n` processes at a time (2 cores are shared). */
async function pool<T>(jobs: (() => Promise<T>)[], n = 3): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < jobs.length) { const i = next++; out[i] = await jobs[i]!(); }
  }));
  return out;
}

/** A plausible typo of an option name: two neighbouring letters swapped, or one dropped. */
function typo(name: string): string {
  const i = Math.max(1, Math.floor(name.length / 2) - 1);
  const swapped = name.slice(0, i) + name[i + 1] + name[i] + name.slice(i + 2);
  return swapped !== name ? swapped : name.slice(0, -1);
}

const commands = allCommands();
const modules = new Map<string, CommandModule>();
for (const c of commands) modules.set(c.words.join(" "), await loadCommand(c.file));

test("commands are discovered from the commands folder, groups expanded", () => {
  const names = commands.map((c) => c.words.join(" "));
  for (const n of ["generate", "score", "pretrain", "tokenizer train", "world generate", "bench gemm"]) assert.ok(names.includes(n), n);
  assert.ok(!names.includes("tokenizer"), "a group is not itself a command");
});

test("every command exports its definition, with a summary, an example and a description per option", () => {
  for (const [name, m] of modules) {
    const def = m.command;
    assert.ok(def, `${name}: export \`const command = defineCommand({...})\` and call parseFlags(command, argv) (see src/cli/commands/generate.ts)`);
    assert.equal(def.name, name, `${name}: command.name must be what the user types after llama2`);
    assert.ok(def.summary.length > 0, `${name}: summary`);
    assert.ok(def.examples.length > 0 && def.examples.every((e) => e.startsWith(`llama2 ${name}`)), `${name}: examples start with "llama2 ${name}"`);
    for (const [opt, o] of Object.entries(def.options)) assert.ok(o.description.trim().length > 0, `${name} --${opt}: description`);
    if ("config" in def.options) assert.ok("print-config" in def.options, `${name}: a config-driven command offers --print-config (spread CONFIG_OPTIONS)`);
  }
});

test("--help exits 0 and prints the options the parser accepts, each with its default", async () => {
  const runs = await pool(commands.map((c) => () => llama2(...c.words, "--help")));
  commands.forEach((c, i) => {
    const name = c.words.join(" ");
    const r = runs[i]!, def = modules.get(name)!.command as CommandDef;
    assert.equal(r.status, 0, `${name} --help: exit ${r.status}\n${r.stderr}`);
    // The process printed the help of the definition run() parsed with: it is the exported one.
    assert.equal(r.stdout, `${formatHelp(def)}\n`, `${name} --help differs from its exported definition`);
    assert.match(r.stdout, /^usage: llama2 /m);
    assert.match(r.stdout, /^examples?:$/m);
    const listed = listedOptions(r.stdout);
    assert.deepEqual([...listed].sort(), [...Object.keys(def.options), "help"].sort(), `${name}: listed options`);
    for (const [opt, o] of Object.entries(def.options)) {
      const line = r.stdout.split("\n").find((l) => l.startsWith(`  --${opt}`) || l.includes(`, --${opt}`))!;
      if (o.default !== undefined) assert.ok(line.includes(`default: ${o.default}`), `${name} --${opt}: default shown`);
      // The parser accepts every listed option (it may still complain about other, required ones).
      const args = o.type === "boolean" ? [`--${opt}`] : [`--${opt}`, o.choices?.[0] ?? "1"];
      try { parseFlags(def, args); } catch (e) {
        assert.ok(e instanceof UsageError && !/unknown option/.test(e.message), `${name} rejects its own --${opt}: ${(e as Error).message}`);
      }
    }
  });
});

test("a hand-written usage line names every option the command takes, or says [options] for the rest", () => {
  for (const [name, m] of modules) {
    const def = m.command as CommandDef;
    if (def.usage === undefined || /\[options\]/.test(def.usage)) continue; // the generated synopsis is "[options]"
    const missing = Object.keys(def.options).filter((o) => !new RegExp(`--${o}(?![\\w-])`).test(def.usage!));
    assert.deepEqual(missing, [], `${name}: usage "${def.usage}" leaves out --${missing.join(", --")} (name them or end with [options])`);
  }
});

test("the README's command list names only flags each command accepts, and llama2 worker's in full", () => {
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
  const block = readme.split("## Commands (working today)")[1]!.split("```")[1]!;
  const names = [...modules.keys()].sort((a, b) => b.length - a.length); // "reward train" before "reward"
  let checked = 0;
  for (const line of block.split("\n").filter((l) => l.startsWith("llama2 "))) {
    const usage = line.replace(/\s#.*$/, "").slice("llama2 ".length);
    const name = names.find((n) => usage.startsWith(`${n} `) || usage === n);
    if (!name) continue; // "bench generate | kernels | ...": several commands on one line
    const def = modules.get(name)!.command as CommandDef;
    for (const [, flag] of usage.matchAll(/--([a-z][\w-]*)/g))
      assert.ok(flag in def.options, `README: llama2 ${name} has no --${flag}: ${line.trim()}`);
    if (name === "worker") for (const o of Object.keys(def.options)) assert.match(usage, new RegExp(`--${o}(?![\\w-])`), `README: llama2 worker --${o}`);
    checked++;
  }
  assert.ok(checked >= 25, `checked ${checked} README lines`);
});

test("a misspelt option exits 2 and names the nearest valid option", async () => {
  const cases = commands.map((c) => {
    const def = modules.get(c.words.join(" "))!.command as CommandDef;
    const want = Object.keys(def.options).sort((a, b) => b.length - a.length)[0]!;
    return { c, want, given: typo(want) };
  });
  const runs = await pool(cases.map(({ c, given }) => () => llama2(...c.words, `--${given}`, "1")));
  cases.forEach(({ c, want, given }, i) => {
    const r = runs[i]!;
    assert.equal(r.status, 2, `${c.words.join(" ")} --${given}: exit ${r.status}`);
    assert.match(r.stderr, new RegExp(`unknown option --${given}; did you mean --${want}\\?`), r.stderr);
  });
});

test("llama2 --help lists every command with its summary; --version prints the package version", async () => {
  const [help, version, bare] = await Promise.all([llama2("--help"), llama2("--version"), llama2()]);
  assert.equal(help.status, 0);
  for (const [name, m] of modules) assert.match(help.stdout, new RegExp(`^  ${name} +${m.command!.summary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
  assert.equal(version.status, 0);
  assert.equal(version.stdout.trim(), JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version);
  assert.equal(bare.status, 2, "no command is a usage error");
  assert.match(bare.stderr, /usage: llama2 <command>/);
});

test("group help, and unknown commands and subcommands suggest the nearest", async () => {
  const group = entries().find((n) => fs.statSync(path.join(root, "dist/src/cli/commands", n), { throwIfNoEntry: false })?.isDirectory())!;
  const subs = commands.filter((c) => c.words[0] === group && c.words.length === 2).map((c) => c.words[1]!);
  const [gh, badCmd, badSub, helpWord] = await Promise.all([
    llama2(group, "--help"), llama2("genrate"), llama2(group, typo(subs[0]!)), llama2("help", "generate"),
  ]);
  assert.equal(gh.status, 0);
  for (const s of subs) assert.match(gh.stdout, new RegExp(`^  ${group} ${s} `, "m"));
  assert.equal(badCmd.status, 2);
  assert.match(badCmd.stderr, /unknown command "genrate"; did you mean "generate"\?/);
  assert.equal(badSub.status, 2);
  assert.match(badSub.stderr, new RegExp(`did you mean "${subs[0]}"\\?`));
  assert.equal(helpWord.status, 0);
  assert.equal(helpWord.stdout, `${formatHelp(modules.get("generate")!.command!)}\n`);
});

test("pretrain --print-config prints the resolved config: defaults, then the file, then --set", async () => {
  const file = path.join(root, "configs", "pretrain-tiny.yaml");
  const r = await llama2("pretrain", "--config", file, "--set", "max_steps=7", "--set", "model.preset=stories15M", "--print-config");
  assert.equal(r.status, 0, r.stderr);
  const printed = YAML.parse(r.stdout) as { max_steps: number; lr: number; model: { preset: string } };
  assert.deepEqual(printed, loadConfig(PRETRAIN_SCHEMA, file, ["max_steps=7", "model.preset=stories15M"]));
  assert.equal(printed.max_steps, 7);
  assert.equal(printed.model.preset, "stories15M");
  assert.equal(printed.lr, YAML.parse(fs.readFileSync(file, "utf8")).lr ?? 3e-4);
  const bad = await llama2("pretrain", "--set", "max_stepz=7", "--print-config");
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /unknown key "max_stepz"/);
});

test("nearest() prefers prefixes, then the smallest edit distance (transpositions count 1)", () => {
  assert.equal(editDistance("modle", "model"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(nearest("max_new_tokens", ["model", "max-new-tokens", "seed"]), "max-new-tokens");
  assert.equal(nearest("temp", ["top-p", "temperature", "top-k"]), "temperature");
  assert.equal(nearest("sed", ["seed", "json"]), "seed");
});

test("parseFlags: definition defaults feed the accessors; required and choices are checked", () => {
  const def = {
    name: "t", summary: "s", examples: ["llama2 t"],
    options: {
      n: { type: "string", default: 3, description: "d" },
      mode: { type: "string", choices: ["a", "b"], default: "a", description: "d" },
      must: { type: "string", required: true, description: "d" },
    },
  } satisfies CommandDef;
  const f = parseFlags(def, ["--must", "x"]);
  assert.equal(f.int("n"), 3);
  assert.equal(f.str("mode"), "a");
  assert.equal(parseFlags(def, ["--must", "x", "--n", "5"]).int("n"), 5);
  assert.throws(() => parseFlags(def, []), /--must is required/);
  assert.throws(() => parseFlags(def, ["--must", "x", "--mode", "c"]), /--mode must be one of a, b/);
  assert.throws(() => parseFlags(def, ["--must", "x", "--n", "2.5"]).int("n"), /--n expects an integer/);
  assert.throws(() => parseFlags(def, ["--must", "x", "stray"]), /takes only --options/);
});
