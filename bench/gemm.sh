#!/usr/bin/env bash
# Side by side: `llama2 bench gemm` (native/gemm.cpp) vs numpy/OpenBLAS sgemm (bench/gemm_numpy.py)
# on 1024^3 and the stories15M training/decoding shapes. Per shape the two run back to back, so
# both see the same machine load; each reports the median of R repeats. Prints ours, numpy, ratio
# in wall-clock GFLOP/s, then the same in GFLOP per CPU-second (per-core speed, robust to load;
# with OpenBLAS's default spin-waiting its CPU figure also counts spinning).
# Usage: bench/gemm.sh [R] [THREADS]   (needs `npm run build`; numpy from the reference env if
# present). THREADS (default: all cores) sets OMP_NUM_THREADS and OPENBLAS_NUM_THREADS alike.
set -euo pipefail
cd "$(dirname "$0")/.."
R="${1:-5}"
if [ -n "${2:-}" ]; then export OMP_NUM_THREADS="$2" OPENBLAS_NUM_THREADS="$2"; fi
PY="${LLAMA2_REFERENCE_PYTHON:-/root/.cache/llama2-reference-venv/bin/python}"
CLI="node dist/src/cli/main.js"
have_py=0
[ -x "$PY" ] && "$PY" -c "import numpy" 2>/dev/null && have_py=1
[ "$have_py" = 1 ] || echo "(no reference python at $PY: numpy column skipped)" >&2
echo "threads=$($CLI bench gemm --m 8 --n 8 --k 8 --json --repeat 1 | node -pe 'const j=JSON.parse(require("fs").readFileSync(0));j.threads+" simd="+j.simd') repeats=$R $(date -u +%FT%TZ)"
printf '%-24s %6s %6s %6s %2s %2s %9s %9s %6s %9s %9s %6s\n' shape M N K tA tB ours numpy ratio ours/cpu numpy/cpu ratio
$CLI bench gemm --list | while IFS= read -r shape; do
  read -r name M N K TA TB ACC < <(node -e '
    const s = JSON.parse(process.argv[1]);
    console.log([s.name.replace(/ /g, "_"), s.M, s.N, s.K, +s.transA, +s.transB, +s.accumulate].join(" "));' "$shape")
  flags=(--m "$M" --n "$N" --k "$K" --repeat "$R" --json)
  [ "$TA" = 1 ] && flags+=(--ta); [ "$TB" = 1 ] && flags+=(--tb); [ "$ACC" = 1 ] && flags+=(--acc)
  read -r ours oursCpu < <($CLI bench gemm "${flags[@]}" | node -pe 'const j=JSON.parse(require("fs").readFileSync(0));j.gflops.toFixed(1)+" "+j.gflopsPerCpuSecond.toFixed(1)')
  theirs="-"; ratio="-"; theirsCpu="-"; ratioCpu="-"
  if [ "$have_py" = 1 ]; then
    # OpenBLAS picks its kernel from CPUID; the env's CORETYPE/L2 overrides are for other tools.
    read -r theirs theirsCpu < <(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" bench/gemm_numpy.py "${flags[@]}" | node -pe 'const j=JSON.parse(require("fs").readFileSync(0));j.gflops.toFixed(1)+" "+j.gflopsPerCpuSecond.toFixed(1)')
    ratio=$(node -pe "($ours / $theirs).toFixed(2)")
    ratioCpu=$(node -pe "($oursCpu / $theirsCpu).toFixed(2)")
  fi
  printf '%-24s %6s %6s %6s %2s %2s %9s %9s %6s %9s %9s %6s\n' "${name//_/ }" "$M" "$N" "$K" "$TA" "$TB" "$ours" "$theirs" "$ratio" "$oursCpu" "$theirsCpu" "$ratioCpu"
done
