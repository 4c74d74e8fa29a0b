// Word counting for the BPE tokenizer trainer (src/tokenizer/word-count.ts): the hot loop of
// sentencepiece's LoadSentences + SplitSentencesByWhitespace over raw UTF-8 bytes. Lines are
// skipped when empty, longer than max_sentence_length bytes, or holding U+2585; meta pieces become
// a tab boundary; ▁ in the text counts as a space; a word is a run of spaces (the dummy prefix is
// one more leading space) plus the non-space run after it. Keys keep ' ' (turned into ▁ on output).
#include "napi_util.h"
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

// Distinct words and their counts: open addressing over 64-bit hashes, word bytes in one arena
// (several times faster than std::unordered_map<std::string, double> at millions of lookups).
class WordTable {
 public:
  WordTable() { slots_.resize(1 << 16); mask_ = slots_.size() - 1; }
  void add(const char* p, size_t n) {
    if ((size_ + 1) * 10 > slots_.size() * 7) grow();
    const uint64_t h = hash(p, n);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.count == 0) {
        s = {h, arena_.size(), static_cast<uint32_t>(n), 1.0};
        arena_.append(p, n);
        size_++;
        return;
      }
      if (s.hash == h && s.len == n && std::memcmp(arena_.data() + s.off, p, n) == 0) { s.count += 1; return; }
    }
  }
  size_t size() const { return size_; }
  template <typename F> void forEach(F f) const {
    for (const Slot& s : slots_)
      if (s.count > 0) f(arena_.data() + s.off, static_cast<size_t>(s.len), s.count);
  }

 private:
  struct Slot { uint64_t hash; size_t off; uint32_t len; double count; };
  static uint64_t hash(const char* p, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t v;
      std::memcpy(&v, p + i, 8);
      h = (h ^ v) * 0xbf58476d1ce4e5b9ull;
      h ^= h >> 31;
    }
    uint64_t v = 0;
    std::memcpy(&v, p + i, n - i);
    h = (h ^ v) * 0x94d049bb133111ebull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 32);
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.count == 0) continue;
      size_t i = s.hash & mask_;
      while (slots_[i].count != 0) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  std::string arena_;
  size_t mask_ = 0, size_ = 0;
};

struct WordCounter {
  int64_t maxSentenceLength = 4192;
  bool wsOnly = true;
  int64_t maxSentences = 0;
  std::vector<std::string> meta;  // longest first
  bool metaFirst[256] = {};
  std::string carry, line;
  WordTable counts;
  double lines = 0, usedLines = 0, tooLong = 0;
  bool stopped = false;

  // Returns false once maxSentences lines were used.
  bool addLine(const uint8_t* s, size_t n) {
    lines += 1;
    if (n == 0) return true;
    if (static_cast<int64_t>(n) > maxSentenceLength) { tooLong += 1; return true; }
    for (size_t i = 0; i + 2 < n; i++)
      if (s[i] == 0xE2 && s[i + 1] == 0x96 && s[i + 2] == 0x85) return true;  // U+2585 reserved
    usedLines += 1;
    line.assign(1, ' ');  // dummy prefix
    for (size_t i = 0; i < n;) {
      if (metaFirst[s[i]]) {
        size_t m = 0;
        for (const auto& p : meta)
          if (p.size() <= n - i && std::equal(p.begin(), p.end(), s + i)) { m = p.size(); break; }
        if (m > 0) { line.push_back('\t'); i += m; continue; }
      }
      if (s[i] == 0xE2 && i + 2 < n && s[i + 1] == 0x96 && s[i + 2] == 0x81) { line.push_back(' '); i += 3; continue; }
      line.push_back(static_cast<char>(s[i]));
      i++;
    }
    const size_t len = line.size();
    for (size_t i = 0; i < len;) {
      size_t j = i + 1;
      if (wsOnly) while (j < len && line[j] == ' ') j++;
      size_t k = line.find(' ', j);
      if (k == std::string::npos) k = len;
      counts.add(line.data() + i, k - i);
      i = k;
    }
    return maxSentences <= 0 || usedLines < static_cast<double>(maxSentences);
  }
};

// The type tag of word-counter handles: an External from anywhere else is refused, not cast.
constexpr napi_type_tag kWordCounterTag = {0x6c6c616d61327763ull, 0x9d2f6a41c3e80b57ull};

WordCounter* counterArg(const Napi::CallbackInfo& info, const char* fn) {
  return llama2::unwrapTagged<WordCounter>(info, fn, 0, "counter", kWordCounterTag, "a word counter from wordCounterCreate");
}

