// The BPE merge loop of sentencepiece's bpe_model_trainer.cc (Trainer::Train), exact rather than
// approximate: every valid adjacent symbol pair of every distinct word is counted once (weighted
// by the word's frequency); each step takes the most frequent pair (ties: shorter piece, then
// smaller UTF-8 string), and updates only the neighbours of its occurrences. Pair counts only
// fall except for pairs with the new symbol, so a lazy max-heap (re-push on a stale pop) is exact.
import { native } from "../native/addon.js";
import { ALL_WS, HAS_DIGIT, HAS_WS, WS_AFTER_START, type PieceRules, type SymbolFacts } from "./piece-rules.js";

/** Distinct words as runs of symbol ids (characters 0..C-1), each run with its frequency. */
export interface MergeInput {
  /** Strings and facts of the C character symbols. */
  chars: { str: string; facts: SymbolFacts }[];
  /** sym[N]: symbol ids of all runs back to back; a run is one word piece between rare chars. */
  sym: Int32Array;
  /** runStart[R+1]: run r covers sym[runStart[r] .. runStart[r+1]). */
  runStart: Int32Array;
  /** runFreq[R]: occurrences of the run's word in the corpus. */
  runFreq: Float64Array;
}

/** One learned merge: the new piece and the two pieces it joins. */
export interface Merge {
  piece: string;
  left: string;
  right: string;
  /** The pair's frequency when it was chosen. */
  freq: number;
}

class Grow<T extends Int32Array | Float64Array | Uint8Array> {
  constructor(public a: T, private make: (n: number) => T) {}
  ensure(n: number): void {
    if (n <= this.a.length) return;
    const b = this.make(Math.max(n, this.a.length * 2));
    b.set(this.a);
    this.a = b;
  }
}

/** Compares two strings by code point (= UTF-8 byte order, as std::string's operator<). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort after every BMP unit, including U+E000..U+FFFF.
    if (x >= 0xd800) x += x >= 0xe000 ? -0x800 : 0x2000;
    if (y >= 0xd800) y += y >= 0xe000 ? -0x800 : 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Learns up to `maxMerges` merges (input.sym is consumed: it holds the merged corpus afterwards).
 * `claim(piece)` adds a piece string to the vocabulary and returns false when it was already there
 * (then the pair is dropped, as sentencepiece drops duplicate pieces reached by another path).
 * `onProgress(done)` is called every few hundred merges.
 */
