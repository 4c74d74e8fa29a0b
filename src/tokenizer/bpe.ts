// The BPE merge engine shared by tokenizer.json and tokenizer.model: a word starts as one symbol per
// Unicode character (byte-fallback <0xXX> symbols for characters outside the vocabulary) and the
// adjacent pair with the lowest rank is merged, leftmost first on ties, until none is left — HF
// tokenizers' `Word::merge_all` (rank = merge index) and sentencepiece's bpe_model.cc (rank = -score).

/**
 * The merge rules: (left id, right id) → rank and merged id, in an open-addressing hash table of
 * typed arrays (a JS Map of numeric keys was the encoder's bottleneck).
 */
export interface MergeTable {
  left: Int32Array;
  right: Int32Array;
  /** Lower merges first. */
  rank: Float64Array;
  merged: Int32Array;
  /** Rule index + 1 per slot, 0 = empty; length a power of two. */
  slots: Int32Array;
  mask: number;
}

const slotOf = (a: number, b: number, mask: number): number => (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) & mask;

/** The rule index of the pair (a, b), or -1. */
export function findMerge(t: MergeTable, a: number, b: number): number {
  for (let s = slotOf(a, b, t.mask); ; s = (s + 1) & t.mask) {
    const r = t.slots[s]!;
    if (r === 0) return -1;
    if (t.left[r - 1] === a && t.right[r - 1] === b) return r - 1;
  }
}

/** Everything the engine needs to turn one pre-tokenized word into ids. */
export interface BpeModel {
  merges: MergeTable;
  /** Single characters that are pieces (initial symbols). */
  charIds: Map<string, number>;
  /** The same for UTF-16 code units below 0x10000 (-1 = not a piece); built lazily from charIds. */
  bmpIds?: Int32Array;
  /** id of "<0xXX>" for each byte, or -1; null when byte fallback is off. */
  byteIds: Int32Array | null;
  /** id emitted for characters with neither a piece nor byte fallback; -1 = drop (no unk token). */
  unkId: number;
  /** Consecutive unknown characters become one unk (HF fuse_unk; sentencepiece always). */
  fuseUnk: boolean;
  /** HF ignore_merges: a word that is itself a piece is emitted whole. */
  wholeWords: Map<string, number> | null;
  /**
   * sentencepiece UNUSED pieces (1 = unused), or null: they take part in merges but are split back
   * into the two symbols they were merged from (bpe_model.cc `resegment`).
   */
  unused?: Uint8Array | null;
}

/** Records (left, right) of merges that produced an unused piece. */
type RevMerge = Map<number, [number, number]> | null;

/** Builds a merge table from (left, right, merged, rank) rules; keeps the first rule for a pair. */
export function buildMergeTable(rules: Array<[number, number, number, number]>): MergeTable {
  let cap = 16;
  while (cap < rules.length * 2) cap *= 2;
  const t: MergeTable = {
    left: new Int32Array(rules.length), right: new Int32Array(rules.length), rank: new Float64Array(rules.length),
    merged: new Int32Array(rules.length), slots: new Int32Array(cap), mask: cap - 1,
  };
  let n = 0;
  for (const [a, b, m, r] of rules) {
    if (findMerge(t, a, b) >= 0) continue;
    t.left[n] = a; t.right[n] = b; t.merged[n] = m; t.rank[n] = r;
    let s = slotOf(a, b, t.mask);
    while (t.slots[s] !== 0) s = (s + 1) & t.mask;
    t.slots[s] = ++n;
  }
  t.left = t.left.subarray(0, n); t.right = t.right.subarray(0, n); t.rank = t.rank.subarray(0, n); t.merged = t.merged.subarray(0, n);
  return t;
}

const utf8 = new TextEncoder();

/** Initial symbols of a word: piece ids per character, byte pieces or (fused) unk otherwise. */
function initialSymbols(model: BpeModel, word: string, out: number[]): void {
  let bmp = model.bmpIds;
  if (bmp === undefined) {
    bmp = model.bmpIds = new Int32Array(0x10000).fill(-1);
    for (const [ch, id] of model.charIds) if (ch.length === 1) bmp[ch.charCodeAt(0)] = id;
  }
  let prevUnk = false;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    let id: number | undefined;
    let ch: string;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < word.length) {
      ch = word.slice(i, i + 2); // astral character: a surrogate pair
      id = model.charIds.get(ch);
      i++;
    } else {
      id = bmp[c]!;
      if (id >= 0) { out.push(id); prevUnk = false; continue; }
      ch = word[i]!;
      id = undefined;
    }
    if (id !== undefined) {
      out.push(id);
      prevUnk = false;
      continue;
    }
    if (model.byteIds !== null) {
      const bytes = utf8.encode(ch);
      let ok = true;
      for (const b of bytes) if (model.byteIds[b]! < 0) ok = false;
      if (ok) {
        for (const b of bytes) out.push(model.byteIds[b]!);
        prevUnk = false;
        continue;
      }
    }
    if (model.unkId < 0) continue;
    if (!(prevUnk && model.fuseUnk)) out.push(model.unkId);
    prevUnk = true;
  }
}