// wordCounterCreate(maxSentenceLength, allowWhitespaceOnlyPieces, metaPieces: string[], maxSentences)
Napi::Value wordCounterCreate(const Napi::CallbackInfo& info) {
  const char* fn = "wordCounterCreate";
  llama2::expectArgs(info, fn, 4);
  auto c = std::make_unique<WordCounter>();  // owned until wrapped: every throw below frees it
  c->maxSentenceLength = llama2::dim(info, fn, 0, "maxSentenceLength");
  c->wsOnly = llama2::flag(info, fn, 1, "allowWhitespaceOnlyPieces");
  if (!info[2].IsArray()) llama2::fail(info, std::string(fn) + ": argument 2 (metaPieces) must be an array of strings, got " + llama2::typeName(info[2]));
  auto arr = info[2].As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsString()) llama2::fail(info, std::string(fn) + ": argument 2 (metaPieces): metaPieces[" + std::to_string(i) + "] must be a string");
    std::string p = v.As<Napi::String>().Utf8Value();
    if (!p.empty()) { c->metaFirst[static_cast<uint8_t>(p[0])] = true; c->meta.push_back(std::move(p)); }
  }
  std::stable_sort(c->meta.begin(), c->meta.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  c->maxSentences = llama2::dim(info, fn, 3, "maxSentences");
  return llama2::wrapTagged(info.Env(), std::move(c), kWordCounterTag);
}

// _untaggedExternal(): an External with no type tag — a foreign handle for the fuzz test
// (test/native/fuzz.test.ts) to pass where a word counter is expected. Holds nothing.
Napi::Value untaggedExternal(const Napi::CallbackInfo& info) {
  llama2::expectArgs(info, "_untaggedExternal", 0);
  static int dummy = 0;
  return Napi::External<int>::New(info.Env(), &dummy);
}
LLAMA2_EXPORT("_untaggedExternal", untaggedExternal);
LLAMA2_EXPORT("wordCounterCreate", wordCounterCreate);

// wordCounterAdd(counter, chunk: Uint8Array, endOfFile): counts every complete line; the tail
// after the last "\n" waits for the next chunk (or is a line of its own at endOfFile).
Napi::Value wordCounterAdd(const Napi::CallbackInfo& info) {
  const char* fn = "wordCounterAdd";
  llama2::expectArgs(info, fn, 3);
  WordCounter* c = counterArg(info, fn);
  size_t n = 0;
  const uint8_t* d = llama2::typed<uint8_t, napi_uint8_array>(info, fn, 1, "chunk", 0, "a Uint8Array", &n);
  const bool eof = llama2::flag(info, fn, 2, "endOfFile");
  if (c->stopped) return Napi::Boolean::New(info.Env(), false);
  size_t s = 0;
  for (;;) {
    const void* hit = n > s ? std::memchr(d + s, '\n', n - s) : nullptr;
    if (!hit) break;
    const size_t nl = static_cast<const uint8_t*>(hit) - d;
    bool more;
    if (!c->carry.empty()) {
      c->carry.append(reinterpret_cast<const char*>(d + s), nl - s);
      more = c->addLine(reinterpret_cast<const uint8_t*>(c->carry.data()), c->carry.size());
      c->carry.clear();
    } else {
      more = c->addLine(d + s, nl - s);
    }
    s = nl + 1;
    if (!more) { c->stopped = true; return Napi::Boolean::New(info.Env(), false); }
  }
  c->carry.append(reinterpret_cast<const char*>(d + s), n - s);
  if (eof && !c->carry.empty()) {
    bool more = c->addLine(reinterpret_cast<const uint8_t*>(c->carry.data()), c->carry.size());
    c->carry.clear();
    if (!more) c->stopped = true;
  }
  if (eof) c->carry.clear();
  return Napi::Boolean::New(info.Env(), !c->stopped);
}
LLAMA2_EXPORT("wordCounterAdd", wordCounterAdd);

// wordCounterResult(counter) -> { words: string[] (spaces as ▁), counts: Float64Array, lines, usedLines, tooLong }
Napi::Value wordCounterResult(const Napi::CallbackInfo& info) {
  const char* fn = "wordCounterResult";
  llama2::expectArgs(info, fn, 1);
  WordCounter* c = counterArg(info, fn);
  Napi::Env env = info.Env();
  auto words = Napi::Array::New(env, c->counts.size());
  auto counts = Napi::Float64Array::New(env, c->counts.size());
  uint32_t i = 0;
  std::string w;
  c->counts.forEach([&](const char* key, size_t n, double count) {
    w.clear();
    for (size_t k = 0; k < n; k++) {
      if (key[k] == ' ') w.append("\xE2\x96\x81");
      else w.push_back(key[k]);
    }
    words.Set(i, Napi::String::New(env, w));
    counts[i] = count;
    i++;
  });
  auto out = Napi::Object::New(env);
  out.Set("words", words);
  out.Set("counts", counts);
  out.Set("lines", c->lines);
  out.Set("usedLines", c->usedLines);
  out.Set("tooLong", c->tooLong);
  return out;
}
LLAMA2_EXPORT("wordCounterResult", wordCounterResult);

}  // namespace
