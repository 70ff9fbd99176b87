#!/usr/bin/env bash
# What `themata batch` adds over running the same jobs by hand: five small jobs on the seed
# corpus, once as one `themata batch JOBS.toml` and once as five `themata run` invocations,
# alternating, ROUNDS times; prints the median of each and the difference per job.
#
#   cargo build --release && tools/batch_overhead.sh [ROUNDS] [CHARTS]
#
# ROUNDS defaults to 9; CHARTS is `none` (default) or `png,svg` (the default charts of `run`).
# The bar: at most 50 ms a job.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-9}
charts=${2:-none}
bin=target/release/themata
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "$charts" = none ]; then charts_toml='[]'; else charts_toml='["png", "svg"]'; fi
# Each job: name, then `run` flags, then the same as [job.config] keys.
jobs=(
  "paras|--unit paragraph|units.unit = \"paragraph\""
  "windows|--unit window|units.unit = \"window\""
  "docs|--unit document|units.unit = \"document\""
  "paras-k3|--unit paragraph --k 3|units.unit = \"paragraph\"
cluster.k = 3"
  "paras-seed7|--unit paragraph --seed 7|units.unit = \"paragraph\"
seed = 7"
)
{
  echo 'name = "overhead"'
  echo '[defaults]'
  echo "output.charts = $charts_toml"
  for j in "${jobs[@]}"; do
    printf '\n[[job]]\nname = "%s"\ninputs = ["seeds"]\n[job.config]\n' "${j%%|*}"
    printf '%s\n' "${j#*|*|}" # the keys, which may span lines
  done
} >"$work/jobs.toml"

now() { date +%s%N; }

by_batch() {
  rm -rf "$work/b"
  local t0; t0=$(now)
  "$bin" batch "$work/jobs.toml" --out "$work/b" -q
  echo $(( ($(now) - t0) / 1000 ))
}

by_hand() {
  rm -rf "$work/h"
  local t0; t0=$(now)
  for j in "${jobs[@]}"; do
    IFS='|' read -r name flags _ <<<"$j"
    # shellcheck disable=SC2086
    "$bin" run seeds $flags --charts "$charts" --out "$work/h" --name "$name" -q >/dev/null
  done
  echo $(( ($(now) - t0) / 1000 ))
}

# One unmeasured round of each warms the page cache.
by_batch >/dev/null
by_hand >/dev/null
b=(); h=()
for ((i = 0; i < rounds; i++)); do
  if (( i % 2 == 0 )); then b+=("$(by_batch)"); h+=("$(by_hand)"); else h+=("$(by_hand)"); b+=("$(by_batch)"); fi
done

# The results must be the same either way.
for j in "${jobs[@]}"; do
  name=${j%%|*}
  cmp -s "$work/b/overhead/$name/assignments.csv" "$work/h/$name/assignments.csv" ||
    { echo "$name: assignments.csv differs between batch and run" >&2; exit 1; }
done

# Inside the batch: its wall time less its jobs' own (index.json), i.e. reading the job file,
# resolving the configs and writing the index, from the last batch round.
jobs_s=$(grep -o '"seconds": [0-9.e-]*' "$work/b/overhead/index.json" | awk '{s += $2} END {print s}')
last=${b[${#b[@]}-1]}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mb=$(median "${b[@]}"); mh=$(median "${h[@]}")
n=${#jobs[@]}
echo "rounds: $rounds, jobs: $n, charts: $charts, machine: $(nproc) cores"
echo "batch (us):   ${b[*]}"
echo "by hand (us): ${h[*]}"
awk -v b="$mb" -v h="$mh" -v n="$n" 'BEGIN {
  printf "median batch %.1f ms, by hand %.1f ms: batch adds %+.1f ms a job (bar: at most 50 ms)\n",
    b / 1000, h / 1000, (b - h) / n / 1000 }'
awk -v t="$last" -v j="$jobs_s" 'BEGIN {
  printf "last batch: %.1f ms in all, %.1f ms in its jobs, %.1f ms its own (process start and exit included)\n",
    t / 1000, j * 1000, t / 1000 - j * 1000 }'
