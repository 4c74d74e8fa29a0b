// `llama2 data prepare`: tokenizes text files into binary token shards for pretraining
// (llama2-recipe.md §Pretraining: documents packed into one stream, each wrapped in <s> … </s>).
// Every `1/valFraction`-th document goes to the val split, spread evenly through the corpus.
// Restartable: an old index is removed first, shards appear only when complete (temp + rename),
// stale shards are removed and the index is written last — no index, no dataset.
import fs from "node:fs";
import path from "node:path";
import { readDocuments } from "./documents.js";
import { EncodePool } from "./encode-pool.js";
import { ShardWriter } from "./shard-writer.js";
import {
  INDEX_FILE, INDEX_FORMAT, SHARD_PATTERN, dtypeForVocab, writeTokenIndex,
  type SplitName, type TokenIndex,
} from "./token-index.js";

/** What data prepare needs from a tokenizer (src/tokenizer/tokenizer.ts satisfies it). */
export interface DocumentEncoder {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  encode(text: string, opts: { bos: boolean; eos: boolean; parseSpecial?: boolean }): ArrayLike<number>;
}

export interface PrepareProgress {
  bytes: number;
  totalBytes: number;
  tokens: number;
  documents: number;
  file: string;
}

/** Options of prepareTokens (`llama2 data prepare`). */
export interface PrepareOptions {
  inputs: string[];
  out: string;
  encoder: DocumentEncoder;
  /** Recorded in the index. */
  tokenizerPath: string;
  /** Fraction of documents held out for validation (default 0.01). */
  valFraction?: number;
  /** Max tokens per shard (default 100M, ~200 MB as uint16). */
  shardTokens?: number;
  /** Called as input is read (bytes, documents, tokens so far). */
  onProgress?: (p: PrepareProgress) => void;
  /**
   * Tokenize in `workers` worker threads, each loading the tokenizer from `tokenizerDir` (must be
   * the same tokenizer as `encoder`); output is identical to single-threaded. 0 = in this thread.
   */
  workers?: number;
  tokenizerDir?: string;
  /** Read <s>, </s> (special tokens) written in the text as control tokens (default false: they are text, as in sentencepiece). */
  parseSpecial?: boolean;
}

/** Documents per worker batch are cut at this many UTF-16 code units. */
const BATCH_CHARS = 1 << 18;

/** Tokenizes `inputs` into shards under `out`; returns the index written last. */
export async function prepareTokens(opts: PrepareOptions): Promise<TokenIndex> {
  const valFraction = opts.valFraction ?? 0.01;
  if (!(valFraction >= 0 && valFraction < 1)) throw new Error(`--val-fraction must be in [0, 1), got ${valFraction}`);
  if (opts.inputs.length === 0) throw new Error("data prepare: no --input files");
  const sources = opts.inputs.map((file) => {
    if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
    return { file, bytes: fs.statSync(file).size };
  });
  const { encoder } = opts;
  const V = encoder.vocabSize;
  const dtype = dtypeForVocab(V);
  fs.mkdirSync(opts.out, { recursive: true });
  // An earlier index would describe shards this run is about to overwrite: remove it first.
  fs.rmSync(path.join(opts.out, INDEX_FILE), { force: true });
  removeLeftovers(opts.out, () => true, /\.tmp-\d+$/);

  const shardTokens = opts.shardTokens ?? 100_000_000;
  const writers: Record<SplitName, ShardWriter> = {
    train: new ShardWriter(opts.out, "train", dtype, shardTokens),
    val: new ShardWriter(opts.out, "val", dtype, shardTokens),
  };
  const docs: Record<SplitName, number> = { train: 0, val: 0 };
  const totalBytes = sources.reduce((a, s) => a + s.bytes, 0);
  let bytes = 0;
  let n = 0; // documents seen
  let currentFile = "";
  const emit = (ids: ArrayLike<number>, file: string, line: number): void => {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < V && Number.isInteger(id)))
        throw new Error(`${file}:${line}: tokenizer produced id ${id} outside [0, ${V})`);
    }
    // Document n is held out when the running count of val documents ticks over.
    const split: SplitName = Math.floor((n + 1) * valFraction) > Math.floor(n * valFraction) ? "val" : "train";
    writers[split].write(ids);
    docs[split]++;
    n++;
    opts.onProgress?.({ bytes, totalBytes, tokens: writers.train.tokens + writers.val.tokens, documents: n, file: currentFile });
  };
  const workers = opts.workers ?? 0;
  if (workers > 0 && !opts.tokenizerDir) throw new Error("data prepare: workers need tokenizerDir");
  const pool = workers > 0 ? await EncodePool.start(opts.tokenizerDir!, workers, opts.parseSpecial === true) : null;
  // In-flight batches, awaited in submission order so the stream does not depend on thread timing.
  const queue: { result: Promise<{ ids: Int32Array; lengths: Int32Array }>; where: [string, number][] }[] = [];
  const drainOne = async (): Promise<void> => {
    const b = queue.shift()!;
    const r = await b.result;
    let o = 0;
    b.where.forEach(([file, line], i) => {
      emit(r.ids.subarray(o, o + r.lengths[i]), file, line);
      o += r.lengths[i];
    });
  };
  let texts: string[] = [];
  let where: [string, number][] = [];
  let chars = 0;
  const submit = (): void => {
    if (texts.length === 0) return;
    const result = pool!.encode(texts);
    result.catch(() => undefined); // awaited (and rethrown) by drainOne; avoid an unhandled rejection meanwhile
    queue.push({ result, where });
    texts = [];
    where = [];
    chars = 0;
  };
  try {
    for (const src of sources) {
      currentFile = src.file;
      for await (const doc of readDocuments(src.file, (b) => { bytes += b; })) {
        if (doc.text.length === 0) continue;
        if (!pool) {
          emit(encoder.encode(doc.text, { bos: true, eos: true, parseSpecial: opts.parseSpecial === true }), doc.file, doc.line);
          continue;
        }
        texts.push(doc.text);
        where.push([doc.file, doc.line]);
        chars += doc.text.length;
        if (chars >= BATCH_CHARS) {
          submit();
          while (queue.length >= 2 * workers) await drainOne();
        }
      }
    }
    if (pool) {
      submit();
      while (queue.length > 0) await drainOne();
    }
  } catch (e) {
    writers.train.abort();
    writers.val.abort();
    throw e;
  } finally {
    await pool?.close();
  }
  const index: TokenIndex = {
    format: INDEX_FORMAT,
    version: 1,
    dtype,
    vocab_size: V,
    bos_id: encoder.bosId,
    eos_id: encoder.eosId,
    tokenizer: opts.tokenizerPath,
    txt_documents: "paragraph",
    val_fraction: valFraction,
    splits: {
      train: { tokens: writers.train.tokens, documents: docs.train, shards: writers.train.finish() },
      val: { tokens: writers.val.tokens, documents: docs.val, shards: writers.val.finish() },
    },
    sources,
  };
  // Shards of an earlier, larger run that this index does not list.
  const keep = new Set([...index.splits.train.shards, ...index.splits.val.shards].map((s) => s.file));
  removeLeftovers(opts.out, (f) => !keep.has(f), SHARD_PATTERN);
  writeTokenIndex(opts.out, index);
  return index;
}

function removeLeftovers(dir: string, remove: (f: string) => boolean, pattern: RegExp): void {
  for (const f of fs.readdirSync(dir)) if (pattern.test(f) && remove(f)) fs.rmSync(path.join(dir, f), { force: true });
}
