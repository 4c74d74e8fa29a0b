// The model against transformers on the same weights: random HF checkpoints with GQA, untied (and
// tied) embeddings and rope_theta 500000, made by scripts/reference/make_model_fixtures.py. llama-long
// (B 2 × T 72 = 144 rows) takes the paths training really uses — the packed GEMM and attention beyond
// one tile — and also holds packed segments with restarted positions, against transformers run per segment.
// Every check runs at every SIMD level this CPU has (portable, avx2, avx512: native setSimdLevel), so the
// GEMM, attention, cross-entropy and SwiGLU families each meet the whole model, not only their kernel tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { Llama } from "../../src/model/llama.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import { native } from "../../src/native/addon.js";
import { fixture, maxAbsDiff, maxRelDiff } from "../helpers/fixtures.js";
import { atEverySimdLevel, simdLevels } from "../native/check.js";

interface Expected { tensors: Map<string, { shape: number[]; data: Float32Array }>; json: Record<string, any> }

function expected(name: string): Expected {
  const json = JSON.parse(fs.readFileSync(fixture("models", name, "expected.json"), "utf8"));
  return { tensors: readSafetensors(fixture("models", name, "expected.safetensors")).tensors, json };
}

/** HF labels[b,t] train position t-1; our targets[b,t] are the label of position t (shifted, last -100). */
function shiftedTargets(labels: Float32Array, B: number, T: number): Int32Array {
  const targets = new Int32Array(B * T).fill(-100);
  for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) targets[b * T + t] = labels[b * T + t + 1]!;
  return targets;
}

for (const name of ["llama-gqa", "llama-tied", "llama-long"]) {
  test(`${name}: logits match transformers within 1e-4 at every SIMD level`, async () => {
    const model = await Llama.load(fixture("models", name));
    const exp = expected(name);
    const [B, T] = exp.tensors.get("input_ids")!.shape as [number, number];
    const ids = Int32Array.from(exp.tensors.get("input_ids")!.data);
    atEverySimdLevel((level) => {
      const err = maxAbsDiff(model.forward(ids, B, T), exp.tensors.get("logits")!.data);
      assert.ok(err <= 1e-4, `${level}: logits max abs err ${err}`);
    });
  });

  test(`${name}: the cross-entropy loss and every parameter gradient match transformers (1e-3 relative) at every SIMD level`, async () => {
    const model = await Llama.load(fixture("models", name));
    const exp = expected(name);
    const [B, T] = exp.tensors.get("input_ids")!.shape as [number, number];
    const ids = Int32Array.from(exp.tensors.get("input_ids")!.data);
    const targets = shiftedTargets(exp.tensors.get("labels")!.data, B, T);
    const count = targets.filter((t) => t !== -100).length;
    atEverySimdLevel((level) => {
      model.zeroGrads();
      const { lossSum, count: trained } = model.lmForwardBackward(ids, targets, B, T, 1 / count);
      assert.equal(trained, count);
      assert.ok(Math.abs(lossSum / count - exp.json.loss) < 1e-5, `${level}: loss ${lossSum / count} vs ${exp.json.loss}`);
      let checked = 0;
      for (const p of model.params) {
        const g = exp.tensors.get(`grad.${p.name}`);
        assert.ok(g, `fixture has no gradient for ${p.name}`);
        assert.ok(p.grad, `${p.name}: no gradient was allocated`);
        const err = maxRelDiff(p.grad, g.data);
        assert.ok(err <= 1e-3, `${level} ${p.name}: gradient max rel err ${err}`);
        checked++;
      }
      assert.equal(checked, model.params.length);
    });
  });
}

test("llama-long packed segments (block-diagonal attention, positions restarting) match transformers run segment by segment, at every SIMD level", async () => {
  const model = await Llama.load(fixture("models", "llama-long"));
  const t = readSafetensors(fixture("models", "llama-long", "packed.safetensors")).tensors;
  const [B, T] = t.get("input_ids")!.shape as [number, number];
  assert.ok(B * T > 32 && T >= 64);
  const i32 = (k: string) => Int32Array.from(t.get(k)!.data);
  const ids = i32("input_ids"), targets = i32("targets");
  const layout = { pos: i32("position_ids"), segIds: i32("segment_ids") };
  assert.ok(layout.pos.some((p, i) => i % T > 0 && p === 0), "positions restart inside a row");
  const count = targets.filter((x) => x !== -100).length, hfLoss = t.get("loss")!.data[0]!;
  atEverySimdLevel((level) => {
    const lerr = maxAbsDiff(model.forward(ids, B, T, layout), t.get("logits")!.data);
    assert.ok(lerr <= 1e-4, `${level}: packed logits max abs err ${lerr}`);
    model.zeroGrads();
    const { lossSum } = model.lmForwardBackward(ids, targets, B, T, 1 / count, layout);
    assert.ok(Math.abs(lossSum / count - hfLoss) < 1e-5, `${level}: loss ${lossSum / count} vs ${hfLoss}`);
    for (const p of model.params) {
      const g = t.get(`grad.${p.name}`);
      assert.ok(g && p.grad, p.name);
      const err = maxRelDiff(p.grad, g.data);
      assert.ok(err <= 1e-3, `${level} ${p.name}: packed gradient max rel err ${err}`);
    }
  });
});

test("the parity checks reach every SIMD level this CPU has", () => {
  const levels = simdLevels();
  assert.ok(levels.includes("portable"), levels.join(", "));
  if (native.simdLevel() === "avx512") assert.deepEqual(levels, ["portable", "avx2", "avx512"]);
});