/** Min-heap of candidate merges ordered by (rank, position). */
class MergeHeap {
  rank: number[] = [];
  pos: number[] = [];
  get size(): number { return this.rank.length; }
  private less(i: number, j: number): boolean {
    const ri = this.rank[i]!, rj = this.rank[j]!;
    return ri < rj || (ri === rj && this.pos[i]! < this.pos[j]!);
  }
  private swap(i: number, j: number): void {
    const r = this.rank[i]!; this.rank[i] = this.rank[j]!; this.rank[j] = r;
    const p = this.pos[i]!; this.pos[i] = this.pos[j]!; this.pos[j] = p;
  }
  push(rank: number, pos: number): void {
    this.rank.push(rank); this.pos.push(pos);
    let i = this.rank.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent); i = parent;
    }
  }
  /** Removes the top; returns its position (the caller reads topRank first). */
  pop(): number {
    const top = this.pos[0]!;
    const lastR = this.rank.pop()!, lastP = this.pos.pop()!;
    const n = this.rank.length;
    if (n > 0) {
      this.rank[0] = lastR; this.pos[0] = lastP;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < n && this.less(l, m)) m = l;
        if (r < n && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m); i = m;
      }
    }
    return top;
  }
}

// Scratch buffers for mergeShort, grown on demand (encoding is synchronous, so one set suffices).
let sRank = new Float64Array(256), sMerged = new Int32Array(256), sNext = new Int32Array(256), sPrev = new Int32Array(256);

/**
 * Short words: a linked list in typed arrays, the rank of every adjacent pair cached, the minimum found
 * by a linear scan and only the two pairs touching a merge looked up again. Same order as mergeLong.
 */
