import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { evaluate, gatt, sft } from "../../src/index.js";
import { tinyWorld, tinyWorldModel } from "../helpers/tiny-world.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = (p: string): string => tempDir(p);
const head = (file: string, n: number, dir: string): string => {
  const out = path.join(dir, path.basename(file));
  fs.writeFileSync(out, fs.readFileSync(file, "utf8").split("\n").slice(0, n).join("\n") + "\n");
  return out;
};

test("sft(config), gatt(config) and evaluate() from the package entry: plain objects, progress, abort + resume, key errors", async () => {
  const rows = head(path.join(tinyWorld(), "sft_train.jsonl"), 8, tmp("api-rows-"));
  const out = path.join(tmp("api-sft-"), "run");
  const steps: number[] = [];
  const ac = new AbortController();
  const r = await sft({ model: tinyWorldModel(), data: [rows], out, max_steps: 3, batch_size: 4, grad_accum: 1, threads: 1 },
    { signal: ac.signal, onProgress: (p) => { steps.push(p.step); if (p.step === 1) ac.abort(); } });
  assert.equal(r.stopped, "aborted");
  assert.equal(r.step, 1);
  assert.equal(r.final, null);
  assert.deepEqual(steps, [1]);
  const done = await sft({}, { resume: out });
  assert.equal(done.stopped, "done");
  assert.equal(done.step, 3);
  assert.ok(done.final && fs.existsSync(path.join(done.final, "model.safetensors")));
  assert.equal(done.eval, null, "not a world's data: no closing eval");
  assert.ok(typeof done.metrics.loss === "number");
  await assert.rejects(sft({ model: tinyWorldModel(), data: [rows], out, batch_size: "four" as unknown as number }), /sft\(config\).*batch_size/);
  await assert.rejects(sft({ model: tinyWorldModel(), out }), /key "data" is required/);
  await assert.rejects(sft({ modle: "x" } as never), /unknown key "modle"/);

  const dl = head(path.join(tinyWorld(), "dialogues_train.jsonl"), 4, tmp("api-dl-"));
  const g = await gatt({ model: done.final!, dialogues: [dl], out: path.join(tmp("api-gatt-"), "run"), max_steps: 1, batch_size: 4, filter_adherent: false, max_new_tokens: 8 });
  assert.equal(g.step, 1);
  assert.ok(g.samples > 0);

  const world = tmp("api-world-");
  for (const f of ["prompts_test.jsonl", "dialogues_test.jsonl"]) head(path.join(tinyWorld(), f), 3, world);
  const e = await evaluate({ model: done.final!, world, maxNewTokens: 8 });
  assert.equal(e.n, 6);
  assert.equal(e.split, "test");
});

test("sft with lora.r > 0 writes a PEFT adapter directory as OUT/final, and eval loads it", async () => {
  const rows = head(path.join(tinyWorld(), "sft_train.jsonl"), 8, tmp("api-lora-rows-"));
  const out = path.join(tmp("api-lora-"), "run");
  const r = await sft({ model: tinyWorldModel(), data: [rows], out, max_steps: 2, batch_size: 4, grad_accum: 1, lr: 1e-2, lora: { r: 4, targets: ["q_proj", "v_proj"] } });
  assert.equal(r.step, 2);
  assert.ok(fs.existsSync(path.join(r.final!, "adapter_config.json")) && fs.existsSync(path.join(r.final!, "adapter_model.safetensors")));
  const world = tmp("api-lora-world-");
  for (const f of ["prompts_test.jsonl", "dialogues_test.jsonl"]) head(path.join(tinyWorld(), f), 2, world);
  const e = await evaluate({ model: r.final!, world, maxNewTokens: 6 });
  assert.equal(e.n, 4);
});
