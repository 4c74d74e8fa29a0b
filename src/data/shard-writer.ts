// Writes one split's token stream as a sequence of binary shards of at most `shardTokens`
// tokens. Each shard is written to a temp file and renamed when complete, so an interrupted
// `data prepare` never leaves a shard that looks finished but is not.
import fs from "node:fs";
import path from "node:path";
import { fsyncDir, tempPathFor } from "../io/atomic-file.js";
import { shardName, type ShardEntry, type SplitName, type TokenDtype } from "./token-index.js";

export class ShardWriter {
  readonly shards: ShardEntry[] = [];
  /** Tokens written to completed and current shards. */
  tokens = 0;
  private fd: number | null = null;
  private tmp = "";
  private inShard = 0;
  private readonly buf: Uint16Array | Uint32Array;
  private used = 0;

  constructor(
    private readonly dir: string,
    private readonly split: SplitName,
    private readonly dtype: TokenDtype,
    private readonly shardTokens: number,
    bufferTokens = 1 << 20,
  ) {
    if (!(shardTokens > 0)) throw new Error(`shard size must be > 0 tokens, got ${shardTokens}`);
    this.buf = dtype === "uint16" ? new Uint16Array(bufferTokens) : new Uint32Array(bufferTokens);
  }

  /** Appends token ids (already range-checked by the caller against the vocabulary). */
  write(ids: ArrayLike<number>): void {
    let i = 0;
    while (i < ids.length) {
      if (this.fd === null) this.open();
      const room = Math.min(this.buf.length - this.used, this.shardTokens - this.inShard);
      const n = Math.min(room, ids.length - i);
      for (let j = 0; j < n; j++) this.buf[this.used + j] = ids[i + j];
      this.used += n;
      this.inShard += n;
      this.tokens += n;
      i += n;
      if (this.used === this.buf.length) this.flush();
      if (this.inShard === this.shardTokens) this.closeShard();
    }
  }

  /** Completes the last shard; returns the list of shards. */
  finish(): ShardEntry[] {
    if (this.fd !== null) this.closeShard();
    return this.shards;
  }

  /** Removes the temp file of an unfinished shard (on error). */
  abort(): void {
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
      fs.rmSync(this.tmp, { force: true });
    }
  }

  private open(): void {
    const final = path.join(this.dir, shardName(this.split, this.shards.length));
    this.tmp = tempPathFor(final);
    this.fd = fs.openSync(this.tmp, "w");
    this.inShard = 0;
  }

  private flush(): void {
    if (this.used === 0 || this.fd === null) return;
    // Shards are little-endian, as is every platform Node supports for this addon (x86-64, arm64).
    fs.writeSync(this.fd, new Uint8Array(this.buf.buffer, 0, this.used * this.buf.BYTES_PER_ELEMENT));
    this.used = 0;
  }

  private closeShard(): void {
    this.flush();
    const fd = this.fd as number;
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    this.fd = null;
    const file = shardName(this.split, this.shards.length);
    fs.renameSync(this.tmp, path.join(this.dir, file));
    fsyncDir(this.dir);
    this.shards.push({ file, tokens: this.inShard });
  }
}
