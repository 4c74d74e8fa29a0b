// `llama2 export` streams a model directory: each tensor is read from model.safetensors, converted and
// written before the next is read (src/model/model-dir.ts openModelDirLazily), so a 7B bf16 checkpoint
// exports on a machine that cannot hold it as float32. The streamed files must be byte for byte what the
// whole-model path writes (Llama.load, every tensor as float32, then the same writers) — GGUF f32, f16 and
// q8_0 and llama2.c v0/v1/v2 — for float32 and bfloat16 checkpoints, tied and untied; the llama2.c bytes
// are also pinned to export.py's own output by test/export/llama2c.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { llama2 } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";
import { Llama } from "../../src/model/llama.js";
import { preset } from "../../src/model/presets.js";
import { openModelDirLazily } from "../../src/model/model-dir.js";
import { exportGguf, type GgufFileType } from "../../src/model/gguf-export.js";
import { exportLlama2c, type Llama2cVersion } from "../../src/model/llama2c-export.js";
import { loadTokenizer } from "../../src/tokenizer/resolve.js";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const spDir = path.join(root, "test", "fixtures", "tokenizer", "sp");

/** A random model with the 1,200-piece SentencePiece fixture as its tokenizer, saved as `dtype`. */
async function modelDir(work: string, name: string, dtype: "float32" | "bfloat16", tied: boolean): Promise<string> {
  const tok = await loadTokenizer(spDir);
  const c = { ...preset("stories260K"), vocabSize: tok.spec.pieces.length, tieWordEmbeddings: tied };
  const dir = path.join(work, name);
  await new Llama(c, { trainable: false }).initRandom(11).save(dir, { dtype });
  fs.copyFileSync(path.join(spDir, "tokenizer.model"), path.join(dir, "tokenizer.model"));
  return dir;
}

/** What export wrote before it streamed: the whole model loaded as float32, then the writers. */
async function wholeModelSource(dir: string) {
  const m = await Llama.load(dir);
  return { config: m.config, tensors: new Map(m.params.map((p) => [p.name, { shape: p.shape, data: p.data }])), name: path.basename(dir) };
}

test("streamed GGUF and llama2.c exports are byte for byte the whole-model exports (f32/bf16 checkpoints, tied and untied)", async (t) => {
  const work = tempDir("export-stream-", t);
    for (const [name, dtype, tied] of [["f32-untied", "float32", false], ["bf16-tied", "bfloat16", true]] as const) {
      const dir = await modelDir(work, name, dtype, tied);
      const src = await wholeModelSource(dir), tok = await loadTokenizer(dir);
      for (const type of ["f32", "f16", "q8_0"] as GgufFileType[]) {
        const want = path.join(work, `${name}-whole-${type}.gguf`), got = path.join(work, `${name}-cli-${type}.gguf`);
        exportGguf(src, tok, tok.chatTemplate ?? null, want, type);
        const r = llama2("export", "--model", dir, "--format", "gguf", "--type", type, "--out", got);
        assert.equal(r.status, 0, r.stderr);
        assert.ok(fs.readFileSync(got).equals(fs.readFileSync(want)), `${name} gguf ${type}: the streamed file differs`);
      }
      for (const v of [0, 1, 2] as Llama2cVersion[]) {
        const want = path.join(work, `${name}-whole-l2c${v}`), got = path.join(work, `${name}-cli-l2c${v}`);
        exportLlama2c(src, tok, want, v);
        const r = llama2("export", "--model", dir, "--format", "llama2c", "--version", String(v), "--out", got);
        assert.equal(r.status, 0, r.stderr);
        for (const f of ["model.bin", "tokenizer.bin"])
          assert.ok(fs.readFileSync(path.join(got, f)).equals(fs.readFileSync(path.join(want, f))), `${name} llama2c v${v} ${f}: the streamed file differs`);
      }
    }
});

test("the streamed exporters read each tensor when they write it, once (never the whole model first)", async (t) => {
  const work = tempDir("export-stream-", t);
    const dir = await modelDir(work, "m", "float32", false);
    const lazy = openModelDirLazily(dir), tok = await loadTokenizer(dir);
    const reads: string[] = [];
    const tensors = new Map([...lazy.tensors].map(([n, t]) => [n, { shape: t.shape, get data() { reads.push(n); return t.data; } }]));
    exportGguf({ config: lazy.config, tensors, name: "m" }, tok, null, path.join(work, "m.gguf"), "q8_0");
    assert.deepEqual([...reads].sort(), [...lazy.tensors.keys()].sort(), "every tensor read exactly once");
    reads.length = 0;
    exportLlama2c({ config: lazy.config, tensors, name: "m" }, tok, path.join(work, "l2c"), 0);
    // Untied: the embedding and lm_head are read once more to compare them (llama2.c's shared_classifier).
    const counts = new Map<string, number>();
    for (const n of reads) counts.set(n, (counts.get(n) ?? 0) + 1);
    for (const n of lazy.tensors.keys())
      assert.equal(counts.get(n), n === "model.embed_tokens.weight" || n === "lm_head.weight" ? 2 : 1, n);
    assert.throws(() => openModelDirLazily(path.join(work, "nowhere")), /config\.json|no such file/i);
});
