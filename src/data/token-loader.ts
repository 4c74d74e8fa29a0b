// Serves pretraining batches from prepared token shards: the split's shards form one token
// stream, cut into non-overlapping windows of T+1 tokens (window w = tokens [wT, wT+T], as in
// llm.c's dataloader); ids are the first T, targets the last T (already shifted). Each epoch
// visits every window once in an order fixed by (seed, epoch), so the position {epoch, cursor}
// is all a checkpoint needs to resume the exact same batches.
import fs from "node:fs";
import path from "node:path";
import { Rng, permutation } from "../model/rng.js";
import { dtypeBytes, readTokenIndex, type SplitName, type TokenIndex } from "./token-index.js";

/** Where the loader is: `cursor` windows of epoch `epoch` have been served. */
export interface LoaderPosition {
  epoch: number;
  cursor: number;
}

/** One batch: ids[B,T] and targets[B,T] (targets[b,t] = ids[b,t+1] of the same window). */
export interface TokenBatch {
  ids: Int32Array;
  targets: Int32Array;
  B: number;
  T: number;
}

export interface TokenLoaderOptions {
  B: number;
  T: number;
  seed: number;
  /** Shuffle windows each epoch (train) or serve them in order (eval). Default true. */
  shuffle?: boolean;
}

export class TokenLoader implements Iterable<TokenBatch> {
  readonly index: TokenIndex;
  readonly numTokens: number;
  /** Windows of T+1 tokens in the split. */
  readonly numWindows: number;
  private readonly fds: number[] = [];
  private readonly starts: number[] = []; // first global token of each shard
  private readonly lens: number[] = [];
  private readonly bytes: number;
  private readonly buf: Buffer;
  private order: Uint32Array | null = null;
  private pos: LoaderPosition = { epoch: 0, cursor: 0 };

  constructor(readonly dir: string, readonly split: SplitName, readonly opts: TokenLoaderOptions) {
    this.index = readTokenIndex(dir);
    const { B, T } = opts;
    if (!(Number.isInteger(B) && B > 0 && Number.isInteger(T) && T > 0)) throw new Error(`loader: B and T must be positive integers, got B=${B} T=${T}`);
    this.bytes = dtypeBytes(this.index.dtype);
    let start = 0;
    for (const sh of this.index.splits[split].shards) {
      this.fds.push(fs.openSync(path.join(dir, sh.file), "r"));
      this.starts.push(start);
      this.lens.push(sh.tokens);
      start += sh.tokens;
    }
    this.numTokens = start;
    this.numWindows = Math.max(0, Math.floor((this.numTokens - 1) / T));
    if (this.numWindows < B)
      throw new Error(`${dir}: the ${split} split has ${this.numTokens} tokens, fewer than one batch of ${B} × ${T + 1}`);
    this.buf = Buffer.alloc((T + 1) * this.bytes);
  }

  get position(): LoaderPosition {
    return { ...this.pos };
  }

  /** Continues from a saved position (the same dataset, B, T and seed). */
  seek(pos: LoaderPosition): void {
    if (!(Number.isInteger(pos.epoch) && pos.epoch >= 0 && Number.isInteger(pos.cursor) && pos.cursor >= 0 && pos.cursor <= this.numWindows))
      throw new Error(`loader: invalid position ${JSON.stringify(pos)} for ${this.numWindows} windows`);
    if (pos.epoch !== this.pos.epoch) this.order = null;
    this.pos = { ...pos };
  }

  /** The next batch; wraps to a new epoch (new order) when fewer than B windows remain. */
  next(): TokenBatch {
    const { B, T } = this.opts;
    if (this.pos.cursor + B > this.numWindows) {
      this.pos = { epoch: this.pos.epoch + 1, cursor: 0 };
      this.order = null;
    }
    const order = this.windowOrder();
    const ids = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const w = order ? order[this.pos.cursor + b] : this.pos.cursor + b;
      const win = this.read(w * T, T + 1);
      ids.set(win.subarray(0, T), b * T);
      targets.set(win.subarray(1, T + 1), b * T);
    }
    this.pos.cursor += B;
    return { ids, targets, B, T };
  }

  *[Symbol.iterator](): Iterator<TokenBatch> {
    for (;;) yield this.next();
  }

  close(): void {
    for (const fd of this.fds) fs.closeSync(fd);
    this.fds.length = 0;
  }

  private windowOrder(): Uint32Array | null {
    if (this.opts.shuffle === false) return null;
    if (!this.order) this.order = permutation(this.numWindows, new Rng([this.opts.seed >>> 0, this.pos.epoch >>> 0, 0x5eed, 1]));
    return this.order;
  }

  /** Tokens [start, start+n) of the split's stream, across shard boundaries. */
  private read(start: number, n: number): Int32Array {
    const out = new Int32Array(n);
    let done = 0;
    let s = this.shardOf(start);
    while (done < n) {
      const local = start + done - this.starts[s];
      const take = Math.min(n - done, this.lens[s] - local);
      const nb = take * this.bytes;
      const got = fs.readSync(this.fds[s], this.buf, 0, nb, local * this.bytes);
      if (got !== nb) throw new Error(`${this.dir}: short read in ${this.index.splits[this.split].shards[s].file}`);
      const view = this.bytes === 2
        ? new Uint16Array(this.buf.buffer, this.buf.byteOffset, take)
        : new Uint32Array(this.buf.buffer, this.buf.byteOffset, take);
      out.set(view, done);
      done += take;
      s++;
    }
    return out;
  }

  private shardOf(token: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= token) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
