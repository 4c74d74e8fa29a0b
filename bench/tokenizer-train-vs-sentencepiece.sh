#!/usr/bin/env bash
# Tokenizer training time, side by side: `llama2 tokenizer train` and Python sentencepiece
# (model_type=bpe, byte_fallback, split_digits, identity normalizer: Llama 2's trainer_spec, 2 threads)
# on the same generated corpus and vocabulary, alternated ROUNDS times; prints the medians and ratio,
# bytes/token of both on held-out text and whether the vocabularies are identical. Without the
# reference env (scripts/reference, REF_PYTHON) it times ours alone.
#   usage: bench/tokenizer-train-vs-sentencepiece.sh [MB=20] [VOCABS="8000 32000"] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-20}; vocabs=${2:-"8000 32000"}; rounds=${3:-3}
py=${REF_PYTHON:-$HOME/.cache/llama2-reference-venv/bin/python}
dir=${TMPDIR:-/tmp}/llama2-bpe-bench
mkdir -p "$dir"
corpus="$dir/corpus-${mb}mb.txt"; heldout="$dir/heldout.txt"
[ -f "$corpus" ] || node dist/bench/corpus-gen.js --seed 7 --mb "$mb" --out "$corpus"
[ -f "$heldout" ] || node dist/bench/corpus-gen.js --seed 8 --mb 1 --out "$heldout"
for v in $vocabs; do
  if [ -x "$py" ]; then
    "$py" scripts/reference/compare_bpe_trainer.py --train "$corpus" --heldout "$heldout" --vocab-size "$v" --repeat "$rounds" \
      --out "$dir/compare-$v.json" > /dev/null
    node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const t = r.train_seconds;
console.log(`vocab ${r.vocab_size}, ${(r.corpus_bytes / 1e6).toFixed(1)} MB: llama2-ts ${t.ours.map((x) => x.toFixed(2)).join("/")} s, ` +
  `sentencepiece ${t.sentencepiece.map((x) => x.toFixed(2)).join("/")} s; median ratio ${(med(t.ours) / med(t.sentencepiece)).toFixed(2)}x`);
console.log(`  bytes/token held-out: ours ${r.ours.bytes_per_token.toFixed(4)}, sentencepiece ${r.sentencepiece.bytes_per_token.toFixed(4)}; ` +
  `vocabulary identical in order: ${r.normal_pieces_identical_in_order}`);' "$dir/compare-$v.json"
  else
    for r in $(seq "$rounds"); do
      s=$(date +%s.%N)
      node dist/src/cli/main.js tokenizer train --input "$corpus" --vocab-size "$v" --out "$dir/ours-$v" --quiet
      echo "vocab $v: llama2-ts $(echo "$(date +%s.%N) - $s" | bc) s (no reference env: sentencepiece not run)"
    done
  fi
done
