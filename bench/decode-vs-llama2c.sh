#!/usr/bin/env bash
# Batch-1 decoding beside llama2.c's run.c at the stories15M shape (issue 13 item 4), in one run:
#  1. builds run.c from a llama2.c checkout you fetched (never downloaded here) as its Makefile's
#     `runomp` does (-Ofast -march=native -fopenmp), plus a copy that also prints each sampled id;
#  2. makes a stories15M-shaped model with seeded random weights, exports it to llama2.c's v0 format
#     (src/model/llama2c-export.ts, as export.py's legacy_export) and checks run.c's greedy ids from <s> equal ours;
#  3. alternates `run.c -t 0 -n 256` (libgomp default and, above one thread, OMP_WAIT_POLICY=passive) and
#     `llama2 bench generate --prompt-len 1 --new-tokens 255` (per --dtype) ROUNDS times, for each thread
#     count of --threads (run.c's OMP_NUM_THREADS, our LLAMA2_NUM_THREADS), and prints per thread count
#     medians, ranges and the ratio to the faster run.c, with the load average of each round.
#  Refuses to run on an addon older than native/ or a dist/ older than src/ (build first: npm run build:native, npx tsc -p .).
#   usage: bench/decode-vs-llama2c.sh --llama2c DIR [--rounds 5] [--threads "1 2"] [--dtypes "float32 bfloat16 q8_0"]
set -euo pipefail
cd "$(dirname "$0")/.."
l2c=""; rounds=5; threads="1 2"; dtypes="float32 bfloat16 q8_0"; steps=256
while [ $# -gt 0 ]; do
  case "$1" in
    --llama2c) l2c=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --dtypes) dtypes=$2; shift 2 ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
    *) echo "decode-vs-llama2c: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -f "$l2c/run.c" ] || { echo "decode-vs-llama2c: --llama2c DIR must be a llama2.c checkout (no run.c in '$l2c')" >&2; exit 2; }
