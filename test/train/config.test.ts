// Recipe config loading (src/train/config.ts): defaults < YAML file < --set, and errors that name file, line and key.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { loadConfig, configToYaml, resumeConfig, mergeResumeObject, absolutePaths, type Schema } from "../../src/train/config.js";
import { tempDir } from "../helpers/tmp.js";

const schema: Schema = {
  data: { type: "string", default: "" },
  max_steps: { type: "int", default: 100 },
  lr: { type: "number", default: 3e-4 },
  tokens_per_step: { type: "int?", default: null },
  skip_nonfinite: { type: "bool", default: false },
  schedule: { type: "string", default: "cosine", choices: ["cosine", "constant"] },
  model: { type: { preset: { type: "string", default: "tiny" }, hidden_size: { type: "int?", default: null } }, default: null },
};

function tmpFile(text: string): string {
  const dir = tempDir("cfg-");
  const f = path.join(dir, "c.yaml");
  fs.writeFileSync(f, text);
  return f;
}

test("defaults, then the file, then --set overrides with type coercion", () => {
  const f = tmpFile("data: corpus/\nmax_steps: 20\nmodel:\n  preset: small\n");
  const c = loadConfig<Record<string, any>>(schema, f, ["lr=1e-3", "model.hidden_size=64", "skip_nonfinite=true", "tokens_per_step=4096"]);
  assert.deepEqual(c, { data: "corpus/", max_steps: 20, lr: 1e-3, tokens_per_step: 4096, skip_nonfinite: true, schedule: "cosine", model: { preset: "small", hidden_size: 64 } });
});

test("an unknown key in the file is an error naming the key, the file and the line", () => {
  const f = tmpFile("data: x\n\nmodel:\n  presett: tiny\n");
  assert.throws(() => loadConfig(schema, f), (e: Error) => e.message.includes(`${f}:4`) && e.message.includes('"model.presett"'));
});

test("a wrong type in the file names the key and line; --set rejects bad numbers and unknown keys", () => {
  const f = tmpFile("max_steps: 1.5\n");
  assert.throws(() => loadConfig(schema, f), (e: Error) => e.message.includes(`${f}:1`) && e.message.includes('"max_steps"') && e.message.includes("integer"));
  assert.throws(() => loadConfig(schema, undefined, ["max_steps=ten"]), /--set max_steps: expected an integer/);
  assert.throws(() => loadConfig(schema, undefined, ["lrr=1"]), /--set: unknown key "lrr"/);
  assert.throws(() => loadConfig(schema, undefined, ["schedule=linear"]), /expected one of cosine, constant/);
  assert.throws(() => loadConfig(schema, undefined, ["model=x"]), /is a section/);
});

test("nullable fields accept null from --set; the resolved config round-trips through YAML", () => {
  const c = loadConfig<Record<string, unknown>>(schema, undefined, ["tokens_per_step=null", "data=d"]);
  assert.equal(c.tokens_per_step, null);
  const again = loadConfig<Record<string, unknown>>(schema, tmpFile(configToYaml(c)));
  assert.deepEqual(again, c);
});

test("YAML syntax errors name the file and line", () => {
  const f = tmpFile("data: x\nmax_steps: [1,\n");
  assert.throws(() => loadConfig(schema, f), (e: Error) => e.message.startsWith(f) && /invalid YAML/.test(e.message));
});

// Issue 10 item 6: --resume refuses changes to `fixed` keys (naming key, saved and new value) and stores paths absolute.
const RESUME_SCHEMA: Schema = {
  model: { type: "string", default: "", path: true, fixed: "the starting model" },
  data: { type: "json", default: "", path: true },
  files: { type: "string[]", default: [], path: true },
  extra: { type: "json", default: {} },
  steps: { type: "int", default: 1 },
  shape: { type: { width: { type: "int", default: 8 }, depth: { type: "int", default: 2 } }, default: null, fixed: "the architecture" },
};

test("resumeConfig: saved values over defaults (json objects kept whole), --set on top, fixed keys refused by name, paths absolute", () => {
  const saved = { model: "/m", data: [{ path: "/d/a.jsonl", weight: 0.5 }], files: ["/f"], extra: { max_steps: 1, lr: 0.1 }, shape: { width: 16 }, gone: 3 };
  const c = resumeConfig(RESUME_SCHEMA, saved, ["steps=5", "files=x.txt,/abs/y.txt"], "/run/checkpoint-2");
  assert.deepEqual(c, { model: "/m", data: [{ path: "/d/a.jsonl", weight: 0.5 }], files: [path.resolve("x.txt"), "/abs/y.txt"],
    extra: { max_steps: 1, lr: 0.1 }, steps: 5, shape: { width: 16, depth: 2 } });
  assert.throws(() => resumeConfig(RESUME_SCHEMA, saved, ["shape.depth=3"], "/run/checkpoint-2"),
    { message: '--set shape.depth=3: --resume cannot change shape.depth, the architecture (the checkpoint /run/checkpoint-2 has shape.depth: 2, this gives 3); keep it, or start a new run (another out=, or --overwrite)' });
  assert.throws(() => resumeConfig(RESUME_SCHEMA, saved, ["model=other"], "/ck"), new RegExp(`--resume cannot change model, the starting model \\(the run directory /ck has model: "/m", this gives "${path.resolve("other")}"\\)`));
  // Setting a fixed key to the value it has (a relative spelling of the same path) is no change.
  const here = path.resolve("m-here");
  resumeConfig(RESUME_SCHEMA, { ...saved, model: here }, ["model=m-here"], "/ck");
  // The library's resume: the same rule for an object of keys.
  const cfg = resumeConfig(RESUME_SCHEMA, saved, [], "/ck");
  assert.throws(() => mergeResumeObject(RESUME_SCHEMA, cfg, { shape: { width: 32 } }, "sft(config)", "/ck"), /^Error: sft\(config\): --resume cannot change shape\.width/);
  mergeResumeObject(RESUME_SCHEMA, cfg, { steps: 9, data: "rel.jsonl" }, "sft(config)", "/ck");
  assert.equal(cfg.data, path.resolve("rel.jsonl"));
  assert.deepEqual(absolutePaths(RESUME_SCHEMA, { data: ["a", { path: "b", weight: 1 }] }), { data: [path.resolve("a"), { path: path.resolve("b"), weight: 1 }] });
});