export function learnMerges(input: MergeInput, maxMerges: number, rules: PieceRules,
  claim: (piece: string) => boolean, onProgress?: (done: number) => void): Merge[] {
  const { sym, runStart, runFreq } = input;
  const N = sym.length;
  const C = input.chars.length;
  // Symbols: strings and facts in flat arrays (capacity grows with merges).
  const symStr: string[] = input.chars.map((c) => c.str);
  const symLen = new Grow(new Int32Array(C + 1024), (n) => new Int32Array(n));
  const symFlags = new Grow(new Uint8Array(C + 1024), (n) => new Uint8Array(n));
  const symScript = new Grow(new Int32Array(C + 1024), (n) => new Int32Array(n));
  input.chars.forEach((c, i) => { symLen.a[i] = c.facts.len; symFlags.a[i] = c.facts.flags; symScript.a[i] = c.facts.script; });
  if (C + maxMerges >= 1 << 21) throw new Error(`bpe: too many symbols (${C} characters + ${maxMerges} merges)`);

  // Linked lists over positions: next/prev within a run (-1 at its ends); freq per position.
  const next = new Int32Array(N);
  const prev = new Int32Array(N);
  const posFreq = new Float64Array(N);
  for (let r = 0; r + 1 < runStart.length; r++) {
    const s = runStart[r]!, e = runStart[r + 1]!;
    for (let i = s; i < e; i++) { prev[i] = i === s ? -1 : i - 1; next[i] = i === e - 1 ? -1 : i + 1; posFreq[i] = runFreq[r]!; }
  }

  const canJoin = (l: number, r: number): boolean => {
    const lf = symFlags.a[l]!, rf = symFlags.a[r]!;
    if (symLen.a[l]! + symLen.a[r]! > rules.maxPieceLength) return false;
    if (rules.splitDigits && ((lf | rf) & HAS_DIGIT) !== 0) return false;
    if (!((lf & rf & ALL_WS) !== 0 && rules.allowWhitespaceOnlyPieces)) {
      if ((lf & WS_AFTER_START) !== 0 || (rf & HAS_WS) !== 0) return false;
    }
    const ls = symScript.a[l]!, rs = symScript.a[r]!;
    return !(rules.splitByUnicodeScript && ls !== -1 && rs !== -1 && ls !== rs);
  };

  // Pairs: id -> (left, right, count, positions of the left symbol; stale entries checked lazily).
  const pairId = new Map<number, number>();
  const pairL = new Grow(new Int32Array(1 << 16), (n) => new Int32Array(n));
  const pairR = new Grow(new Int32Array(1 << 16), (n) => new Int32Array(n));
  const pairCount = new Grow(new Float64Array(1 << 16), (n) => new Float64Array(n));
  const pairStamp = new Grow(new Int32Array(1 << 16), (n) => new Int32Array(n));
  const pairPos: number[][] = [];
  const key = (l: number, r: number): number => l * 2097152 + r;
  const getOrAdd = (l: number, r: number): number => {
    const k = key(l, r);
    let p = pairId.get(k);
    if (p !== undefined) return p;
    if (!canJoin(l, r)) return -1;
    p = pairPos.length;
    pairL.ensure(p + 1); pairR.ensure(p + 1); pairCount.ensure(p + 1); pairStamp.ensure(p + 1);
    pairL.a[p] = l; pairR.a[p] = r; pairCount.a[p] = 0; pairStamp.a[p] = -1;
    pairPos.push([]);
    pairId.set(k, p);
    return p;
  };
  for (let i = 0; i < N; i++) {
    const j = next[i]!;
    if (j < 0) continue;
    const p = getOrAdd(sym[i]!, sym[j]!);
    if (p < 0) continue;
    pairCount.a[p] += posFreq[i]!;
    pairPos[p]!.push(i);
  }

  // Max-heap of (count snapshot, pair): higher count, then shorter piece, then smaller string.
  let heapPair = new Int32Array(Math.max(16, pairPos.length * 2));
  let heapCnt = new Float64Array(heapPair.length);
  let heapSize = 0;
  const pieceOf = (p: number): string => symStr[pairL.a[p]!]! + symStr[pairR.a[p]!]!;
  const above = (i: number, j: number): boolean => {
    const ci = heapCnt[i]!, cj = heapCnt[j]!;
    if (ci !== cj) return ci > cj;
    const pi = heapPair[i]!, pj = heapPair[j]!;
    const li = symLen.a[pairL.a[pi]!]! + symLen.a[pairR.a[pi]!]!;
    const lj = symLen.a[pairL.a[pj]!]! + symLen.a[pairR.a[pj]!]!;
    if (li !== lj) return li < lj;
    return compareCodePoints(pieceOf(pi), pieceOf(pj)) < 0;
  };
  const swap = (i: number, j: number): void => {
    const p = heapPair[i]!; heapPair[i] = heapPair[j]!; heapPair[j] = p;
    const c = heapCnt[i]!; heapCnt[i] = heapCnt[j]!; heapCnt[j] = c;
  };
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < heapSize && above(l, m)) m = l;
      if (r < heapSize && above(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  const push = (p: number, c: number): void => {
    if (heapSize === heapPair.length) {
      const hp = new Int32Array(heapSize * 2); hp.set(heapPair); heapPair = hp;
      const hc = new Float64Array(heapSize * 2); hc.set(heapCnt); heapCnt = hc;
    }
    let i = heapSize++;
    heapPair[i] = p; heapCnt[i] = c;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!above(i, parent)) break;
      swap(i, parent);
      i = parent;
    }
  };
  for (let p = 0; p < pairPos.length; p++) {
    if (pairCount.a[p]! > 0) { heapPair[heapSize] = p; heapCnt[heapSize] = pairCount.a[p]!; heapSize++; }
  }
  for (let i = (heapSize >> 1) - 1; i >= 0; i--) siftDown(i);

  const merges: Merge[] = [];
  const touched: number[] = [];
  const DEAD = -1;
  while (merges.length < maxMerges && heapSize > 0) {
    const best = heapPair[0]!, snap = heapCnt[0]!;
    heapSize--;
    if (heapSize > 0) { heapPair[0] = heapPair[heapSize]!; heapCnt[0] = heapCnt[heapSize]!; siftDown(0); }
    const cur = pairCount.a[best]!;
    if (cur !== snap) {
      if (cur > 0) push(best, cur); // stale snapshot: counts only fall, so re-queue the true one
      continue;
    }
    if (cur <= 0) continue;
    const L = pairL.a[best]!, R = pairR.a[best]!;
    const piece = pieceOf(best);
    pairCount.a[best] = -Infinity; // never chosen again
    if (!claim(piece)) continue; // same string reached by another path (sentencepiece `dup`)

    // The new symbol.
    const S = symStr.length;
    symStr.push(piece);
    symLen.ensure(S + 1); symFlags.ensure(S + 1); symScript.ensure(S + 1);
    symLen.a[S] = symLen.a[L]! + symLen.a[R]!;
    const lf = symFlags.a[L]!, rf = symFlags.a[R]!;
    let f = (lf | rf) & HAS_DIGIT;
    if (((lf | rf) & HAS_WS) !== 0) f |= HAS_WS;
    if ((lf & rf & ALL_WS) !== 0) f |= ALL_WS;
    if ((lf & WS_AFTER_START) !== 0 || (rf & HAS_WS) !== 0) f |= WS_AFTER_START;
    symFlags.a[S] = f;
    symScript.a[S] = symScript.a[L]! !== -1 ? symScript.a[L]! : symScript.a[R]!;
    merges.push({ piece, left: symStr[L]!, right: symStr[R]!, freq: cur });

    const positions = pairPos[best]!;
    pairPos[best] = [];
    if (L === R) positions.sort((a, b) => a - b); // overlapping runs "aaa" merge left to right
    const stamp = merges.length;
    for (const i of positions) {
      if (sym[i] !== L) continue;
      const j = next[i]!;
      if (j < 0 || sym[j] !== R) continue;
      const fr = posFreq[i]!;
      const a = prev[i]!, b = next[j]!;
      if (a >= 0) {
        const old = pairId.get(key(sym[a]!, L));
        if (old !== undefined && old !== best) pairCount.a[old] -= fr;
        const np = getOrAdd(sym[a]!, S);
        if (np >= 0) {
          pairCount.a[np] += fr; pairPos[np]!.push(a);
          if (pairStamp.a[np] !== stamp) { pairStamp.a[np] = stamp; touched.push(np); }
        }
      }
      if (b >= 0) {
        const old = pairId.get(key(R, sym[b]!));
        if (old !== undefined && old !== best) pairCount.a[old] -= fr;
        const np = getOrAdd(S, sym[b]!);
        if (np >= 0) {
          pairCount.a[np] += fr; pairPos[np]!.push(i);
          if (pairStamp.a[np] !== stamp) { pairStamp.a[np] = stamp; touched.push(np); }
        }
      }
      sym[i] = S;
      sym[j] = DEAD;
      next[i] = b;
      if (b >= 0) prev[b] = i;
    }
    for (const p of touched) if (pairCount.a[p]! > 0) push(p, pairCount.a[p]!);
    touched.length = 0;
    if (onProgress && merges.length % 200 === 0) onProgress(merges.length);
  }
  onProgress?.(merges.length);
  return merges;
}

/**
 * The same merge loop in native code (native/bpe_train.cpp): identical merges, several times faster
 * and with flat memory. `taken` lists the pieces already in the vocabulary (meta pieces).
 */
export function learnMergesNative(input: MergeInput, maxMerges: number, rules: PieceRules, taken: string[],
  onProgress?: (done: number) => void): Merge[] {
  const C = input.chars.length;
  const flags = new Uint8Array(C), script = new Int32Array(C);
  input.chars.forEach((c, i) => {
    if (c.facts.len !== 1) throw new Error(`bpe: character symbol ${i} has length ${c.facts.len}`);
    flags[i] = c.facts.flags; script[i] = c.facts.script;
  });
  const r = native.bpeLearnMerges(input.chars.map((c) => c.str), flags, script, input.sym, input.runStart, input.runFreq,
    maxMerges, [rules.maxPieceLength, rules.splitDigits, rules.splitByUnicodeScript, rules.allowWhitespaceOnlyPieces],
    taken, onProgress ?? null);
  onProgress?.(r.piece.length);
  return r.piece.map((piece, k) => ({ piece, left: r.left[k]!, right: r.right[k]!, freq: r.freq[k]! }));
}
