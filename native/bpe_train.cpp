// The BPE merge loop of the tokenizer trainer, native twin of src/tokenizer/bpe-merge.ts
// (learnMerges; same algorithm, same tie-breaks, same output): sentencepiece bpe_model_trainer.cc
// made exact. Pairs of adjacent symbols in the distinct-word runs are counted once, weighted by
// word frequency; each step takes the most frequent pair (ties: shorter piece, then smaller UTF-8
// string), rewrites its occurrences and updates only their neighbours' counts. A lazy max-heap is
// exact because counts only fall, except for pairs with the new symbol, which are pushed fresh.
#include "napi_util.h"
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

constexpr uint8_t kAllWs = 1, kWsAfterStart = 2, kHasWs = 4, kHasDigit = 8;  // piece-rules.ts flags

// Open-addressing hash map uint64 -> int32 (linear probing, power-of-two capacity): the pair table
// is hit four times per merged occurrence, and node-based std::unordered_map is several times slower.
class PairTable {
 public:
  explicit PairTable(size_t expected = 1024) { rehash(expected * 2); }
  // Slot of key; its value is kMissing when the key is absent.
  int32_t* slot(uint64_t key, bool insert) {
    if (insert && (size_ + 1) * 10 > keys_.size() * 7) rehash(keys_.size() * 2);
    size_t i = hash(key) & mask_;
    for (;;) {
      if (keys_[i] == key) return &vals_[i];
      if (keys_[i] == kEmpty) {
        if (!insert) return nullptr;
        keys_[i] = key; vals_[i] = kMissing; size_++;
        return &vals_[i];
      }
      i = (i + 1) & mask_;
    }
  }
  static constexpr int32_t kMissing = -2;

 private:
  static constexpr uint64_t kEmpty = ~0ull;
  static uint64_t hash(uint64_t k) {  // splitmix64 finalizer
    k ^= k >> 30; k *= 0xbf58476d1ce4e5b9ull; k ^= k >> 27; k *= 0x94d049bb133111ebull; k ^= k >> 31;
    return k;
  }
  void rehash(size_t cap) {
    size_t n = 16;
    while (n < cap) n <<= 1;
    std::vector<uint64_t> oldK(n, kEmpty);
    std::vector<int32_t> oldV(n, kMissing);
    oldK.swap(keys_); oldV.swap(vals_);
    mask_ = n - 1; size_ = 0;
    for (size_t i = 0; i < oldK.size(); i++)
      if (oldK[i] != kEmpty) { *slot(oldK[i], true) = oldV[i]; }
  }
  std::vector<uint64_t> keys_;
  std::vector<int32_t> vals_;
  size_t mask_ = 0, size_ = 0;
};

struct Rules {
  int64_t maxPieceLength;
  bool splitDigits, splitByScript, allowWsOnly;
};

struct Trainer {
  Rules rules;
  std::vector<std::string> symStr;
  std::vector<int32_t> symLen, symScript;
  std::vector<uint8_t> symFlags;
  std::vector<int32_t> sym, next, prev;
  std::vector<double> posFreq;
  PairTable pairId;
  std::vector<int32_t> pairL, pairR, pairStamp;
  std::vector<double> pairCount;
  std::vector<std::vector<int32_t>> pairPos;
  std::vector<std::pair<double, int32_t>> heap;  // (count snapshot, pair)

  static uint64_t key(int32_t l, int32_t r) { return (static_cast<uint64_t>(l) << 32) | static_cast<uint32_t>(r); }

  bool canJoin(int32_t l, int32_t r) const {
    const uint8_t lf = symFlags[l], rf = symFlags[r];
    if (symLen[l] + symLen[r] > rules.maxPieceLength) return false;
    if (rules.splitDigits && ((lf | rf) & kHasDigit)) return false;
    if (!((lf & rf & kAllWs) && rules.allowWsOnly)) {
      if ((lf & kWsAfterStart) || (rf & kHasWs)) return false;
    }
    const int32_t ls = symScript[l], rs = symScript[r];
    return !(rules.splitByScript && ls != -1 && rs != -1 && ls != rs);
  }

  int32_t find(int32_t l, int32_t r) {
    const int32_t* v = pairId.slot(key(l, r), false);
    return v == nullptr || *v < 0 ? -1 : *v;
  }

  int32_t getOrAdd(int32_t l, int32_t r) {
    int32_t* v = pairId.slot(key(l, r), true);
    if (*v != PairTable::kMissing) return *v;
    if (!canJoin(l, r)) { *v = -1; return -1; }  // invalid pairs are judged once and remembered
    const int32_t p = static_cast<int32_t>(pairL.size());
    *v = p;
    pairL.push_back(l); pairR.push_back(r); pairCount.push_back(0); pairStamp.push_back(-1);
    pairPos.emplace_back();
    return p;
  }

