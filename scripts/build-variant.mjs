// Builds another variant of the addon beside the normal build/ (which it leaves alone):
//   node scripts/build-variant.mjs portable   (`npm run build:portable`) -> build-portable/build/Release/
//       LLAMA2_PORTABLE: no x86 SIMD code and no OpenMP — what arm64 / macOS / any other CPU compiles;
//   node scripts/build-variant.mjs openmp     -> build-openmp/build/Release/  (OpenMP threads, for benchmarks).
// Load one with LLAMA2_NATIVE_ADDON=build-portable/build/Release/llama2_native.node.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const variants = { portable: { portable: 1, openmp: 0 }, openmp: { portable: 0, openmp: 1 } };
const name = process.argv[2] ?? "";
const v = variants[name];
if (!v) {
  console.error(`usage: node scripts/build-variant.mjs ${Object.keys(variants).join("|")}`);
  process.exit(2);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = path.join(root, `build-${name}`);
fs.mkdirSync(dir, { recursive: true });
const gyp = fs.readFileSync(path.join(root, "binding.gyp"), "utf8")
  .replace(/"llama2_native_dir%": "native"/, '"llama2_native_dir%": "../native"')
  .replace(/"llama2_portable%": "[^\n]*"/, `"llama2_portable%": ${v.portable}`)
  .replace(/"llama2_openmp%": "[^\n]*"/, `"llama2_openmp%": ${v.openmp}`);
if (!gyp.includes('"../native"') || !gyp.includes(`"llama2_portable%": ${v.portable}`)) {
  console.error("build-variant: binding.gyp no longer has the llama2_native_dir / llama2_portable variables");
  process.exit(1);
}
fs.writeFileSync(path.join(dir, "binding.gyp"), gyp);
// npm's bundled node-gyp: npm run sets npm_config_node_gyp; otherwise look beside this node's npm.
const bundled = path.join(path.dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js");
const nodeGyp = process.env.npm_config_node_gyp || (fs.existsSync(bundled) ? bundled : "");
const [cmd, pre] = nodeGyp ? [process.execPath, [nodeGyp]] : ["node-gyp", []];
// Outside `npm run`, npm's config (nodedir: where the Node headers are) is not in the environment.
const env = { ...process.env };
if (!env.npm_config_nodedir) {
  const q = spawnSync("npm", ["config", "get", "nodedir"], { encoding: "utf8" });
  const nodedir = q.status === 0 ? q.stdout.trim() : "";
  if (nodedir && nodedir !== "undefined" && nodedir !== "null") env.npm_config_nodedir = nodedir;
}
const r = spawnSync(cmd, [...pre, "rebuild", `--directory=${dir}`], { stdio: "inherit", cwd: root, env });
if (r.error) console.error(`build-variant: could not run node-gyp: ${r.error.message}`);
process.exit(r.status ?? 1);
