// `llama2 reward train` killed for real: a process SIGKILLed mid-run (after a checkpoint, while still
// training) and continued with `--resume RUN_DIR` ends with final/ weights, reward stats and per-step
// losses bit for bit equal to an uninterrupted process's run (threads=1; issue 12 "resume is exact").
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Llama } from "../../src/model/llama.js";
import { listCheckpoints } from "../../src/train/checkpoint.js";
import { readMetrics } from "../../src/train/metrics-log.js";
import { tinyWorld, tinyWorldModel } from "../helpers/tiny-world.js";
import { tempDir } from "../helpers/tmp.js";

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/cli/main.js");

function run(args: string[], onSpawn?: (p: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr!.on("data", (d) => { stderr += String(d); });
    onSpawn?.(p);
    p.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
}

test("reward train SIGKILLed after a checkpoint and resumed with --resume RUN_DIR equals an uninterrupted run bit for bit", async () => {
  const dir = tempDir("llama2-rmkill-");
  const rows = fs.readFileSync(path.join(tinyWorld(), "prefs_helpful_train.jsonl"), "utf8").split("\n").filter(Boolean).slice(0, 40);
  const data = path.join(dir, "prefs.jsonl");
  fs.writeFileSync(data, rows.join("\n") + "\n");
  // 40 pairs, 8 a step, 4 epochs: 20 steps, a checkpoint every 3 (steps cross epoch boundaries, so the data order is resumed too).
  const sets = (out: string): string[] => [`model=${tinyWorldModel()}`, `data=${data}`, `out=${out}`, "preset=small", "pairs_per_step=8",
    "batch_pairs=4", "epochs=4", "save_every=3", "threads=1"].flatMap((s) => ["--set", s]);
  const straight = path.join(dir, "straight"), killed = path.join(dir, "killed");

  const a = await run(["reward", "train", "--quiet", ...sets(straight)]);
  assert.equal(a.code, 0, a.stderr);

  const k = await run(["reward", "train", "--quiet", ...sets(killed)], (p) => {
    const timer = setInterval(() => {
      if (fs.existsSync(path.join(killed, "checkpoint-3"))) { clearInterval(timer); p.kill("SIGKILL"); }
    }, 5);
    p.on("close", () => clearInterval(timer));
  });
  assert.equal(k.signal, "SIGKILL", `the run ended before the kill: ${k.stderr}`);
  assert.ok(!fs.existsSync(path.join(killed, "final")), "killed before the end");
  const reached = listCheckpoints(killed).at(-1)!.step;
  assert.ok(reached >= 3 && reached < 20, `newest checkpoint ${reached}`);

  const r = await run(["reward", "train", "--quiet", "--resume", killed]);
  assert.equal(r.code, 0, r.stderr);
  const losses = (d: string) => readMetrics(path.join(d, "metrics.jsonl")).filter((l) => typeof l.loss === "number").map((l) => [l.step, l.loss]);
  assert.equal(losses(straight).length, 20);
  assert.deepEqual(losses(killed), losses(straight), "per-step losses");
  const fa = await Llama.load(path.join(straight, "final")), fb = await Llama.load(path.join(killed, "final"));
  assert.equal(fb.params.length, fa.params.length);
  for (let i = 0; i < fa.params.length; i++) assert.deepEqual(fb.params[i]!.data, fa.params[i]!.data, fa.params[i]!.name);
  const stats = (d: string) => JSON.parse(fs.readFileSync(path.join(d, "final", "config.json"), "utf8")).llama2_reward_stats;
  assert.deepEqual(stats(killed), stats(straight));
});