  // Heap order: higher count, then shorter piece, then smaller string (UTF-8 bytes).
  bool above(const std::pair<double, int32_t>& a, const std::pair<double, int32_t>& b) const {
    if (a.first != b.first) return a.first > b.first;
    const int32_t la = symLen[pairL[a.second]] + symLen[pairR[a.second]];
    const int32_t lb = symLen[pairL[b.second]] + symLen[pairR[b.second]];
    if (la != lb) return la < lb;
    return lessPiece(a.second, b.second);
  }
  // piece(p) < piece(q) bytewise, without building the strings.
  bool lessPiece(int32_t p, int32_t q) const {
    const std::string& p1 = symStr[pairL[p]]; const std::string& p2 = symStr[pairR[p]];
    const std::string& q1 = symStr[pairL[q]]; const std::string& q2 = symStr[pairR[q]];
    const size_t np = p1.size() + p2.size(), nq = q1.size() + q2.size();
    for (size_t k = 0, n = std::min(np, nq); k < n; k++) {
      const unsigned char x = k < p1.size() ? p1[k] : p2[k - p1.size()];
      const unsigned char y = k < q1.size() ? q1[k] : q2[k - q1.size()];
      if (x != y) return x < y;
    }
    return np < nq;
  }
  std::string piece(int32_t p) const { return symStr[pairL[p]] + symStr[pairR[p]]; }

  void push(int32_t p, double c) {
    heap.emplace_back(c, p);
    size_t i = heap.size() - 1;
    while (i > 0) {
      size_t parent = (i - 1) / 2;
      if (!above(heap[i], heap[parent])) break;
      std::swap(heap[i], heap[parent]);
      i = parent;
    }
  }
  void siftDown(size_t i) {
    const size_t n = heap.size();
    for (;;) {
      size_t l = 2 * i + 1, r = l + 1, m = i;
      if (l < n && above(heap[l], heap[m])) m = l;
      if (r < n && above(heap[r], heap[m])) m = r;
      if (m == i) return;
      std::swap(heap[i], heap[m]);
      i = m;
    }
  }
  std::pair<double, int32_t> pop() {
    auto top = heap[0];
    heap[0] = heap.back();
    heap.pop_back();
    if (!heap.empty()) siftDown(0);
    return top;
  }
};

std::vector<std::string> stringArray(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name) {
  if (!info[i].IsArray()) llama2::fail(info, llama2::argLabel(fn, i, name) + " must be an array of strings, got " + llama2::typeName(info[i]));
  auto arr = info[i].As<Napi::Array>();
  std::vector<std::string> out;  // grown as elements check out: a sparse array's length allocates nothing
  for (uint32_t k = 0, n = arr.Length(); k < n; k++) {
    Napi::Value v = arr.Get(k);
    if (!v.IsString()) llama2::fail(info, llama2::argLabel(fn, i, name) + ": " + name + "[" + std::to_string(k) + "] must be a string");
    out.push_back(v.As<Napi::String>().Utf8Value());
  }
  return out;
}

// Symbol ids (characters, then one per merge) and positions are int32: keep both well inside it.
constexpr int64_t kMaxSymbols = int64_t{1} << 30;

