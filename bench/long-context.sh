#!/usr/bin/env bash
# Long-context training steps at the stories15M shape, batch 1: llama2-ts (`llama2 bench train`,
# FlashAttention-2 tiles in native/attention_flash*) against PyTorch (HF LlamaForCausalLM, sdpa,
# float32, 2 threads: bench/train_pytorch.py), alternated run by run, ROUNDS times each, at every
# T in SEQS. Prints every run, then per T the median tokens/s and peak RSS of each side with the
# spread (min–max) and the ratio of medians. Needs the reference env for PyTorch
# (bash ../shared/tools/reference-env.sh, or REF_PYTHON=path). BASELINE=DIR adds a third side: the
# built checkout in DIR (e.g. a worktree of an older commit), run the same way in the same rounds.
# THREADS=N runs both sides on N threads (default 2). Besides wall-clock tokens/s it reports CPU seconds
# per step (all threads): on a shared machine the wall clock swings with the load, CPU time much less
# (at THREADS=1 it is the work itself; at 2 threads PyTorch's OpenMP workers also count their spinning).
# The load average (uptime) is printed before every round and at the end: quote it with the figures.
#   usage: [BASELINE=DIR] [THREADS=2] bench/long-context.sh [ROUNDS=3] [STEPS=3] [SEQS="1024 2048 4096"]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; steps=${2:-3}; seqs=${3:-"1024 2048 4096"}; threads=${THREADS:-2}
export LLAMA2_NUM_THREADS=$threads
py=${REF_PYTHON:-$HOME/.cache/llama2-reference-venv/bin/python}
[ -x "$py" ] || { echo "long-context: no PyTorch python at $py (set REF_PYTHON)" >&2; exit 1; }
runs=()
echo "long-context: $(date -u '+%Y-%m-%d %H:%M UTC'), THREADS=$threads, $(nproc) CPUs, load: $(uptime | sed 's/.*load average: //')"
for r in $(seq "$rounds"); do
  echo "round $r load: $(uptime | sed 's/.*load average: //')"
  for T in $seqs; do
    o=$(node dist/src/cli/main.js bench train --preset stories15M --batch 1 --seq "$T" --steps "$steps" --json)
    case $o in *cpu_s_median*) ;; *) echo "long-context: bench train printed no cpu_s_median: dist/ is older than src/ (run npx tsc -p .)" >&2; exit 1;; esac
    echo "round $r T=$T llama2-ts: $o"; runs+=("{\"side\":\"llama2-ts\",\"T\":$T,\"r\":$o}")
    t=$("$py" bench/train_pytorch.py --dim 288 --layers 6 --heads 6 --kv-heads 6 --ffn 768 --vocab 32000 \
        --batch 1 --seq "$T" --steps "$steps" --attn sdpa --threads "$threads")
    echo "round $r T=$T pytorch:   $t"; runs+=("{\"side\":\"pytorch\",\"T\":$T,\"r\":$t}")
    if [ -n "${BASELINE:-}" ]; then
      b=$(node "$BASELINE/dist/src/cli/main.js" bench train --preset stories15M --batch 1 --seq "$T" --steps "$steps" --json)
      echo "round $r T=$T baseline:  $b"; runs+=("{\"side\":\"baseline\",\"T\":$T,\"r\":$b}")
    fi
  done
done
echo "end load: $(uptime | sed 's/.*load average: //')"
node -e '
const runs = JSON.parse(process.argv[1]);
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const span = (xs, d = 0) => `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}`;
const num = (x, d) => Number.isFinite(x) ? x.toFixed(d) : "n/a";
const ratio = (x) => Number.isFinite(x) ? `${x.toFixed(2)}x` : "n/a";
const base = runs.some((x) => x.side === "baseline");
const cols = (o) => {
  const t = o.map((x) => x.tokens_per_s), m = o.map((x) => x.peak_rss_mb);
  const c = o.filter((x) => x.cpu_s_median !== undefined).map((x) => x.cpu_s_median * 1000 / x.batch / x.seq);
  // a build older than the CPU-time field (BASELINE) shows n/a, not NaN
  return { t: med(t), m: med(m), c: c.length ? med(c) : NaN, ts: span(t), ms: span(m), cs: c.length ? span(c, 2) : "n/a" };
};
for (const o of runs) { o.r.batch ??= 1; o.r.seq ??= o.T; }
console.log(`| T | llama2-ts tokens/s (spread) | PyTorch tokens/s (spread) | ratio |${base ? " baseline tokens/s (spread) | ratio to baseline |" : ""} llama2-ts CPU ms/token | PyTorch CPU ms/token | CPU ratio |${base ? " baseline CPU ms/token | CPU ratio to baseline |" : ""} llama2-ts peak RSS MB | PyTorch peak RSS MB |${base ? " baseline peak RSS MB |" : ""}`);
console.log(`| --: | --: | --: | --: |${base ? " --: | --: |" : ""} --: | --: | --: |${base ? " --: | --: |" : ""} --: | --: |${base ? " --: |" : ""}`);
for (const T of [...new Set(runs.map((x) => x.T))]) {
  const side = (s) => cols(runs.filter((x) => x.T === T && x.side === s).map((x) => x.r));
  const o = side("llama2-ts"), p = side("pytorch"), b = base ? side("baseline") : null;
  console.log(`| ${T} | ${o.t.toFixed(0)} (${o.ts}) | ${p.t.toFixed(0)} (${p.ts}) | ${(o.t / p.t).toFixed(2)}x |` +
    (b ? ` ${b.t.toFixed(0)} (${b.ts}) | ${(o.t / b.t).toFixed(2)}x |` : "") +
    ` ${num(o.c, 2)} (${o.cs}) | ${num(p.c, 2)} (${p.cs}) | ${ratio(p.c / o.c)} |` +
    (b ? ` ${num(b.c, 2)} (${b.cs}) | ${ratio(b.c / o.c)} |` : "") +
    ` ${o.m.toFixed(0)} (${o.ms}) | ${p.m.toFixed(0)} (${p.ms}) |` + (b ? ` ${b.m.toFixed(0)} (${b.ms}) |` : ""));
  // same-round ratios (adjacent runs see the same load): tokens/s ours / theirs, CPU s theirs / ours
  const pair = (a, c, f) => runs.filter((x) => x.T === T && x.side === a).map((x, i) => num(f(x.r, runs.filter((y) => y.T === T && y.side === c)[i].r), 2));
  const speed = (x, y) => x.tokens_per_s / y.tokens_per_s, cpu = (x, y) => y.cpu_s_median / x.cpu_s_median;
  console.log(`  per-round ratios T ${T}: tokens/s ours/PyTorch ${pair("llama2-ts", "pytorch", speed).join(", ")}; CPU ${pair("llama2-ts", "pytorch", cpu).join(", ")}` +
    (b ? `; tokens/s ours/baseline ${pair("llama2-ts", "baseline", speed).join(", ")}; CPU ${pair("llama2-ts", "baseline", cpu).join(", ")}` : ""));
}' "[$(IFS=,; echo "${runs[*]}")]"
