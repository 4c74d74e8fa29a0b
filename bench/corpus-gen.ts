// A seeded generator of English-like prose for tokenizer training tests and benchmarks: common
// English words plus pseudo-words built from syllables and affixes, drawn with Zipf frequencies,
// with punctuation, capitals, numbers, quotes, accented words and a few rare non-Latin characters
// (which character_coverage leaves to byte fallback). Usage:
//   node dist/bench/corpus-gen.js --seed 1 --mb 20 --out /tmp/corpus.txt [--edge-cases]
// The trainer fixtures came from it: test/fixtures/tokenizer/trainer-corpus.txt is
// `--seed 1 --mb 0.7 --edge-cases`, trainer-heldout.txt is `--seed 2 --mb 0.2`.
import fs from "node:fs";
import { fileURLToPath } from "node:url";

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON = (
  "the of and to a in is it you that he was for on are with as I his they be at one have this from " +
  "or had by hot word but what some we can out other were all there when up use your how said an each " +
  "she which do their time if will way about many then them write would like so these her long make " +
  "thing see him two has look more day could go come did number sound no most people my over know " +
  "water than call first who may down side been now find any new work part take get place made live " +
  "where after back little only round man year came show every good me give our under name very " +
  "through just form sentence great think say help low line differ turn cause much mean before move " +
  "right boy old too same tell does set three want air well also play small end put home read hand " +
  "port large spell add even land here must big high such follow act why ask men change went light " +
  "kind off need house picture try us again animal point mother world near build self earth father " +
  "head stand own page should country found answer school grow study still learn plant cover food sun " +
  "four between state keep eye never last let thought city tree cross farm hard start might story saw " +
  "far sea draw left late run don't while press close night real life few north open seem together " +
  "next white children begin got walk example ease paper group always music those both mark often " +
  "letter until mile river car feet care second book carry took science eat room friend began idea " +
  "fish mountain stop once base hear horse cut sure watch color face wood main enough plain girl " +
  "usual young ready above ever red list though feel talk bird soon body dog family direct pose leave " +
  "song measure door product black short numeral class wind question happen complete ship area half " +
  "rock order fire south problem piece told knew pass since top whole king space heard best hour " +
  "better true during hundred five remember step early hold west ground interest reach fast verb sing " +
  "listen six table travel less morning ten simple several vowel toward war lay against pattern slow " +
  "center love person money serve appear road map rain rule govern pull cold notice voice unit power " +
  "town fine certain fly fall lead cry dark machine note wait plan figure star box noun field rest " +
  "correct able pound done beauty drive stood contain front teach week final gave green oh quick " +
  "develop ocean warm free minute strong special mind behind clear tail produce fact street inch " +
  "multiply nothing course stay wheel full force blue object decide surface deep moon island foot " +
  "system busy test record boat common gold possible plane stead dry wonder laugh thousand ago ran " +
  "check game shape equate miss brought heat snow tire bring yes distant fill east paint language among"
).split(" ");
const ONSETS = "b c d f g h j k l m n p r s t v w y z bl br ch cl cr dr fl fr gl gr pl pr sc sh sk sl sm sn sp st str sw th tr wh".split(" ");
const VOWELS = "a e i o u a e i o u ai ea ee ie oo ou ay oi".split(" ");
const CODAS = " n r s t l m nd nt st rk ck ng sh th ll ss rt".split(" ");
const SUFFIXES = " s ed ing er ly tion ment ness able al ity ous ive ers".split(" ");
const PREFIXES = " un re in dis pre over".split(" ");
const ACCENTED = "café naïve résumé Zürich façade señor crème déjà über São Kraków Ångström piñata coöperate".split(" ");
const RARE = "α β γ λ Ω Ж я 東 京 日 本 語 한 국 ✓ ★ → ∑ € £ ¥ © ° ± µ ½ 🙂 🚀 ♥".split(" ");
const NAMES = "Alice Bob Carol David Eve Frank Grace Heidi Ivan Judy Mallory Oscar Peggy Trent Victor Walter London Paris Berlin Tokyo Nairobi Lima Oslo Cairo Delhi".split(" ");

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** The word list: common words first, then seeded pseudo-words; Zipf cumulative weights over it. */
function lexicon(r: () => number, size: number): { words: string[]; cdf: Float64Array } {
  const words = [...COMMON];
  const seen = new Set(words);
  while (words.length < size) {
    const syl = 1 + Math.floor(r() * r() * 4);
    let w = r() < 0.15 ? pick(r, PREFIXES) : "";
    for (let i = 0; i < syl; i++) w += pick(r, ONSETS) + pick(r, VOWELS) + (r() < 0.5 ? pick(r, CODAS) : "");
    if (r() < 0.35) w += pick(r, SUFFIXES);
    if (!seen.has(w)) { seen.add(w); words.push(w); }
  }
  const cdf = new Float64Array(words.length);
  let acc = 0;
  for (let i = 0; i < words.length; i++) { acc += 1 / Math.pow(i + 2.7, 1.07); cdf[i] = acc; }
  for (let i = 0; i < cdf.length; i++) cdf[i]! /= acc;
  return { words, cdf };
}

