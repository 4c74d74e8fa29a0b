// The BPE merge engine shared by tokenizer.json and tokenizer.model: a word starts as one symbol per
// Unicode character (byte-fallback <0xXX> symbols for characters outside the vocabulary) and the
// adjacent pair with the lowest rank is merged, leftmost first on ties, until none is left — HF
// tokenizers' `Word::merge_all` (rank = merge index) and sentencepiece's bpe_model.cc (rank = -score).

/** One merge rule table: (left id, right id) → rank and merged id. */
export interface MergeTable {
  /** key = left * stride + right → index into rank/merged. */
  index: Map<number, number>;
  stride: number;
  /** Lower merges first. */
  rank: Float64Array;
  merged: Int32Array;
}

/** Everything the engine needs to turn one pre-tokenized word into ids. */
export interface BpeModel {
  merges: MergeTable;
  /** Single characters that are pieces (initial symbols). */
  charIds: Map<string, number>;
  /** id of "<0xXX>" for each byte, or -1; null when byte fallback is off. */
  byteIds: Int32Array | null;
  /** id emitted for characters with neither a piece nor byte fallback; -1 = drop (no unk token). */
  unkId: number;
  /** Consecutive unknown characters become one unk (HF fuse_unk; sentencepiece always). */
  fuseUnk: boolean;
  /** HF ignore_merges: a word that is itself a piece is emitted whole. */
  wholeWords: Map<string, number> | null;
}

/** Builds a merge table from (left, right, merged, rank) rules; keeps the first rule for a pair. */
export function buildMergeTable(vocabSize: number, rules: Array<[number, number, number, number]>): MergeTable {
  const stride = Math.max(vocabSize, 1);
  const index = new Map<number, number>();
  const rank = new Float64Array(rules.length);
  const merged = new Int32Array(rules.length);
  let n = 0;
  for (const [a, b, m, r] of rules) {
    const key = a * stride + b;
    if (index.has(key)) continue;
    index.set(key, n);
    rank[n] = r;
    merged[n] = m;
    n++;
  }
  return { index, stride, rank: rank.subarray(0, n), merged: merged.subarray(0, n) };
}

const utf8 = new TextEncoder();

/** Initial symbols of a word: piece ids per character, byte pieces or (fused) unk otherwise. */
function initialSymbols(model: BpeModel, word: string, out: number[]): void {
  let prevUnk = false;
  for (const ch of word) {
    const id = model.charIds.get(ch);
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

/** Naive scan (short words): repeatedly merge the lowest-rank adjacent pair, leftmost on ties. */
function mergeShort(t: MergeTable, sym: number[]): void {
  for (;;) {
    let best = -1, bestRank = Infinity, bestMerged = -1;
    for (let i = 0; i + 1 < sym.length; i++) {
      const k = t.index.get(sym[i]! * t.stride + sym[i + 1]!);
      if (k !== undefined && t.rank[k]! < bestRank) { best = i; bestRank = t.rank[k]!; bestMerged = t.merged[k]!; }
    }
    if (best < 0) return;
    sym[best] = bestMerged;
    sym.splice(best + 1, 1);
  }
}

/** Heap + linked list (long words): O(n log n), same order as mergeShort. */
function mergeLong(t: MergeTable, sym: number[]): void {
  const n = sym.length;
  const next = new Int32Array(n), prev = new Int32Array(n), alive = new Uint8Array(n).fill(1);
  for (let i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
  const heap = new MergeHeap();
  const pairRank = (i: number): number => {
    const j = next[i]!;
    if (j < 0) return -1;
    const k = t.index.get(sym[i]! * t.stride + sym[j]!);
    return k === undefined ? -1 : k;
  };
  for (let i = 0; i + 1 < n; i++) { const k = pairRank(i); if (k >= 0) heap.push(t.rank[k]!, i); }
  while (heap.size > 0) {
    const r = heap.rank[0]!;
    const i = heap.pop();
    if (!alive[i]) continue;
    const k = pairRank(i);
    if (k < 0 || t.rank[k] !== r) continue; // stale: the pair at i changed since it was queued
    const j = next[i]!;
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

/** Encodes one word (already normalized, spaces as ▁) and appends the ids to `out`. */
export function bpeWord(model: BpeModel, word: string, out: number[]): void {
  const whole = model.wholeWords?.get(word);
  if (whole !== undefined) { out.push(whole); return; }
  const sym: number[] = [];
  initialSymbols(model, word, sym);
  if (sym.length < 2) { for (const s of sym) out.push(s); return; }
  if (sym.length <= 32) mergeShort(model.merges, sym);
  else mergeLong(model.merges, sym);
  for (const s of sym) out.push(s);
}

const SPACE = "\u2581";

/**
 * True when no merge joins a symbol ending in a non-▁ character to one starting with ▁: then no token
 * can span such a boundary, so a segment may be cut before every ▁ that follows a non-▁ character and
 * the words encoded (and cached) separately with identical results. Llama vocabularies (trained with
 * split_by_whitespace) have this property; any other vocabulary falls back to whole-segment BPE.
 */
export function canSplitAtSpaces(pieces: readonly string[], t: MergeTable): boolean {
  for (const key of t.index.keys()) {
    const a = pieces[Math.floor(key / t.stride)] ?? "", b = pieces[key % t.stride] ?? "";
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

  private word(w: string, out: number[]): void {
    let ids = this.cache.get(w);
    if (ids === undefined) {
      ids = [];
      bpeWord(this.model, w, ids);
      if (w.length <= 64) {
        if (this.cache.size >= this.cacheLimit) this.cache.clear();
        this.cache.set(w, ids);
      }
    }
    for (const id of ids) out.push(id);
  }
}
