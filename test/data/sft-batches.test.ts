import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { bestFitRows, buildBatch, packRows, PAD_SEGMENT, SftBatchSource, type SftBatch } from "../../src/data/sft-batches.js";
import { loadChatDataset, type ChatSample } from "../../src/data/chat-data.js";
import { Llama } from "../../src/model/llama.js";
import { native } from "../../src/native/addon.js";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { tinyWorld, tinyWorldModel } from "../helpers/tiny-world.js";

test("best-fit decreasing: each sample goes to the fullest row it fits (hand-worked)", () => {
  // lengths 5,3,4,2,6 into 8: 6→r0(2 left) 5→r1(3) 4→r2(4) 3→r1(0, the tighter fit) 2→r0(0)
  assert.deepEqual(bestFitRows([5, 3, 4, 2, 6], 8), [[4, 3], [0, 1], [2]]);
  assert.deepEqual(bestFitRows([8, 8], 8), [[0], [1]]);
  assert.throws(() => bestFitRows([9], 8), /exceeds seq_len/);
});

const sample = (ids: number[], trainFrom: number): ChatSample => ({
  ids: Int32Array.from(ids), targets: Int32Array.from(ids, (_, i) => (i >= trainFrom && i + 1 < ids.length ? ids[i + 1]! : -100)), where: "x",
});

test("a micro-batch packs into the fewest rows at the shortest row length that still fits them (hand-worked)", () => {
  // Best-fit at 512 makes rows of 500 and 140 (T 512, 384 padded positions); at 340 the same 2 rows are
  // [300] and [200, 140] (T 340, 40 padded).
  assert.deepEqual(bestFitRows([300, 200, 140], 512), [[0, 1], [2]]);
  assert.deepEqual(packRows([300, 200, 140], 512), [[0], [1, 2]]);
  const b = buildBatch([300, 200, 140].map((n) => sample(Array.from({ length: n }, (_, i) => 3 + (i % 50)), 1)), true, 512);
  assert.equal(b.B, 2);
  assert.equal(b.T, 340);
  assert.equal(b.realTokens, 640);
  assert.deepEqual(packRows([10, 10], 512), [[0, 1]]);
});

test("packed rows: segments contiguous, positions restart at 0, padding has its own segment and no target", () => {
  const s = [sample([1, 5, 6, 7, 8], 2), sample([1, 9, 10], 1), sample([1, 11, 12, 13], 1)];
  const b = buildBatch(s, true, 8);
  // Best-fit at 8 needs 2 rows; the shortest row length that keeps 2 rows is 7: [5] and [4, 3].
  assert.equal(b.B, 2);
  assert.equal(b.T, 7);
  assert.deepEqual(Array.from(b.ids.subarray(0, 5)), [1, 5, 6, 7, 8]);
  assert.deepEqual(Array.from(b.layout!.segIds!.subarray(0, 7)), [0, 0, 0, 0, 0, PAD_SEGMENT, PAD_SEGMENT]);
  assert.deepEqual(Array.from(b.targets.subarray(5, 7)), [-100, -100]);
  assert.deepEqual(Array.from(b.ids.subarray(7, 14)), [1, 11, 12, 13, 1, 9, 10]);
  assert.deepEqual(Array.from(b.layout!.pos!.subarray(7, 14)), [0, 1, 2, 3, 0, 1, 2]);
  assert.deepEqual(Array.from(b.layout!.segIds!.subarray(7, 14)), [0, 0, 0, 0, 1, 1, 1]);
  assert.deepEqual(Array.from(b.targets.subarray(7, 14)), [-100, 12, 13, -100, -100, 10, -100]);
  assert.equal(b.realTokens, 12);
  assert.equal(b.samples, 3);
  const p = buildBatch(s, false, 8);
  assert.equal(p.B, 3);
  assert.equal(p.T, 5);
  assert.equal(p.layout, undefined);
});

function perTokenLosses(model: Llama, b: SftBatch): Float32Array {
  const logits = model.forward(b.ids, b.B, b.T, b.layout);
  const losses = new Float32Array(b.B * b.T);
  native.crossEntropy(logits, b.targets, losses, null, b.B * b.T, model.config.vocabSize, 1);
  return losses;
}

