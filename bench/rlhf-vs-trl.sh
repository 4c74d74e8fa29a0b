#!/usr/bin/env bash
# Issue 14 "Measure", in one run: rollout tokens/s of llama2-ts decoding one prompt at a time vs batched
# (bench/rlhf-bench.ts rollouts), the time split of a `llama2 ppo` iteration, and TRL's online RL trainer
# (RLOOTrainer; TRL 1.13 has no PPOTrainer) at the same stories15M shape, prompts and batch structure
# (16 rollouts an iteration, 4 optimizer steps of 4, 64 new tokens, 2 threads): rollout tokens/s and
# time per iteration. The first iteration of each side is a warm-up and not counted.
#   bench/rlhf-vs-trl.sh [ITERATIONS=4] [WORK_DIR=$TMPDIR/llama2-rlhf-bench]     (after npm run build)
# LLAMA2_REFERENCE_PYTHON overrides the reference env's python.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${LLAMA2_REFERENCE_PYTHON:-/root/.cache/llama2-reference-venv/bin/python}
iters=${1:-4}
work=${2:-${TMPDIR:-/tmp}/llama2-rlhf-bench}
node dist/bench/rlhf-bench.js prepare --work "$work" >/dev/null
rollouts=$(node dist/bench/rlhf-bench.js rollouts --work "$work" --rounds 3)
echo "rollouts: $rollouts"
ours=$(node dist/bench/rlhf-bench.js ppo --work "$work" --iterations $((iters + 1)))
echo "llama2 ppo: $ours"
# libgomp's spinning workers collapse on a loaded machine (README: run.c); passive unless told otherwise.
trl=$(OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive} "$py" scripts/reference/rloo_bench.py --policy "$work/policy" --reward "$work/reward" --prompts "$work/prompts.jsonl" \
  --iterations $((iters + 1)) 2>/dev/null | tail -1)
echo "TRL RLOOTrainer: $trl"
node -e '
const [r, o, t] = process.argv.slice(1).map((s) => JSON.parse(s));
const b = r.by_batch;
console.log(`rollout tokens/s, one prompt at a time vs batched: 1: ${b["1"].tokens_per_s.toFixed(0)}, 8: ${b["8"].tokens_per_s.toFixed(0)} (${r.ratio_8_vs_1.toFixed(2)}x), 16: ${b["16"].tokens_per_s.toFixed(0)} (${r.ratio_16_vs_1.toFixed(2)}x), 32: ${b["32"].tokens_per_s.toFixed(0)}`);
console.log(`llama2 ppo iteration ${o.iteration_s.toFixed(2)} s = generation ${o.generation_s.toFixed(2)} + scoring ${o.scoring_s.toFixed(2)} + reference/old/value ${o.reference_s.toFixed(2)} + training ${o.training_s.toFixed(2)}`);
console.log(`TRL RLOO iteration ${t.iteration_s.toFixed(2)} s (generation ${t.generation_s.toFixed(2)}, scoring ${t.scoring_s.toFixed(2)})`);
console.log(`rollout tokens/s: llama2 ${o.rollout_tokens_per_s.toFixed(0)} vs TRL ${t.rollout_tokens_per_s.toFixed(0)} (${(o.rollout_tokens_per_s / t.rollout_tokens_per_s).toFixed(2)}x); time per iteration ${(t.iteration_s / o.iteration_s).toFixed(2)}x faster`);
' "$rollouts" "$ours" "$trl"
