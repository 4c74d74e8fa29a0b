// `llama2 bench sft --model DIR --data FILE.jsonl [--batch 16] [--seq-len 512] [--rounds 3] [--steps N] [--json]`:
// SFT training throughput (forward + backward, sample tokens per second) with packing against padding
// every sample to the longest of its micro-batch, measured alternately in the same run, and the padded
// fraction of positions of each over one epoch of the data (paper §3.1 packing; issue 11 "Measure").
import { defineCommand, parseFlags } from "../../args.js";
import { loadChatDataset } from "../../../data/chat-data.js";
import { SftBatchSource, type SftBatch } from "../../../data/sft-batches.js";
import { Llama } from "../../../model/llama.js";
import { native } from "../../../native/addon.js";
import { loadTokenizer } from "../../../tokenizer/resolve.js";
import { summarize } from "../../../bench/timing.js";

export const command = defineCommand({
  name: "bench sft",
  summary: "SFT tokens/s with best-fit packing vs padding to the longest sample, and the padded fraction of each",
  options: {
    model: { type: "string", value: "DIR", required: true, description: "causal LM directory with its tokenizer (e.g. test/fixtures/tiny-world)" },
    data: { type: "string", value: "FILE", required: true, multiple: true, description: "SFT JSONL rows (e.g. a world's sft_train.jsonl)" },
    batch: { type: "string", value: "N", default: 16, description: "samples per micro-batch" },
    "seq-len": { type: "string", value: "T", default: 512, description: "packed row length (and truncation length)" },
    steps: { type: "string", value: "N", default: 20, description: "timed micro-batches per mode per round" },
    rounds: { type: "string", value: "R", default: 3, description: "alternating rounds (packing, padding, packing, ...)" },
    json: { type: "boolean", description: "print the result as JSON on stdout" },
  },
  examples: ["llama2 bench sft --model test/fixtures/tiny-world --data world/sft_train.jsonl --json"],
});

/** Positions and sample tokens over one epoch of micro-batches. */
function epochFill(src: SftBatchSource, batches: number): { positions: number; real: number; rows: number } {
  let positions = 0, real = 0, rows = 0;
  for (let i = 0; i < batches; i++) {
    const b = src.next();
    positions += b.B * b.T; real += b.realTokens; rows += b.B;
  }
  return { positions, real, rows };
}

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(command, argv);
  const dir = f.str("model");
  const model = await Llama.load(dir);
  const tok = await loadTokenizer(dir);
  const bs = f.int("batch"), seqLen = Math.min(f.int("seq-len"), model.config.maxPositionEmbeddings);
  const steps = f.int("steps"), rounds = f.int("rounds");
  const data = await loadChatDataset(f.list("data"), tok, { seqLen });
  const perEpoch = Math.ceil(data.samples.length / bs);
  const source = (packing: boolean) => new SftBatchSource(data.samples, { batchSize: bs, seqLen, packing, seed: 1 });
  const fill = { packing: epochFill(source(true), perEpoch), padding: epochFill(source(false), perEpoch) };
  // The same micro-batches (same samples, in the same order) for both modes.
  const batches = { packing: [] as SftBatch[], padding: [] as SftBatch[] };
  const sp = source(true), sd = source(false);
  for (let i = 0; i < steps; i++) { batches.packing.push(sp.next()); batches.padding.push(sd.next()); }
  const time = (bs: SftBatch[]): number => {
    const t0 = process.hrtime.bigint();
    let real = 0;
    for (const b of bs) {
      model.zeroGrads();
      model.lmForwardBackward(b.ids, b.targets, b.B, b.T, 1e-3, b.layout);
      real += b.realTokens;
    }
    return real / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  time(batches.packing.slice(0, 2)); time(batches.padding.slice(0, 2)); // warm-up (buffers grow to their size)
  const tps = { packing: [] as number[], padding: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    tps.packing.push(time(batches.packing));
    tps.padding.push(time(batches.padding));
    if (!f.bool("json")) process.stderr.write(`round ${r + 1}/${rounds}: packing ${tps.packing[r]!.toFixed(0)} tok/s, padding ${tps.padding[r]!.toFixed(0)} tok/s\n`);
  }
  const med = { packing: summarize(tps.packing), padding: summarize(tps.padding) };
  const result = {
    packing: { tokens_per_s: med.packing.median, min: med.packing.min, max: med.packing.max, padded_fraction: 1 - fill.packing.real / fill.packing.positions, rows_per_batch: fill.packing.rows / perEpoch },
    padding: { tokens_per_s: med.padding.median, min: med.padding.min, max: med.padding.max, padded_fraction: 1 - fill.padding.real / fill.padding.positions, rows_per_batch: fill.padding.rows / perEpoch },
    speedup: med.packing.median / med.padding.median,
    samples: data.samples.length, batch: bs, seq_len: seqLen, steps, rounds, threads: native.threadCount(),
  };
  if (f.bool("json")) console.log(JSON.stringify(result));
  else {
    for (const k of ["packing", "padding"] as const)
      console.log(`${k.padEnd(8)} ${result[k].tokens_per_s.toFixed(0)} sample tokens/s (min ${result[k].min.toFixed(0)}, max ${result[k].max.toFixed(0)}), ` +
        `padded ${(result[k].padded_fraction * 100).toFixed(1)}% of positions, ${result[k].rows_per_batch.toFixed(2)} rows per micro-batch`);
    console.log(`packing / padding: ${result.speedup.toFixed(2)}x`);
  }
}
