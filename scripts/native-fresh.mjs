// `npm test` runs this first (pretest): rebuilds the addon when native/ or binding.gyp differ from what
// build/Release was built from, so the suite never tests a stale addon (a rebased branch that changed
// native/, a checkout whose build came from another commit). The sources' hash is kept in
// build/Release/.native-sources after each build it makes; a build without that stamp is rebuilt once.
// node-gyp is the one npm puts on PATH for scripts (as for `npm run build:native`).
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const hash = crypto.createHash("sha256");
const dir = path.join(root, "native");
for (const f of [...fs.readdirSync(dir).sort().map((f) => path.join(dir, f)), path.join(root, "binding.gyp")]) {
  hash.update(path.relative(root, f) + "\0");
  hash.update(fs.readFileSync(f));
}
const want = hash.digest("hex");
const stamp = path.join(root, "build", "Release", ".native-sources");
const addon = path.join(root, "build", "Release", "llama2_native.node");
const have = fs.existsSync(addon) && fs.existsSync(stamp) ? fs.readFileSync(stamp, "utf8").trim() : null;
if (have !== want) {
  console.error(`native-fresh: ${have ? "native/ changed since the addon was built" : "no record of what the addon was built from"}: node-gyp rebuild`);
  const r = spawnSync("node-gyp", ["rebuild"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) {
    console.error(`native-fresh: node-gyp rebuild failed (${r.error?.message ?? `exit ${r.status}`})`);
    process.exit(1);
  }
  fs.writeFileSync(stamp, want + "\n");
}
