// Incremental detokenization for generation: byte-fallback pieces are held until they form complete
// UTF-8 characters, and sentencepiece's rule of dropping the dummy-prefix space applies only to the
// first text emitted — so the concatenated output equals Tokenizer.decode of all ids.
import { PieceKind, type TokenizerSpec } from "./spec.js";
import { decodeUtf8Lenient } from "./utf8.js";

/** Options of Tokenizer.createStreamDecoder. */
export interface StreamDecoderOptions {
  /** Skip control tokens such as <s> and </s> (default true). */
  skipSpecial?: boolean;
  /**
   * Drop the leading space of the first text (default: the tokenizer's rule, true for Llama). Pass
   * false when continuing text that already has output before it.
   */
  stripLeadingSpace?: boolean;
}

/** Decodes ids one at a time. */
export class StreamDecoder {
  private readonly bytes: number[] = [];
  private started = false;
  private readonly skip: boolean;
  private readonly strip: boolean;

  constructor(private readonly spec: TokenizerSpec, opts: StreamDecoderOptions = {}) {
    this.skip = opts.skipSpecial ?? true;
    this.strip = opts.stripLeadingSpace ?? spec.decode.stripLeadingSpace;
  }

  private emit(text: string, fromUnk = false): string {
    if (this.started || text.length === 0) return text;
    this.started = true;
    return this.strip && !fromUnk && text.startsWith(" ") ? text.slice(1) : text;
  }

  private drainBytes(final: boolean): string {
    if (this.bytes.length === 0) return "";
    const { text, consumed } = decodeUtf8Lenient(this.bytes, this.bytes.length, final);
    this.bytes.splice(0, consumed);
    return this.emit(text);
  }

  /** Adds one id; returns the text that is now complete (possibly ""). */
  push(id: number): string {
    const kind = this.spec.kinds[id];
    if (kind === undefined) throw new RangeError(`token id ${id} is outside the vocabulary (size ${this.spec.pieces.length})`);
    if (kind === PieceKind.Control && this.skip) return "";
    const piece = this.spec.pieces[id]!;
    if (kind === PieceKind.Byte) {
      this.bytes.push(parseInt(piece.slice(3, 5), 16));
      return this.drainBytes(false);
    }
    const before = this.drainBytes(true);
    const { space, unkSurface } = this.spec.decode;
    if (kind === PieceKind.Unknown && unkSurface !== null) return before + this.emit(unkSurface, true);
    return before + this.emit(piece.replaceAll(space, " "));
  }

  /** Returns whatever is held back (an incomplete character becomes U+FFFD). */
  flush(): string {
    return this.drainBytes(true);
  }
}