[ -f "$l2c/tokenizer.bin" ] || { echo "decode-vs-llama2c: $l2c/tokenizer.bin is missing" >&2; exit 2; }
# A stale addon or dist/ would measure old code (or fail): refuse, naming the command that rebuilds it.
addon=build/Release/llama2_native.node
[ -f "$addon" ] || { echo "decode-vs-llama2c: $addon is missing: run npm run build:native" >&2; exit 2; }
[ -z "$(find native binding.gyp -newer "$addon" -print -quit)" ] || { echo "decode-vs-llama2c: $addon is older than native/ (e.g. $(find native binding.gyp -newer "$addon" -print -quit)): run npm run build:native" >&2; exit 2; }
[ -f dist/src/cli/main.js ] && [ -z "$(find src bench -name '*.ts' -newer dist/src/cli/main.js -print -quit)" ] || { echo "decode-vs-llama2c: dist/ is missing or older than src/ or bench/: run npx tsc -p ." >&2; exit 2; }
work=$(mktemp -d /tmp/llama2c-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cc=${CC:-gcc}
"$cc" -Ofast -march=native -fopenmp "$l2c/run.c" -lm -o "$work/run"
sed 's|next = sample(sampler, logits);|next = sample(sampler, logits); fprintf(stderr, "ID %d\\n", next);|' "$l2c/run.c" > "$work/run_ids.c"
grep -q 'fprintf(stderr, "ID' "$work/run_ids.c" || { echo "decode-vs-llama2c: could not instrument run.c's sampling line" >&2; exit 1; }
"$cc" -Ofast -march=native -fopenmp "$work/run_ids.c" -lm -o "$work/run_ids"

ours_ids=$(node dist/bench/llama2c-model.js "$work/model" $((steps - 1)))
theirs_ids=$(OMP_NUM_THREADS=${threads##* } "$work/run_ids" "$work/model/model.bin" -z "$l2c/tokenizer.bin" -t 0 -n $steps -i "" 2>&1 >/dev/null | sed -n 's/^ID //p' | paste -sd, -)
node -e '
const ours = JSON.parse(process.argv[1]).ids;
// run.c samples one token more than it feeds back (the last needs no position), and stops early if it
// samples <s> (id 1); compare over the tokens both produced.
const theirs = process.argv[2].split(",").filter(Boolean).map(Number).slice(0, ours.length);
let i = 0; while (i < theirs.length && theirs[i] === ours[i]) i++;
if (i === theirs.length && theirs.length > 0) console.log(`greedy ids: run.c and llama2-ts agree on all ${theirs.length} tokens`);
else { console.log(`greedy ids DIFFER at token ${i}: run.c ${theirs.slice(i, i + 5)} vs llama2-ts ${ours.slice(i, i + 5)}`); process.exitCode = 1; }
' "$ours_ids" "$theirs_ids" || ids_differ=1

ids_differ=${ids_differ:-0}
# One measurement per (threads, program) per round, all alternated, so every figure sees the same load.
declare -A res
run_c() {  # threads [wait policy]
  env ${2:+OMP_WAIT_POLICY=$2} OMP_NUM_THREADS="$1" "$work/run" "$work/model/model.bin" -z "$l2c/tokenizer.bin" -t 0 -n $steps -i "" 2>&1 >/dev/null | sed -n 's/^achieved tok\/s: //p'
}
add() { res[$1]="${res[$1]:-}${res[$1]:+,}$2"; }
for r in $(seq "$rounds"); do
  for th in $threads; do
    t=$(run_c "$th"); echo "round $r threads $th run.c: $t tokens/s (load $(cut -d' ' -f1 /proc/loadavg))"; add "$th run.c" "$t"
    if [ "$th" -gt 1 ]; then
      # libgomp's default spins idle workers, which collapses on a loaded machine; passive is run.c's best case there.
      t=$(run_c "$th" passive); echo "round $r threads $th run.c OMP_WAIT_POLICY=passive: $t tokens/s"; add "$th run.c-passive" "$t"
    fi
    for d in $dtypes; do
      o=$(LLAMA2_NUM_THREADS=$th OMP_NUM_THREADS=$th node dist/src/cli/main.js bench generate --preset stories15M --prompt-len 1 --new-tokens $((steps - 1)) --repeat 1 --dtype "$d" --json)
      v=$(node -e 'console.log(JSON.parse(process.argv[1]).decode_tokens_per_s.toFixed(1))' "$o")
      echo "round $r threads $th llama2-ts $d: $v tokens/s"; add "$th $d" "$v"
    done
  done
done
echo "load after the rounds: $(cut -d' ' -f1-3 /proc/loadavg)"
args=(); for k in "${!res[@]}"; do args+=("$k=${res[$k]}"); done
node -e '
const stats = (xs) => { const s = [...xs].sort((a, b) => a - b); return { med: s[Math.floor(s.length / 2)], lo: s[0], hi: s[s.length - 1] }; };
const res = new Map(process.argv.slice(3).map((a) => { const i = a.indexOf("="); return [a.slice(0, i), stats(a.slice(i + 1).split(",").map(Number))]; }));
const fmt = (o) => `median ${o.med.toFixed(0)} tokens/s (range ${o.lo.toFixed(0)}-${o.hi.toFixed(0)})`;
for (const th of process.argv[1].split(" ").filter(Boolean)) {
  const t = res.get(`${th} run.c`), p = res.get(`${th} run.c-passive`);
  console.log(`threads ${th}:`);
  console.log(`  run.c (default)  ${fmt(t)}`);
  if (p) console.log(`  run.c (passive)  ${fmt(p)}`);
  const best = Math.max(t.med, p ? p.med : 0);
  for (const d of process.argv[2].split(" ").filter(Boolean)) {
    const o = res.get(`${th} ${d}`);
    console.log(`  llama2-ts ${d.padEnd(8)} ${fmt(o)}, ratio to the faster run.c ${(o.med / best).toFixed(2)}x`);
  }
}' "$threads" "$dtypes" "${args[@]}"
[ "$ids_differ" = 0 ] || { echo "decode-vs-llama2c: greedy ids differ (see above)" >&2; exit 1; }
