// Recipe config loading (src/train/config.ts): defaults < YAML file < --set, and errors that name file, line and key.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig, configToYaml, type Schema } from "../../src/train/config.js";

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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfg-"));
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
