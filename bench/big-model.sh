#!/usr/bin/env bash
# Big models (issue 13 item 5): a synthetic llama2-7b-shaped bf16 checkpoint (bench/synthetic-checkpoint.ts,
# written to DIR once and reused; ~13.5 GB, never committed) loaded with weights kept as bf16 and as q8_0:
# load time, RSS after load, peak RSS, decode tokens/s. Each measurement is its own process (clean peak RSS),
# dtypes alternate ROUNDS times. --llamacpp adds llama.cpp (node-llama-cpp 3.21.1) on the same weights as a q8_0
# GGUF (`llama2 export`, which streams the checkpoint a tensor at a time; written to DIR once with the 32k Llama
# vocabulary fixture as its tokenizer)
# to every round, on --cpp-threads threads (default 1: its spinning workers lose on a loaded 2-core machine).
#   usage: bench/big-model.sh [--dir /tmp/llama2-7b-bf16] [--rounds 1] [--new-tokens 8] [--dtypes "bfloat16 q8_0"]
#          [--llamacpp] [--cpp-threads 1]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=/tmp/llama2-7b-bf16; rounds=1; n=8; dtypes="bfloat16 q8_0"; cpp=0; cpp_threads=1
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --new-tokens) n=$2; shift 2 ;;
    --dtypes) dtypes=$2; shift 2 ;;
    --llamacpp) cpp=1; shift ;;
    --cpp-threads) cpp_threads=$2; shift 2 ;;
    -h|--help) sed -n 2,10p "$0"; exit 0 ;;
    *) echo "big-model: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -f "$dir/model.safetensors" ] || node dist/bench/synthetic-checkpoint.js "$dir" llama2-7b
if [ "$cpp" = 1 ]; then
  for f in tokenizer.json tokenizer_config.json; do [ -f "$dir/$f" ] || cp "test/fixtures/tokenizer/llama2-32k/$f" "$dir/"; done
  [ -f "$dir/model-q8_0.gguf" ] || node dist/src/cli/main.js export --model "$dir" --format gguf --type q8_0 --out "$dir/model-q8_0.gguf"
fi
for r in $(seq "$rounds"); do
  for d in $dtypes; do
    echo "round $r: $(node dist/bench/big-model.js "$dir" "$d" "$n")"
  done
  [ "$cpp" = 0 ] || echo "round $r: $(node dist/bench/big-model-llamacpp.js "$dir/model-q8_0.gguf" "$n" "$cpp_threads")"
done
