// Statistics of a prepared token dataset: the unigram entropy of its train split — the best loss
// (nats/token) a model without context can reach, the bar a pretrained model must clearly beat.
import fs from "node:fs";
import path from "node:path";
import { readTokenIndex } from "./token-index.js";

/** Unigram entropy (nats/token) of the train split's token stream. */
export function unigramEntropy(dir: string): number {
  const idx = readTokenIndex(dir);
  const counts = new Float64Array(idx.vocab_size);
  let n = 0;
  for (const sh of idx.splits.train.shards) {
    const buf = fs.readFileSync(path.join(dir, sh.file));
    const ids = idx.dtype === "uint16"
      ? new Uint16Array(buf.buffer, buf.byteOffset, buf.length / 2)
      : new Uint32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    for (const id of ids) counts[id]++;
    n += ids.length;
  }
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n);
  return h;
}