// bpeLearnMerges(charStrs, charFlags, charScript, sym, runStart, runFreq, maxMerges,
//   [maxPieceLength, splitDigits, splitByUnicodeScript, allowWhitespaceOnlyPieces], taken, onProgress|null)
//   -> { piece: string[], left: string[], right: string[], freq: Float64Array }
Napi::Value bpeLearnMerges(const Napi::CallbackInfo& info) {
  const char* fn = "bpeLearnMerges";
  llama2::expectArgs(info, fn, 10);
  Napi::Env env = info.Env();
  Trainer t;
  t.symStr = stringArray(info, fn, 0, "charStrs");
  const size_t C = t.symStr.size();
  if (static_cast<int64_t>(C) > kMaxSymbols) llama2::failRange(info, llama2::argLabel(fn, 0, "charStrs") + " has more than 2^30 characters");
  const uint8_t* flags = llama2::typed<uint8_t, napi_uint8_array>(info, fn, 1, "charFlags", static_cast<int64_t>(C), "a Uint8Array");
  const int32_t* script = llama2::i32(info, fn, 2, "charScript", static_cast<int64_t>(C));
  size_t N = 0, runLen = 0;
  const int32_t* symIn = llama2::i32(info, fn, 3, "sym", 0, &N);
  if (static_cast<int64_t>(N) > kMaxSymbols) llama2::failRange(info, llama2::argLabel(fn, 3, "sym") + " has more than 2^30 elements");
  const int32_t* runStart = llama2::i32(info, fn, 4, "runStart", 1, &runLen);
  const size_t R = runLen - 1;
  const double* runFreq = llama2::typed<double, napi_float64_array>(info, fn, 5, "runFreq", static_cast<int64_t>(R),
                                                                    "a Float64Array with one entry per run");
  const int64_t maxMerges = llama2::dim(info, fn, 6, "maxMerges");
  if (!info[7].IsArray() || info[7].As<Napi::Array>().Length() != 4)
    llama2::fail(info, std::string(fn) + ": argument 7 (rules) must be [maxPieceLength, splitDigits, splitByUnicodeScript, allowWhitespaceOnlyPieces]");
  auto ra = info[7].As<Napi::Array>();
  const Napi::Value r0 = ra.Get(0u), r1 = ra.Get(1u), r2 = ra.Get(2u), r3 = ra.Get(3u);
  if (!r0.IsNumber() || !(r0.As<Napi::Number>().DoubleValue() >= 0) || !r1.IsBoolean() || !r2.IsBoolean() || !r3.IsBoolean())
    llama2::fail(info, std::string(fn) + ": argument 7 (rules) must be [maxPieceLength >= 0, boolean, boolean, boolean]");
  const double maxPiece = r0.As<Napi::Number>().DoubleValue();
  t.rules = {maxPiece > 1e9 ? int64_t{1000000000} : static_cast<int64_t>(maxPiece), r1.As<Napi::Boolean>().Value(),
             r2.As<Napi::Boolean>().Value(), r3.As<Napi::Boolean>().Value()};
  std::vector<std::string> takenList = stringArray(info, fn, 8, "taken");
  std::unordered_set<std::string> taken(takenList.begin(), takenList.end());
  Napi::Function onProgress;
  if (info[9].IsFunction()) onProgress = info[9].As<Napi::Function>();
  else if (!info[9].IsNull() && !info[9].IsUndefined()) llama2::fail(info, std::string(fn) + ": argument 9 (onProgress) must be a function or null");
  // Whole arrays, before any element is used as an index: runStart rises from 0 to sym.length,
  // every sym is a character id, every run frequency is finite and >= 0.
  if (runStart[0] != 0 || runStart[R] < 0 || static_cast<size_t>(runStart[R]) != N)
    llama2::failRange(info, llama2::argLabel(fn, 4, "runStart") + " must start at 0 and end at sym.length (" + std::to_string(N) + ")");
  for (size_t r = 0; r < R; r++)
    if (runStart[r + 1] < runStart[r])
      llama2::failRange(info, llama2::argLabel(fn, 4, "runStart") + " must not decrease: runStart[" + std::to_string(r + 1) + "] = " +
                                  std::to_string(runStart[r + 1]) + " < runStart[" + std::to_string(r) + "] = " + std::to_string(runStart[r]));
  for (size_t i = 0; i < N; i++)
    if (symIn[i] < 0 || static_cast<size_t>(symIn[i]) >= C)
      llama2::failRange(info, llama2::argLabel(fn, 3, "sym") + ": sym[" + std::to_string(i) + "] = " + std::to_string(symIn[i]) +
                                  " is not a character id in [0, " + std::to_string(C) + ")");
  for (size_t r = 0; r < R; r++)
    if (!(runFreq[r] >= 0) || !std::isfinite(runFreq[r]))
      llama2::failRange(info, llama2::argLabel(fn, 5, "runFreq") + ": runFreq[" + std::to_string(r) + "] must be finite and >= 0");
  const int64_t mergeCap = std::min<int64_t>(maxMerges, kMaxSymbols);  // symbol ids stay int32

  t.symLen.assign(C, 1);
  t.symFlags.assign(flags, flags + C);
  t.symScript.assign(script, script + C);
  t.sym.assign(symIn, symIn + N);
  t.next.resize(N); t.prev.resize(N); t.posFreq.resize(N);
  for (size_t r = 0; r < R; r++) {
    const int32_t s = runStart[r], e = runStart[r + 1];
    for (int32_t i = s; i < e; i++) {
      t.prev[i] = i == s ? -1 : i - 1;
      t.next[i] = i == e - 1 ? -1 : i + 1;
      t.posFreq[i] = runFreq[r];
    }
  }
  for (size_t i = 0; i < N; i++) {
    const int32_t j = t.next[i];
    if (j < 0) continue;
    const int32_t p = t.getOrAdd(t.sym[i], t.sym[j]);
    if (p < 0) continue;
    t.pairCount[p] += t.posFreq[i];
    t.pairPos[p].push_back(static_cast<int32_t>(i));
  }
  t.heap.reserve(t.pairL.size() * 2);
  for (size_t p = 0; p < t.pairL.size(); p++)
    if (t.pairCount[p] > 0) t.heap.emplace_back(t.pairCount[p], static_cast<int32_t>(p));
  for (size_t i = t.heap.size() / 2; i-- > 0;) t.siftDown(i);

  std::vector<std::string> outPiece, outLeft, outRight;
  std::vector<double> outFreq;
  std::vector<int32_t> touched;
  const int32_t DEAD = -1;
  while (static_cast<int64_t>(outPiece.size()) < mergeCap && !t.heap.empty()) {
    const auto [snap, best] = t.pop();
    const double cur = t.pairCount[best];
    if (cur != snap) {
      if (cur > 0) t.push(best, cur);  // stale snapshot: re-queue the true count
      continue;
    }
    if (cur <= 0) continue;
    const int32_t L = t.pairL[best], R2 = t.pairR[best];
    std::string piece = t.piece(best);
    t.pairCount[best] = -INFINITY;  // never chosen again
    if (!taken.insert(piece).second) continue;  // same string by another path (sentencepiece dup)

    const int32_t S = static_cast<int32_t>(t.symStr.size());
    const uint8_t lf = t.symFlags[L], rf = t.symFlags[R2];
    uint8_t f = (lf | rf) & kHasDigit;
    if ((lf | rf) & kHasWs) f |= kHasWs;
    if (lf & rf & kAllWs) f |= kAllWs;
    if ((lf & kWsAfterStart) || (rf & kHasWs)) f |= kWsAfterStart;
    t.symStr.push_back(piece);
    t.symLen.push_back(t.symLen[L] + t.symLen[R2]);
    t.symFlags.push_back(f);
    t.symScript.push_back(t.symScript[L] != -1 ? t.symScript[L] : t.symScript[R2]);
    outPiece.push_back(piece); outLeft.push_back(t.symStr[L]); outRight.push_back(t.symStr[R2]); outFreq.push_back(cur);

    std::vector<int32_t> positions;
    positions.swap(t.pairPos[best]);
    if (L == R2) std::sort(positions.begin(), positions.end());  // "aaa": merge left to right
    const int32_t stamp = static_cast<int32_t>(outPiece.size());
    for (const int32_t i : positions) {
      if (t.sym[i] != L) continue;
      const int32_t j = t.next[i];
      if (j < 0 || t.sym[j] != R2) continue;
      const double fr = t.posFreq[i];
      const int32_t a = t.prev[i], b = t.next[j];
      if (a >= 0) {
        const int32_t old = t.find(t.sym[a], L);
        if (old >= 0 && old != best) t.pairCount[old] -= fr;
        const int32_t np = t.getOrAdd(t.sym[a], S);
        if (np >= 0) {
          t.pairCount[np] += fr; t.pairPos[np].push_back(a);
          if (t.pairStamp[np] != stamp) { t.pairStamp[np] = stamp; touched.push_back(np); }
        }
      }
      if (b >= 0) {
        const int32_t old = t.find(R2, t.sym[b]);
        if (old >= 0 && old != best) t.pairCount[old] -= fr;
        const int32_t np = t.getOrAdd(S, t.sym[b]);
        if (np >= 0) {
          t.pairCount[np] += fr; t.pairPos[np].push_back(i);
          if (t.pairStamp[np] != stamp) { t.pairStamp[np] = stamp; touched.push_back(np); }
        }
      }
      t.sym[i] = S;
      t.sym[j] = DEAD;
      t.next[i] = b;
      if (b >= 0) t.prev[b] = i;
    }
    for (const int32_t p : touched) if (t.pairCount[p] > 0) t.push(p, t.pairCount[p]);
    touched.clear();
    if (!onProgress.IsEmpty() && outPiece.size() % 200 == 0)
      onProgress.Call({Napi::Number::New(env, static_cast<double>(outPiece.size()))});
  }

  auto pieces = Napi::Array::New(env, outPiece.size());
  auto lefts = Napi::Array::New(env, outPiece.size());
  auto rights = Napi::Array::New(env, outPiece.size());
  auto freqs = Napi::Float64Array::New(env, outPiece.size());
  for (size_t k = 0; k < outPiece.size(); k++) {
    pieces.Set(static_cast<uint32_t>(k), Napi::String::New(env, outPiece[k]));
    lefts.Set(static_cast<uint32_t>(k), Napi::String::New(env, outLeft[k]));
    rights.Set(static_cast<uint32_t>(k), Napi::String::New(env, outRight[k]));
    freqs[k] = outFreq[k];
  }
  auto out = Napi::Object::New(env);
  out.Set("piece", pieces);
  out.Set("left", lefts);
  out.Set("right", rights);
  out.Set("freq", freqs);
  return out;
}
LLAMA2_EXPORT("bpeLearnMerges", bpeLearnMerges);

}  // namespace