test("a packed batch equals its samples one by one: per-sample losses and every gradient within 1e-5", async () => {
  const model = await Llama.load(tinyWorldModel());
  const tok = await Tokenizer.load(tinyWorldModel());
  const data = await loadChatDataset([path.join(tinyWorld(), "sft_val.jsonl")], tok, { seqLen: 512 });
  const samples = data.samples.slice(0, 12);
  const seqLen = 160;
  const packed = buildBatch(samples, true, seqLen);
  assert.ok(packed.B < samples.length && packed.B >= 2, `${packed.B} rows`);
  // Per-sample loss sums from the packed batch, found through segment ids and row.
  const lp = perTokenLosses(model, packed);
  const packedLoss: number[] = [];
  for (let b = 0; b < packed.B; b++) {
    let seg = -2;
    for (let t = 0; t < packed.T; t++) {
      const i = b * packed.T + t, s = packed.layout!.segIds![i]!;
      if (s === PAD_SEGMENT) continue;
      if (s !== seg) { packedLoss.push(0); seg = s; }
      packedLoss[packedLoss.length - 1]! += lp[i]!;
    }
  }
  // The same samples alone.
  const rows = packRows(samples.map((s) => s.ids.length), seqLen).flat();
  const alone = rows.map((i) => {
    const one = buildBatch([samples[i]!], false, seqLen);
    return perTokenLosses(model, one).reduce((a, x) => a + x, 0);
  });
  assert.equal(packedLoss.length, samples.length);
  packedLoss.forEach((l, k) => assert.ok(Math.abs(l - alone[k]!) <= 1e-5 * Math.max(1, Math.abs(alone[k]!)), `sample ${k}: ${l} vs ${alone[k]}`));

  // Gradients of the mean loss (the trainer's 1 / trained tokens): packed (one backward) vs one backward
  // per sample, accumulated; and padded to the longest.
  const scale = 1 / samples.reduce((a, s) => a + s.targets.filter((t) => t !== -100).length, 0);
  const grads = (batches: SftBatch[]): Float32Array[] => {
    model.zeroGrads();
    for (const b of batches) model.lmForwardBackward(b.ids, b.targets, b.B, b.T, scale, b.layout);
    return model.params.map((p) => Float32Array.from(p.grad!));
  };
  const gPacked = grads([packed]);
  const gAlone = grads(samples.map((s) => buildBatch([s], false, seqLen)));
  const gPadded = grads([buildBatch(samples, false, seqLen)]);
  let worst = 0, worstPad = 0, gmax = 0;
  model.params.forEach((p, k) => {
    for (let i = 0; i < p.grad!.length; i++) {
      gmax = Math.max(gmax, Math.abs(gAlone[k]![i]!));
      worst = Math.max(worst, Math.abs(gPacked[k]![i]! - gAlone[k]![i]!));
      worstPad = Math.max(worstPad, Math.abs(gPadded[k]![i]! - gAlone[k]![i]!));
    }
  });
  if (process.env.SFT_REPORT) console.log(JSON.stringify({ packedVsAlone: worst, paddedVsAlone: worstPad, maxGrad: gmax, rows: packed.B, T: packed.T }));
  assert.ok(gmax > 1e-3, "gradients are not trivially small");
  assert.ok(worst <= 1e-5, `packed vs one by one: max |dgrad| ${worst}`);
  assert.ok(worstPad <= 1e-5, `padded vs one by one: max |dgrad| ${worstPad}`);
  // Without segment ids the same packed rows would mix samples: the check above can fail.
  const leaky = { ...packed, layout: { pos: packed.layout!.pos } };
  const gLeaky = grads([leaky]);
  let leak = 0;
  model.params.forEach((p, k) => { for (let i = 0; i < p.grad!.length; i++) leak = Math.max(leak, Math.abs(gLeaky[k]![i]! - gAlone[k]![i]!)); });
  assert.ok(leak > 1e-3, `cross-contamination shows: ${leak}`);
});

test("the batch source counts samples, covers each epoch once in a seeded order, and resumes exactly", () => {
  const data = Array.from({ length: 10 }, (_, i) => sample([1, 100 + i, 3], 0));
  const src = new SftBatchSource(data, { batchSize: 4, seqLen: 16, packing: true, seed: 7 });
  const seen: number[] = [];
  for (let k = 0; k < 5; k++) {
    const b = src.next();
    assert.equal(b.samples, 4);
    for (let i = 0; i < b.ids.length; i++) if (b.ids[i]! >= 100) seen.push(b.ids[i]! - 100);
  }
  assert.deepEqual([...seen.slice(0, 10)].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual([...seen.slice(10, 20)].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual(seen.slice(0, 10), seen.slice(10, 20), "a fresh order each epoch");
  const a = new SftBatchSource(data, { batchSize: 3, seqLen: 16, packing: true, seed: 7 });
  for (let k = 0; k < 4; k++) a.next();
  const at = a.position;
  const next = a.next();
  const b = new SftBatchSource(data, { batchSize: 3, seqLen: 16, packing: true, seed: 7 });
  b.seek(at);
  assert.deepEqual(Array.from(b.next().ids), Array.from(next.ids));
  assert.throws(() => b.seek({ epoch: 0, cursor: 10 }), /not valid/);
});
