// The token loader (src/data/token-loader.ts): T+1 windows across shards, seeded per-epoch order, exact seek.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { TokenLoader } from "../../src/data/token-loader.js";
import { INDEX_FORMAT, writeTokenIndex, type TokenIndex } from "../../src/data/token-index.js";
import { tempDir } from "../helpers/tmp.js";

/** A dataset whose train stream is 0, 1, 2, …, n-1 split over shards of `per` tokens. */
function counting(n: number, per: number): string {
  const dir = tempDir("loader-");
  const shards = [];
  for (let s = 0; s * per < n; s++) {
    const len = Math.min(per, n - s * per);
    const arr = Uint16Array.from({ length: len }, (_, i) => s * per + i);
    const file = `train-${String(s).padStart(5, "0")}.bin`;
    fs.writeFileSync(path.join(dir, file), Buffer.from(arr.buffer));
    shards.push({ file, tokens: len });
  }
  const index: TokenIndex = {
    format: INDEX_FORMAT, version: 1, dtype: "uint16", vocab_size: 65535, bos_id: 1, eos_id: 2, tokenizer: "t",
    txt_documents: "paragraph", val_fraction: 0, sources: [],
    splits: { train: { tokens: n, documents: 1, shards }, val: { tokens: 0, documents: 0, shards: [] } },
  };
  writeTokenIndex(dir, index);
  return dir;
}

test("windows are T+1 contiguous tokens across shard boundaries; targets are ids shifted by one", () => {
  const dir = counting(1000, 37);
  const T = 8;
  const loader = new TokenLoader(dir, "train", { B: 4, T, seed: 1 });
  assert.equal(loader.numWindows, Math.floor(999 / T));
  const seen = new Set<number>();
  for (let k = 0; k < 10; k++) {
    const { ids, targets } = loader.next();
    for (let b = 0; b < 4; b++) {
      const start = ids[b * T];
      assert.equal(start % T, 0, "windows start on multiples of T");
      for (let t = 0; t < T; t++) {
        assert.equal(ids[b * T + t], start + t);
        assert.equal(targets[b * T + t], start + t + 1);
      }
      assert.ok(!seen.has(start), "no window repeats within an epoch");
      seen.add(start);
    }
  }
});

test("the order is fixed by the seed, differs between seeds and epochs, and covers each window once per epoch", () => {
  const dir = counting(401, 100);
  const starts = (l: TokenLoader, n: number): number[] => Array.from({ length: n }, () => l.next().ids[0]);
  const a = starts(new TokenLoader(dir, "train", { B: 1, T: 4, seed: 7 }), 200);
  const b = starts(new TokenLoader(dir, "train", { B: 1, T: 4, seed: 7 }), 200);
  const c = starts(new TokenLoader(dir, "train", { B: 1, T: 4, seed: 8 }), 200);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.deepEqual([...a.slice(0, 100)].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i * 4));
  assert.notDeepEqual(a.slice(0, 100), a.slice(100, 200), "a new epoch has a new order");
});

test("seeking to a saved position serves exactly the batches the uninterrupted loader serves", () => {
  const dir = counting(5000, 333);
  const full = new TokenLoader(dir, "train", { B: 3, T: 16, seed: 3 });
  const seq = Array.from({ length: 250 }, () => full.next().ids); // crosses epochs (312 windows / 3 per batch)
  const first = new TokenLoader(dir, "train", { B: 3, T: 16, seed: 3 });
  for (let i = 0; i < 120; i++) first.next();
  const pos = JSON.parse(JSON.stringify(first.position));
  const resumed = new TokenLoader(dir, "train", { B: 3, T: 16, seed: 3 });
  resumed.seek(pos);
  for (let i = 120; i < 250; i++) assert.deepEqual(resumed.next().ids, seq[i], `batch ${i}`);
});

test("a split smaller than one batch, or a missing shard, is an error naming the dataset", () => {
  const dir = counting(20, 20);
  assert.throws(() => new TokenLoader(dir, "train", { B: 4, T: 8, seed: 0 }), /fewer than one batch/);
  fs.rmSync(path.join(dir, "train-00000.bin"));
  assert.throws(() => new TokenLoader(dir, "train", { B: 1, T: 2, seed: 0 }), /shard "train-00000.bin" is missing/);
});