function zipf(r: () => number, cdf: Float64Array): number {
  const u = r();
  let lo = 0, hi = cdf.length - 1;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid]! < u) lo = mid + 1; else hi = mid; }
  return lo;
}

function numberToken(r: () => number): string {
  const k = r();
  if (k < 0.3) return String(1800 + Math.floor(r() * 230));
  if (k < 0.5) return String(Math.floor(r() * 100));
  if (k < 0.65) return `${Math.floor(r() * 100)}.${Math.floor(r() * 100)}`;
  if (k < 0.8) return `${1 + Math.floor(r() * 99)},${String(Math.floor(r() * 1000)).padStart(3, "0")}`;
  if (k < 0.9) return `${Math.floor(r() * 100)}%`;
  return `$${Math.floor(r() * 10000)}`;
}

function sentence(r: () => number, lex: { words: string[]; cdf: Float64Array }): string {
  const n = 4 + Math.floor(r() * 18);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = r();
    let w: string;
    if (k < 0.02) w = numberToken(r);
    else if (k < 0.035) w = pick(r, NAMES);
    else if (k < 0.038) w = pick(r, ACCENTED);
    else if (k < 0.0392) w = pick(r, RARE) + (r() < 0.5 ? pick(r, RARE) : "");
    else w = lex.words[zipf(r, lex.cdf)]!;
    if (i > 0 && i < n - 1) {
      const p = r();
      if (p < 0.07) w += ",";
      else if (p < 0.075) w += ";";
      else if (p < 0.08) w = `(${w})`;
      else if (p < 0.086) w = `"${w}"`;
      else if (p < 0.09) w += "'s";
    }
    out.push(w);
  }
  out[0] = out[0]!.charAt(0).toUpperCase() + out[0]!.slice(1);
  const end = r();
  return out.join(r() < 0.01 ? "  " : " ") + (end < 0.8 ? "." : end < 0.9 ? "?" : end < 0.97 ? "!" : "...");
}

/** Lines that exercise sentencepiece's corner cases (meta pieces in text, ▁, tabs, spaces, CR, U+2585, an over-long line). */
export const EDGE_LINES = [
  "Markers like <s> and </s> or <unk> and <0x41> appear in raw text.",
  "Already\u2581escaped\u2581words and a\u2581b.",
  "tab\tseparated\tvalues\tin a line",
  "   leading spaces and trailing spaces   ",
  "double  spaces  between  words",
  "a windows line ending\r",
  "this line has the reserved \u2585 character and is skipped",
  "long ".repeat(1000),
];

/** About `bytes` bytes of prose, one paragraph (1–8 sentences) a line, seeded; edge lines spread through it. */
export function generateCorpus(seed: number, bytes: number, lexiconSize = 12000, edgeCases = false): string {
  const lexR = rng(0x5eed); // one lexicon for every seed, so held-out text shares the vocabulary
  const lex = lexicon(lexR, lexiconSize);
  const r = rng(seed);
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const k = 1 + Math.floor(r() * 8);
    const sents: string[] = [];
    for (let i = 0; i < k; i++) sents.push(sentence(r, lex));
    let line = sents.join(" ");
    if (r() < 0.01) line = "\t" + line;
    lines.push(line);
    size += Buffer.byteLength(line) + 1;
    if (edgeCases && lines.length % 97 === 0) lines.push(EDGE_LINES[(lines.length / 97) % EDGE_LINES.length]!);
  }
  return lines.join("\n") + "\n";
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) {
  const arg = (name: string, dflt: string): string => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
  };
  const out = arg("out", "");
  if (!out) { console.error("usage: node dist/bench/corpus-gen.js --seed N --mb MB --out FILE"); process.exit(2); }
  const text = generateCorpus(Number(arg("seed", "1")), Number(arg("mb", "1")) * 1e6, 12000, process.argv.includes("--edge-cases"));
  fs.writeFileSync(out, text);
  console.error(`wrote ${out}: ${(Buffer.byteLength(text) / 1e6).toFixed(2)} MB`);
}
