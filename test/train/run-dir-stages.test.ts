// Issue 10 items 1-3 for every training stage after pretraining (pretrain's own cases are in run-dir.test.ts and
// config-ranges.test.ts), as processes: `llama2 sft | reward train | gatt | rejection-sample | ppo` started with
// RELATIVE paths, then (1) the same command again is refused and changes nothing, (2) --resume from ANOTHER working
// directory refuses a changed fixed key (naming it, the saved and the new value) and (3) continues in the original
// run directory, (4) --overwrite clears and says so; and a second process on a directory in use stops at once,
// naming the first, which carries on. `llama2 demo` holds its OUT the same way.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { LOCK_FILE, readLock } from "../../src/train/run-dir.js";
import { tinyWorld, tinyWorldModel, untrainedRewardModels } from "../helpers/tiny-world.js";
import { snapshot, tmpDir } from "./helpers.js";

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/cli/main.js");

interface Exit { code: number | null; signal: NodeJS.Signals | null; stderr: string }

/** Runs `llama2 ARGS` in `cwd`; `onStart` gets the child as soon as it is spawned. */
function runCli(args: string[], cwd: string, onStart?: (p: ReturnType<typeof spawn>) => void): Promise<Exit> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr!.on("data", (d) => { stderr += String(d); });
    onStart?.(p);
    p.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
}

const setArgs = (sets: string[]): string[] => sets.flatMap((s) => ["--set", s]);
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

