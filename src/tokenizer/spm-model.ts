// A SentencePiece tokenizer.model (sentencepiece_model.proto ModelProto) for a trained vocabulary,
// so sentencepiece and llama.cpp-style tools can load it: pieces with scores and types, a BPE
// trainer_spec with Llama 2's switches, and the identity normalizer with the dummy prefix.
import type { TrainerOptions, VocabPiece } from "./trainer.js";

const TYPE_CODE: Record<VocabPiece["type"], number> = { normal: 1, unknown: 2, control: 3, user: 4, byte: 6 };

/** Minimal protobuf writer: varints, length-delimited fields and fixed32 floats. */
class ProtoWriter {
  private bytes: number[] = [];
  private varint(v: bigint): void {
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) { this.bytes.push(Number(x & 0x7fn) | 0x80); x >>= 7n; }
    this.bytes.push(Number(x));
  }
  private tag(field: number, wire: number): void { this.varint(BigInt((field << 3) | wire)); }
  int(field: number, v: number): this { this.tag(field, 0); this.varint(BigInt(v)); return this; }
  bool(field: number, v: boolean): this { return this.int(field, v ? 1 : 0); }
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = Buffer.alloc(4); b.writeFloatLE(v); this.bytes.push(...b);
    return this;
  }
  bytesField(field: number, data: Uint8Array): this {
    this.tag(field, 2); this.varint(BigInt(data.length));
    for (const x of data) this.bytes.push(x);
    return this;
  }
  str(field: number, s: string): this { return this.bytesField(field, Buffer.from(s, "utf8")); }
  msg(field: number, w: ProtoWriter): this { return this.bytesField(field, w.finish()); }
  finish(): Uint8Array { return Uint8Array.from(this.bytes); }
}

/** Serializes the vocabulary as a SentencePiece ModelProto (model_type BPE, byte_fallback). */
export function writeSentencePieceModel(pieces: readonly VocabPiece[], o: TrainerOptions): Uint8Array {
  const m = new ProtoWriter();
  for (const p of pieces) {
    const w = new ProtoWriter().str(1, p.piece).float(2, p.score);
    if (p.type !== "normal") w.int(3, TYPE_CODE[p.type]);
    m.msg(1, w);
  }
  const t = new ProtoWriter()
    .int(3, 2) // model_type BPE
    .int(4, pieces.length)
    .float(10, o.characterCoverage)
    .int(18, o.maxSentenceLength)
    .int(20, o.maxPieceLength)
    .bool(21, o.splitByUnicodeScript)
    .bool(22, true) // split_by_whitespace
    .bool(23, o.splitByNumber)
    .bool(24, false) // treat_whitespace_as_suffix
    .bool(25, o.splitDigits)
    .bool(26, o.allowWhitespaceOnlyPieces);
  for (const s of o.userDefinedSymbols) t.str(31, s);
  t.bool(35, true) // byte_fallback
    .int(40, 0).int(41, 1).int(42, 2).int(43, -1);
  m.msg(2, t);
  const n = new ProtoWriter().str(1, "identity").bool(3, true).bool(4, false).bool(5, true);
  m.msg(3, n);
  return m.finish();
}
