#!/usr/bin/env bash
# Side-by-side training-step benchmark at the stories15M shape: llama2-ts (`llama2 bench train`) and
# PyTorch (HF LlamaForCausalLM, 2 threads) alternated in one run, ROUNDS times each; prints every run
# and the ratio of medians. Needs the reference env (../shared/tools/reference-env.sh) for PyTorch.
#   usage: bench/train-vs-pytorch.sh [ROUNDS=3] [STEPS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; steps=${2:-5}
py=${REF_PYTHON:-$HOME/.cache/llama2-reference-venv/bin/python}
ours=(); theirs=()
for r in $(seq "$rounds"); do
  o=$(node dist/src/cli/main.js bench train --preset stories15M --batch 8 --seq 256 --steps "$steps" --json)
  echo "llama2-ts: $o"; ours+=("$o")
  if [ -x "$py" ]; then
    t=$("$py" bench/train_pytorch.py --dim 288 --layers 6 --heads 6 --kv-heads 6 --ffn 768 --vocab 32000 --batch 8 --seq 256 --steps "$steps")
    echo "pytorch:   $t"; theirs+=("$t")
  fi
done
node -e '
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const [ours, theirs] = [JSON.parse(process.argv[1]), JSON.parse(process.argv[2])];
const o = med(ours.map((x) => x.tokens_per_s)), g = med(ours.map((x) => x.gflops)), m = med(ours.map((x) => x.peak_rss_mb));
console.log(`llama2-ts median: ${o.toFixed(0)} tokens/s, ${g.toFixed(1)} GFLOP/s, peak RSS ${m.toFixed(0)} MB`);
if (theirs.length) {
  const p = med(theirs.map((x) => x.tokens_per_s)), pm = med(theirs.map((x) => x.peak_rss_mb));
  console.log(`pytorch   median: ${p.toFixed(0)} tokens/s, ${med(theirs.map((x) => x.gflops)).toFixed(1)} GFLOP/s, peak RSS ${pm.toFixed(0)} MB`);
  console.log(`ratio llama2-ts / pytorch: ${(o / p).toFixed(2)}x tokens/s, ${(m / pm).toFixed(2)}x memory`);
}' "[$(IFS=,; echo "${ours[*]}")]" "[$(IFS=,; echo "${theirs[*]:-}")]"
