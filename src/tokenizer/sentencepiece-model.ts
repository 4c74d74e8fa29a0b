// Reads a SentencePiece `tokenizer.model` (protobuf ModelProto, sentencepiece_model.proto) into a
// TokenizerSpec: a hand-written reader for the few fields used (pieces: piece/score/type; trainer_spec:
// model_type, byte_fallback, special ids, unk_surface; normalizer_spec flags). BPE merge order follows
// bpe_model.cc: adjacent symbols merge when their concatenation is a piece, highest score first.
import { buildMergeTable, canSplitAtSpaces } from "./bpe.js";
import { TokenizerFormatError } from "./hf-json.js";
import { PieceKind, type AddedToken, type TokenizerSpec } from "./spec.js";

/** Minimal protobuf wire-format reader. */
class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array, readonly src: string) {}
  get done(): boolean { return this.pos >= this.buf.length; }
  /** A varint's low 32 bits as a signed int32 (enough for bools, enums and int32 fields). */
  varint(): number {
    let lo = 0, shift = 0;
    for (;;) {
      if (this.pos >= this.buf.length) throw new TokenizerFormatError(`${this.src}: truncated varint at byte ${this.pos}`);
      const b = this.buf[this.pos++]!;
      if (shift < 32) lo |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) return lo | 0;
      if (shift > 70) throw new TokenizerFormatError(`${this.src}: malformed varint at byte ${this.pos}`);
    }
  }
  bytes(): Uint8Array {
    const n = this.varint() >>> 0;
    if (this.pos + n > this.buf.length) throw new TokenizerFormatError(`${this.src}: field runs past the end at byte ${this.pos}`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  float(): number {
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new TokenizerFormatError(`${this.src}: unsupported protobuf wire type ${wire} at byte ${this.pos}`);
  }
  /** Calls fn(field, wire) for each field until the end. */
  fields(fn: (field: number, wire: number) => boolean): void {
    while (!this.done) {
      const tag = this.varint() >>> 0;
      if (!fn(tag >>> 3, tag & 7)) this.skip(tag & 7);
    }
  }
}

const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

interface SpPiece { piece: string; score: number; type: number }

/** Parses tokenizer.model bytes. `src` names the file in errors. */
export function specFromSentencePiece(buf: Uint8Array, src = "tokenizer.model"): TokenizerSpec {
  const pieces: SpPiece[] = [];
  const trainer = { modelType: 1, byteFallback: false, unkId: 0, bosId: 1, eosId: 2, padId: -1, unkSurface: " \u2047 ", wsSuffix: false };
  const norm = { name: "", charsmap: 0, addDummyPrefix: true, removeExtra: true, escape: true };
  const r = new Reader(buf, src);
  r.fields((f, w) => {
    if (f === 1 && w === 2) {
      const p = new Reader(r.bytes(), src);
      const sp: SpPiece = { piece: "", score: 0, type: PieceKind.Normal };
      p.fields((g, w2) => {
        if (g === 1 && w2 === 2) sp.piece = text.decode(p.bytes());
        else if (g === 2 && w2 === 5) sp.score = p.float();
        else if (g === 3 && w2 === 0) sp.type = p.varint();
        else return false;
        return true;
      });
      if (sp.piece === "") throw new TokenizerFormatError(`${src}: pieces[${pieces.length}].piece is empty`);
      pieces.push(sp);
    } else if (f === 2 && w === 2) {
      const t = new Reader(r.bytes(), src);
      t.fields((g, w2) => {
        if (w2 === 0 && g === 3) trainer.modelType = t.varint();
        else if (w2 === 0 && g === 35) trainer.byteFallback = t.varint() !== 0;
        else if (w2 === 0 && g === 24) trainer.wsSuffix = t.varint() !== 0;
        else if (w2 === 0 && g === 40) trainer.unkId = t.varint();
        else if (w2 === 0 && g === 41) trainer.bosId = t.varint();
        else if (w2 === 0 && g === 42) trainer.eosId = t.varint();
        else if (w2 === 0 && g === 43) trainer.padId = t.varint();
        else if (w2 === 2 && g === 44) trainer.unkSurface = text.decode(t.bytes());
        else return false;
        return true;
      });
    } else if (f === 3 && w === 2) {
      const n = new Reader(r.bytes(), src);
      n.fields((g, w2) => {
        if (w2 === 2 && g === 1) norm.name = text.decode(n.bytes());
        else if (w2 === 2 && g === 2) norm.charsmap = n.bytes().length;
        else if (w2 === 0 && g === 3) norm.addDummyPrefix = n.varint() !== 0;
        else if (w2 === 0 && g === 4) norm.removeExtra = n.varint() !== 0;
        else if (w2 === 0 && g === 5) norm.escape = n.varint() !== 0;
        else return false;
        return true;
      });
    } else return false;
    return true;
  });
  if (pieces.length === 0) throw new TokenizerFormatError(`${src}: no pieces (not a sentencepiece model?)`);
  if (trainer.modelType !== 2)
    throw new TokenizerFormatError(`${src}: trainer_spec.model_type ${trainer.modelType} is not supported (only BPE = 2)`);
  if (trainer.wsSuffix) throw new TokenizerFormatError(`${src}: trainer_spec.treat_whitespace_as_suffix is not supported`);
  if (norm.charsmap > 0)
    throw new TokenizerFormatError(`${src}: normalizer_spec.precompiled_charsmap (rule "${norm.name}") is not supported; use normalization_rule_name=identity as Llama does`);

  const n = pieces.length;
  const kinds = new Uint8Array(n);
  const pieceToId = new Map<string, number>();
  const mergeable = new Map<string, number>(); // NORMAL and UNUSED: bpe_model.cc's pieces_ minus frozen user-defined
  const added: AddedToken[] = [];
  const byteIds = trainer.byteFallback ? new Int32Array(256).fill(-1) : null;
  let unkId = -1;
  pieces.forEach((p, id) => {
    kinds[id] = p.type;
    if (pieceToId.has(p.piece)) throw new TokenizerFormatError(`${src}: pieces[${id}] "${p.piece}" is already defined`);
    pieceToId.set(p.piece, id);
    if (p.type === PieceKind.Normal || p.type === PieceKind.Unused) mergeable.set(p.piece, id);
    else if (p.type === PieceKind.UserDefined) added.push({ id, content: p.piece, lstrip: false, rstrip: false, singleWord: false });
    else if (p.type === PieceKind.Unknown) unkId = id;
    else if (p.type === PieceKind.Byte) {
      const m = /^<0x([0-9A-F]{2})>$/.exec(p.piece);
      if (!m || byteIds === null) throw new TokenizerFormatError(`${src}: byte piece pieces[${id}] "${p.piece}" is invalid or byte_fallback is off`);
      byteIds[parseInt(m[1]!, 16)] = id;
    }
  });
  if (unkId < 0) throw new TokenizerFormatError(`${src}: no piece has type UNKNOWN`);
  if (byteIds !== null && byteIds.includes(-1)) throw new TokenizerFormatError(`${src}: byte_fallback is on but not all 256 <0xXX> pieces exist`);

  // Every split of a mergeable piece into two mergeable pieces is a rule ranked by the piece's score.
  const rules: Array<[number, number, number, number]> = [];
  const charIds = new Map<string, number>();
  for (const [piece, id] of mergeable) {
    const chars = [...piece];
    if (chars.length === 1) { charIds.set(piece, id); continue; }
    let left = "";
    for (let i = 0; i + 1 < chars.length; i++) {
      left += chars[i];
      const a = mergeable.get(left), b = mergeable.get(piece.slice(left.length));
      if (a !== undefined && b !== undefined) rules.push([a, b, id, -pieces[id]!.score]);
    }
  }
  const table = buildMergeTable(rules);
  const names = pieces.map((p) => p.piece);
  const valid = (id: number): number => (id >= 0 && id < n ? id : -1);
  return {
    source: src, pieces: names, kinds, pieceToId,
    bpe: {
      merges: table, charIds, byteIds, unkId, fuseUnk: true, wholeWords: null,
      unused: kinds.includes(PieceKind.Unused) ? kinds.map((k) => (k === PieceKind.Unused ? 1 : 0)) : null,
    },
    splitAtSpaces: canSplitAtSpaces(names, table),
    addedTokens: added, addedOnNormalized: true,
    normalization: { kind: "sentencepiece", addDummyPrefix: norm.addDummyPrefix, removeExtraWhitespaces: norm.removeExtra, escapeWhitespaces: norm.escape },
    decode: { space: "\u2581", stripLeadingSpace: norm.addDummyPrefix || norm.removeExtra, unkSurface: trainer.unkSurface },
    bosId: valid(trainer.bosId), eosId: valid(trainer.eosId), padId: valid(trainer.padId), unkId,
    addBos: true, addEos: false,
    scores: Float32Array.from(pieces, (p) => p.score),
  };
}