async function waitFor(cond: () => boolean, what: string, exited: () => boolean): Promise<void> {
  while (!cond()) {
    if (exited()) throw new Error(`the first run exited before ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Stage {
  /** The command words (e.g. ["reward", "train"]) and the name the lock records. */
  cmd: string[];
  holder: string;
  /** --set assignments for a short run; `rel` turns an absolute path into one relative to the first run's cwd. */
  sets: (rel: (p: string) => string) => string[];
  /** --set assignments that make the run last until it is killed. */
  long: string[];
  /** --set for the resume that does more work, and the entry that work leaves in the run directory. */
  more: string;
  adds: string;
  /** A --set the resume must refuse, the key it names, and the saved value the message quotes. */
  fixed: (abs: (p: string) => string) => { set: string; key: string; saved: string };
  /** Keys of config.yaml that must hold absolute paths after the relative first run (a list: each entry). */
  pathKeys: string[];
}

let model = "", world = "", rmH = "", rmS = "", dialogues = "", prefs = "", otherModel = "";
const stages: Stage[] = [];

before(async () => {
  model = tinyWorldModel();
  world = await tinyWorld();
  const work = tmpDir("stages-inputs-");
  ({ helpful: rmH, safety: rmS } = await untrainedRewardModels(work));
  prefs = path.join(work, "prefs.jsonl"); // a few pairs: the run ends by scoring all of them
  fs.writeFileSync(prefs, fs.readFileSync(path.join(world, "prefs_helpful_train.jsonl"), "utf8").split("\n").slice(0, 24).join("\n") + "\n");
  dialogues = path.join(work, "dialogues.jsonl");
  fs.writeFileSync(dialogues, fs.readFileSync(path.join(world, "dialogues_train.jsonl"), "utf8").split("\n").slice(0, 4).join("\n") + "\n");
  otherModel = rmH; // any other existing directory
  const prompts = path.join(world, "prompts_train.jsonl");
  stages.push(
    {
      cmd: ["sft"], holder: "llama2 sft",
      sets: (rel) => [`model=${rel(model)}`, `data=${rel(path.join(world, "sft_train.jsonl"))}`, "max_steps=1", "batch_size=2", "grad_accum=1", "seq_len=128", "eval_world=false", "threads=1"],
      long: ["max_steps=1000000"], more: "max_steps=2", adds: "checkpoint-2",
      fixed: () => ({ set: "lora.r=4", key: "lora.r", saved: "0" }), pathKeys: ["model", "data"],
    },
    {
      cmd: ["reward", "train"], holder: "llama2 reward train",
      sets: (rel) => [`model=${rel(model)}`, `data=${rel(prefs)}`, "max_steps=1", "pairs_per_step=8", "threads=1"],
      long: ["max_steps=1000000"], more: "max_steps=2", adds: "checkpoint-2",
      fixed: (abs) => ({ set: `tokenizer=${abs(model)}`, key: "tokenizer", saved: "null" }), pathKeys: ["model", "data"],
    },
    {
      cmd: ["gatt"], holder: "llama2 gatt",
      sets: (rel) => [`model=${rel(model)}`, `dialogues=${rel(dialogues)}`, "max_steps=1", "batch_size=2", "grad_accum=1", "filter_adherent=false", "max_new_tokens=8", "eval_world=false", "threads=1"],
      long: ["max_steps=1000000"], more: "max_steps=2", adds: "checkpoint-2",
      fixed: (abs) => ({ set: `model=${abs(otherModel)}`, key: "model", saved: JSON.stringify(model) }), pathKeys: ["model", "dialogues"],
    },
    {
      cmd: ["rejection-sample"], holder: "llama2 rejection-sample",
      sets: (rel) => [`policy=${rel(model)}`, `reward_helpful=${rel(rmH)}`, `reward_safety=${rel(rmS)}`, `prompts=${rel(prompts)}`, "iterations=1", "k=2",
        "max_prompts=2", "max_new_tokens=8", "batch_size=4", 'sft={"max_steps":1,"batch_size":2,"grad_accum":1,"seq_len":128}', "threads=1"],
      long: ["iterations=100000", "k=16", "max_prompts=200", "max_new_tokens=64"], more: "iterations=2", adds: "iteration-2",
      fixed: (abs) => ({ set: `prompts=${abs(path.join(world, "prompts_val.jsonl"))}`, key: "prompts", saved: JSON.stringify(prompts) }),
      pathKeys: ["policy", "reward_helpful", "reward_safety", "prompts", "out"],
    },
    {
      cmd: ["ppo"], holder: "llama2 ppo",
      sets: (rel) => [`policy=${rel(model)}`, `reward_helpful=${rel(rmH)}`, `prompts=${rel(prompts)}`, "iterations=1", "batch_size=2", "mini_batch_size=2",
        "max_new_tokens=6", "gen_batch_size=2", "save_every=1", "threads=1"],
      long: ["iterations=100000"], more: "iterations=2", adds: "checkpoint-2",
      fixed: (abs) => ({ set: `policy=${abs(otherModel)}`, key: "policy", saved: JSON.stringify(model) }), pathKeys: ["policy", "reward_helpful", "prompts", "out"],
    },
  );
});

test("every stage: a second run into a finished run is refused untouched; --resume from another directory refuses a fixed key and continues in place; --overwrite clears", async () => {
  for (const st of stages) {
    const name = st.cmd.join(" ");
    const base = tmpDir(`stage-${st.cmd.join("-")}-`);
    const a = path.join(base, "a"), b = path.join(base, "b");
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    const rel = (p: string): string => path.relative(a, p);
    const args = [...st.cmd, "--quiet", ...setArgs([...st.sets(rel), "out=runs/x"])];
    const first = await runCli(args, a);
    assert.equal(first.code, 0, `${name}: ${first.stderr}`);
    const run = path.join(a, "runs", "x");

    // Saved paths are absolute: they mean the same from any working directory.
    const saved = YAML.parse(fs.readFileSync(path.join(run, "config.yaml"), "utf8")) as Record<string, unknown>;
    for (const k of st.pathKeys) for (const v of ([] as unknown[]).concat(saved[k]))
      assert.ok(typeof v === "string" && path.isAbsolute(v), `${name}: config.yaml ${k} = ${JSON.stringify(saved[k])} is not absolute`);

    // 1. The same command again: refused, naming the run and the ways out; nothing in the directory changes.
    const before = snapshot(run, LOCK_FILE);
    const again = await runCli(args, a);
    assert.equal(again.code, 1, `${name}: ${again.stderr}`);
    assert.match(again.stderr, new RegExp(`llama2: ${esc(run)} holds another run \\(.*\\); use --resume ${esc(run)} to continue it, or --overwrite`), name);
    assert.deepEqual(snapshot(run, LOCK_FILE), before, `${name}: the refused run touched nothing`);

    // 2. --resume from another directory, with a relative path to the run, refuses a change to a fixed key.
    const resumeArg = path.relative(b, run);
    const f = st.fixed((p) => p);
    const bad = await runCli([...st.cmd, "--quiet", "--resume", resumeArg, "--set", f.set], b);
    assert.equal(bad.code, 1, `${name}: ${bad.stderr}`);
    const source = st.cmd[0] === "rejection-sample" ? "the run directory" : "the checkpoint"; // RS keeps its config in RUN_DIR/config.yaml
    assert.match(bad.stderr, new RegExp(`--set ${esc(f.set)}: --resume cannot change ${esc(f.key)}, .*\\(${source} \\S+ has ${esc(f.key)}: ${esc(f.saved)}, this gives `), name);
    assert.deepEqual(snapshot(run, LOCK_FILE), before, `${name}: the refused resume touched nothing`);

    // 3. ... and continues the run where it is, from there, with the relative inputs of the first run.
    const more = await runCli([...st.cmd, "--quiet", "--resume", resumeArg, "--set", st.more], b);
    assert.equal(more.code, 0, `${name}: ${more.stderr}`);
    assert.ok(fs.existsSync(path.join(run, st.adds)), `${name}: the resumed run wrote ${st.adds} in ${run}`);
    assert.deepEqual(fs.readdirSync(b), [], `${name}: nothing written in the resuming process's directory`);
    assert.ok(!fs.existsSync(path.join(run, LOCK_FILE)), `${name}: the lock is released`);

    // 4. --overwrite starts over, and says what it removed.
    const over = await runCli([...args, "--overwrite"], a);
    assert.equal(over.code, 0, `${name}: ${over.stderr}`);
    assert.match(over.stderr, new RegExp(`--overwrite: cleared ${esc(run)} \\(removed .*${esc(st.adds)}`), name);
    assert.ok(!fs.existsSync(path.join(run, st.adds)), `${name}: the earlier run's ${st.adds} is gone`);
    const both = await runCli([...st.cmd, "--resume", run, "--overwrite"], a);
    assert.equal(both.code, 2, `${name}: --resume with --overwrite is a usage error: ${both.stderr}`);
  }
});

test("every stage (and the demo): a second process on a directory in use stops at once naming the holder; the first carries on", async () => {
  const all = [...stages.map((s) => ({ cmd: s.cmd, holder: s.holder, first: (out: string) => [...s.cmd, "--quiet", ...setArgs([...s.sets((p) => p), ...s.long, `out=${out}`])],
    second: (out: string) => [...s.cmd, "--quiet", "--overwrite", ...setArgs([...s.sets((p) => p), `out=${out}`])] })),
  { cmd: ["demo"], holder: "llama2 demo", first: (out: string) => ["demo", "--quiet", "--out", out], second: (out: string) => ["demo", "--quiet", "--overwrite", "--out", out] }];
  for (const st of all) {
    const name = st.cmd.join(" ");
    const out = path.join(tmpDir(`busy-${st.cmd.join("-")}-`), "run");
    let child: ReturnType<typeof spawn> | null = null;
    let exited = false;
    const firstDone = runCli(st.first(out), os.tmpdir(), (p) => { child = p; }).then((r) => { exited = true; return r; });
    try {
      await waitFor(() => readLock(path.join(out, LOCK_FILE))?.pid === child!.pid, "taking the lock", () => exited);
      // What the first run has written so far (not its atomic-write temps, which come and go).
      const kept = fs.readdirSync(out).filter((e) => !/\.tmp|\.partial|^\./.test(e)).sort();
      const second = await runCli(st.second(out), os.tmpdir());
      assert.equal(second.code, 1, `${name}: ${second.stderr}`);
      assert.match(second.stderr, new RegExp(`${esc(out)} is in use by another run: ${esc(st.holder)} \\(pid ${child!.pid} on ${esc(os.hostname())}, since `), name);
      assert.doesNotMatch(second.stderr, /cleared|removed/, name);
      assert.ok(!exited, `${name}: the first run is still running`);
      assert.equal(readLock(path.join(out, LOCK_FILE))!.pid, child!.pid, `${name}: the first run still holds the lock`);
      for (const e of kept) assert.ok(fs.existsSync(path.join(out, e)), `${name}: ${e} of the first run is still there`);
    } finally {
      child!.kill("SIGKILL"); // also when an assertion failed: a live child would keep the test file running
    }
    assert.equal((await firstDone).signal, "SIGKILL");
  }
});