function mergeShort(t: MergeTable, sym: number[], unused: Uint8Array | null, rev: RevMerge): void {
  const n = sym.length;
  if (sRank.length < n) {
    sRank = new Float64Array(2 * n); sMerged = new Int32Array(2 * n); sNext = new Int32Array(2 * n); sPrev = new Int32Array(2 * n);
  }
  const rank = sRank, merged = sMerged, next = sNext, prev = sPrev;
  const look = (i: number): void => {
    const j = next[i]!;
    const k = j < 0 ? -1 : findMerge(t, sym[i]!, sym[j]!);
    if (k < 0) rank[i] = Infinity;
    else { rank[i] = t.rank[k]!; merged[i] = t.merged[k]!; }
  };
  for (let i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
  for (let i = 0; i < n; i++) look(i);
  for (;;) {
    let best = -1, bestRank = Infinity;
    for (let i = 0; i >= 0; i = next[i]!) if (rank[i]! < bestRank) { best = i; bestRank = rank[i]!; }
    if (best < 0) break;
    const j = next[best]!;
    if (rev !== null && unused![merged[best]!]) rev.set(merged[best]!, [sym[best]!, sym[j]!]);
    sym[best] = merged[best]!;
    next[best] = next[j]!;
    if (next[j]! >= 0) prev[next[j]!] = best;
    if (prev[best]! >= 0) look(prev[best]!);
    look(best);
  }
  let w = 0;
  for (let i = 0; i >= 0; i = next[i]!) sym[w++] = sym[i]!;
  sym.length = w;
}

/** Heap + linked list (long words): O(n log n), same order as mergeShort. */
function mergeLong(t: MergeTable, sym: number[], unused: Uint8Array | null, rev: RevMerge): void {
  const n = sym.length;
  const next = new Int32Array(n), prev = new Int32Array(n), alive = new Uint8Array(n).fill(1);
  for (let i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
  const heap = new MergeHeap();
  const pairRank = (i: number): number => {
    const j = next[i]!;
    if (j < 0) return -1;
    return findMerge(t, sym[i]!, sym[j]!);
  };
  for (let i = 0; i + 1 < n; i++) { const k = pairRank(i); if (k >= 0) heap.push(t.rank[k]!, i); }
  while (heap.size > 0) {
    const r = heap.rank[0]!;
    const i = heap.pop();
    if (!alive[i]) continue;
    const k = pairRank(i);
    if (k < 0 || t.rank[k] !== r) continue; // stale: the pair at i changed since it was queued
    const j = next[i]!;
    if (rev !== null && unused![t.merged[k]!]) rev.set(t.merged[k]!, [sym[i]!, sym[j]!]);
    sym[i] = t.merged[k]!;
    alive[j] = 0;
    next[i] = next[j]!;
    if (next[j]! >= 0) prev[next[j]!] = i;
    if (prev[i]! >= 0) { const kp = pairRank(prev[i]!); if (kp >= 0) heap.push(t.rank[kp]!, prev[i]!); }
    const kn = pairRank(i);
    if (kn >= 0) heap.push(t.rank[kn]!, i);
  }
  let w = 0;
  for (let i = 0; i >= 0 && i < n; i = next[i]!) sym[w++] = sym[i]!;
  sym.length = w;
}

/**
 * Encodes one word (already normalized, spaces as ▁) and appends the ids to `out`. `whole`: the word
 * is HF's whole pre-tokenized word, so ignore_merges applies (false for the cached sub-words).
 */
export function bpeWord(model: BpeModel, word: string, out: number[], whole = true): void {
  const id = whole ? model.wholeWords?.get(word) : undefined;
  if (id !== undefined) { out.push(id); return; }
  const sym: number[] = [];
  initialSymbols(model, word, sym);
  if (sym.length < 2) { for (const s of sym) out.push(s); return; }
  const unused = model.unused ?? null;
  const rev: RevMerge = unused !== null ? new Map() : null;
  if (sym.length <= 128) mergeShort(model.merges, sym, unused, rev);
  else mergeLong(model.merges, sym, unused, rev);
  if (rev === null || rev.size === 0) { for (const s of sym) out.push(s); return; }
  const resegment = (id: number): void => {
    const lr = rev.get(id);
    if (lr === undefined) out.push(id);
    else { resegment(lr[0]); resegment(lr[1]); }
  };
  for (const s of sym) resegment(s);
}

const SPACE = "\u2581";

/**
 * True when no merge joins a symbol ending in a non-▁ character to one starting with ▁: then no token
 * can span such a boundary, so a segment may be cut before every ▁ that follows a non-▁ character and
 * the words encoded (and cached) separately with identical results. Llama vocabularies (trained with
 * split_by_whitespace) have this property; any other vocabulary falls back to whole-segment BPE.
 */
export function canSplitAtSpaces(pieces: readonly string[], t: MergeTable): boolean {
  for (let r = 0; r < t.left.length; r++) {
    const a = pieces[t.left[r]!] ?? "", b = pieces[t.right[r]!] ?? "";
    if (b.startsWith(SPACE) && !a.endsWith(SPACE)) return false;
  }
  return true;
}

/** BPE over normalized segments with the word cut and a bounded word → ids cache. */
export class BpeEncoder {
  private cache = new Map<string, number[]>();
  constructor(readonly model: BpeModel, readonly splitAtSpaces: boolean, private readonly cacheLimit = 200_000) {}

  /** Appends the ids of one normalized segment to `out`. */
  encode(segment: string, out: number[]): void {
    if (!this.splitAtSpaces) { bpeWord(this.model, segment, out); return; }
    const whole = this.model.wholeWords?.get(segment);
    if (whole !== undefined) { out.push(whole); return; }
    let start = 0;
    for (let i = 1; i < segment.length; i++) {
      // cut before a ▁ (U+2581) whose predecessor is not ▁
      if (segment.charCodeAt(i) === 0x2581 && segment.charCodeAt(i - 1) !== 0x2581) {
        this.word(segment.slice(start, i), out);
        start = i;
      }
    }
    if (start < segment.length) this.word(segment.slice(start), out);
  }

  /**
   * Same as encode((dummyPrefix ? "▁" : "") + raw.replaceAll(" ", "▁")) without building that string:
   * words are cut and cached on the raw text (the Llama normalizers only turn " " into ▁).
   */
  encodeSpaced(raw: string, dummyPrefix: boolean, out: number[]): void {
    if (!this.splitAtSpaces || this.model.wholeWords) {
      this.encode((dummyPrefix ? SPACE : "") + raw.replaceAll(" ", SPACE), out);
      return;
    }
    let start = 0;
    let prevSpace = true; // at i = 0 there is no cut: either the start or right after the dummy ▁
    for (let i = 0; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      const space = c === 0x20 || c === 0x2581;
      if (space && !prevSpace) {
        this.word(start === 0 && dummyPrefix ? SPACE + raw.slice(0, i) : raw.slice(start, i), out);
        start = i;
      }
      prevSpace = space;
    }
    if (start < raw.length || dummyPrefix)
      this.word(start === 0 && dummyPrefix ? SPACE + raw : raw.slice(start), out);
  }

  private word(w: string, out: number[]): void {
    let ids = this.cache.get(w);
    if (ids === undefined) {
      ids = [];
      bpeWord(this.model, w.includes(" ") ? w.replaceAll(" ", SPACE) : w, ids, false);
      if (w.length <= 64) {
        if (this.cache.size >= this.cacheLimit) this.cache.clear();
        this.cache.set(w, ids);
      }
    }
    for (const id of ids) out.push(id);
  }
}
