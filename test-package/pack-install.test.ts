// The package as a user gets it (`npm run test:package`, run by .ci/run; it compiles the addon once
// more, a few minutes on 2 cores, so it is not in `npm test`): `npm pack` holds the library, the CLI and
// the native sources and nothing of the tests; installing the tarball into a fresh npm project builds
// the addon there; an ESM program and a `tsc --strict` TypeScript file use loadPretrained / generate /
// stream / score / abort on the committed tiny world model; greedy ids equal `llama2 generate`'s.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "../test/helpers/tmp.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const model = path.join(root, "test", "fixtures", "tiny-world");
const work = tempDir("llama2-pack-");
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
  version: string; devDependencies: Record<string, string>;
};

/**
 * npm preferring its cache (`npm ci` filled it with every tarball); package metadata missing from the
 * cache comes from the npm registry, the only host contacted.
 */
function npm(cwd: string, ...args: string[]): string {
  const r = spawnSync("npm", [...args, "--prefer-offline", "--no-audit", "--no-fund"], { cwd, encoding: "utf8", timeout: 900_000 });
  if (r.status !== 0) throw new Error(`npm ${args.join(" ")} in ${cwd} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

after(() => fs.rmSync(work, { recursive: true, force: true }));

let tarball = "";
let files: string[] = [];

test("npm pack contains the library, its types, the CLI and the native sources, and no tests or fixtures", () => {
  // --ignore-scripts: `prepare` (tsc) already ran in `npm run test:package`.
  const out = JSON.parse(npm(root, "pack", "--json", "--ignore-scripts", "--pack-destination", work)) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(work, out[0]!.filename);
  files = out[0]!.files.map((f) => f.path);
  for (const need of ["package.json", "README.md", "binding.gyp", "dist/src/index.js", "dist/src/index.d.ts", "dist/src/cli/main.js",
    "native/addon.cpp", "configs/pretrain-tiny.yaml"])
    assert.ok(files.includes(need), `${need} is in the package`);
  const nativeSources = fs.readdirSync(path.join(root, "native")).filter((f) => /\.(cpp|h)$/.test(f));
  for (const f of nativeSources) assert.ok(files.includes(`native/${f}`), `native/${f} (binding.gyp compiles every native/*.cpp)`);
  const bad = files.filter((f) => /^(test|test-package|bench|scripts|dist\/test|dist\/bench|dist\/scripts|build|src|docs)\//.test(f) || /fixtures|\.map$/.test(f));
  assert.deepEqual(bad, [], "nothing of the tests, fixtures, benchmarks, sources or build output");
});

test("the tarball installs into a new project, builds the addon there, and the API and CLI work from it", () => {
  assert.ok(tarball, "packed by the previous test");
  const app = path.join(work, "app");
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "llama2-ts-user", version: "1.0.0", private: true, type: "module" }, null, 2));
  npm(app, "install", tarball, `typescript@${pkg.devDependencies.typescript}`, `@types/node@${pkg.devDependencies["@types/node"]}`);
  const installed = path.join(app, "node_modules", "llama2-ts");
  assert.ok(fs.existsSync(path.join(installed, "build", "Release", "llama2_native.node")), "the addon was compiled at install");

  fs.writeFileSync(path.join(app, "main.mjs"), `
import { loadPretrained, AbortError } from "llama2-ts";
const lm = await loadPretrained(process.argv[2]);
const g = await lm.generate("The river", { maxNewTokens: 20, greedy: true });
let streamed = "";
for await (const piece of lm.stream("The river", { maxNewTokens: 20, greedy: true })) streamed += piece;
const s = await lm.score("The river flows past the town.");
let aborted = false;
try { await lm.generate("The river", { maxNewTokens: 20, signal: AbortSignal.abort() }); } catch (e) { aborted = e instanceof AbortError; }
let deep = "";
try { await import("llama2-ts/dist/src/model/llama.js"); } catch (e) { deep = e.code; }
console.log(JSON.stringify({ ids: g.ids, text: g.text, finishReason: g.finishReason, streamed, nll: s.nll, n: s.tokenLogprobs.length, aborted, deep }));
`);
  fs.writeFileSync(path.join(app, "check.ts"), `
import { loadPretrained, AbortError, type GenerateResult, type ScoreResult, type ChatMessage } from "llama2-ts";

async function main(dir: string): Promise<void> {
  const lm = await loadPretrained(dir, { dtype: "float32", threads: 1 });
  const r: GenerateResult = await lm.generate("The river", { maxNewTokens: 20, greedy: true });
  const finish: "stop" | "length" = r.finishReason;
  const pieces: string[] = [];
  for await (const piece of lm.stream("The river", { maxNewTokens: 20, greedy: true })) pieces.push(piece);
  const chat: ChatMessage[] = [{ role: "user", content: "Where is Tika?" }];
  const reply = await lm.generate(chat, { maxNewTokens: 8, greedy: true, stop: ["."] });
  const s: ScoreResult = await lm.score(lm.tokenizer.encode("The river flows past the town."));
  const ac = new AbortController();
  ac.abort();
  const aborted = await lm.generate("x", { signal: ac.signal }).then(() => false, (e: unknown) => e instanceof AbortError);
  console.log(JSON.stringify({ ids: r.ids, text: r.text, finish, joined: pieces.join(""), reply: reply.text, nll: s.nll, aborted }));
}
await main(process.argv[2]!);
`);
  fs.writeFileSync(path.join(app, "tsconfig.json"), JSON.stringify({
    compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, outDir: "out", types: ["node"] },
    files: ["check.ts"],
  }, null, 2));
  execFileSync(process.execPath, [path.join(app, "node_modules", "typescript", "bin", "tsc"), "-p", app, "--strict"], { cwd: app, stdio: "pipe" });

  const esm = JSON.parse(execFileSync(process.execPath, ["main.mjs", model], { cwd: app, encoding: "utf8" })) as Record<string, unknown>;
  const ts = JSON.parse(execFileSync(process.execPath, [path.join("out", "check.js"), model], { cwd: app, encoding: "utf8" })) as Record<string, unknown>;
  // `llama2 generate` from the installed package's bin.
  const cli = JSON.parse(execFileSync(path.join(app, "node_modules", ".bin", "llama2"),
    ["generate", "--model", model, "--prompt", "The river", "--greedy", "--max-new-tokens", "20", "--json"], { cwd: app, encoding: "utf8" })) as { ids: number[]; text: string };
  assert.ok(cli.ids.length > 0);
  assert.deepEqual(esm.ids, cli.ids, "greedy ids from the library equal llama2 generate's");
  assert.deepEqual(ts.ids, cli.ids);
  assert.equal(esm.text, cli.text);
  assert.equal(esm.streamed, esm.text, "stream joins to generate's text");
  assert.equal(ts.joined, ts.text);
  assert.ok(typeof esm.nll === "number" && (esm.nll as number) > 0 && (esm.n as number) > 0);
  assert.equal(esm.nll, ts.nll, "the same text scores the same from JavaScript and TypeScript");
  assert.equal(esm.aborted, true);
  assert.equal(ts.aborted, true);
  assert.equal(esm.deep, "ERR_PACKAGE_PATH_NOT_EXPORTED", "deep imports are closed by the exports map");
  assert.equal(typeof ts.reply, "string");
  // The README's "Use it as a library" example, as a user would paste it.
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
  const example = /<!-- library-example[^\n]*-->\n```js\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(example, "README has the library example block");
  fs.writeFileSync(path.join(app, "example.mjs"), example);
  const lines = execFileSync(process.execPath, ["example.mjs", model], { cwd: app, encoding: "utf8" }).trimEnd().split("\n");
  assert.ok(lines[0]!.startsWith(esm.text as string), "the example's greedy line is the same continuation");
  assert.equal(lines.at(-1), "true", "the example's abort printed true");
  const version = execFileSync(path.join(app, "node_modules", ".bin", "llama2"), ["--version"], { encoding: "utf8" }).trim();
  assert.equal(version, pkg.version);
});

test("the API reference builds from the TSDoc with every export documented (npm run docs)", () => {
  const out = path.join(work, "api-docs");
  const r = spawnSync(process.execPath, [path.join(root, "node_modules", "typedoc", "bin", "typedoc"), "--out", out], { cwd: root, encoding: "utf8", timeout: 600_000 });
  assert.equal(r.status, 0, `typedoc failed (an export without TSDoc?):\n${r.stdout}\n${r.stderr}`);
  assert.ok(fs.existsSync(path.join(out, "functions", "loadPretrained.html")));
  assert.ok(fs.existsSync(path.join(out, "classes", "PretrainedModel.html")));
});
