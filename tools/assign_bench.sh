#!/usr/bin/env bash
# `themata assign` throughput (issue #27): all of 20 Newsgroups placed in the themes of a run on
# it, end to end (process start to exit: read, clean, cut, TF-IDF with the saved vocabulary,
# projection, nearest theme, every output written). Documents a second = 18,846 / median wall.
#   1. one run: `themata run C --text-field body --label-field label --unit document --k 20`
#   2. N alternating timings of `assign` with every output (PNG and SVG charts included) and with
#      `--charts none --no-unit-text`; medians and spreads printed.
#   tools/assign_bench.sh [RUNS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5}
NG=../shared/corpora/20newsgroups.jsonl.gz
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cargo build --release >/dev/null 2>&1
T=./target/release/themata
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
spread() { sort -g | awk 'NR==1{lo=$1} {hi=$1} END {print lo "-" hi}'; }
echo "sitting: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs"
"$T" run "$NG" --text-field body --label-field label --unit document --k 20 -q --charts none \
  --out "$W" --name base >/dev/null
echo "model: $(du -sh "$W/base/model" | cut -f1)"
full=(); lean=()
for i in $(seq 1 "$N"); do
  /usr/bin/time -f '%e' -o "$W/t" "$T" assign "$W/base" "$NG" -q --charts png,svg --out "$W" --name "f$i" >/dev/null
  full+=("$(cat "$W/t")")
  /usr/bin/time -f '%e' -o "$W/t" "$T" assign "$W/base" "$NG" -q --charts none --no-unit-text \
    --out "$W" --name "l$i" >/dev/null
  lean+=("$(cat "$W/t")")
  rm -rf "$W/f$i" "$W/l$i"
done
for what in full lean; do
  declare -n xs=$what
  m=$(printf '%s\n' "${xs[@]}" | median)
  echo "$what: median ${m} s (spread $(printf '%s\n' "${xs[@]}" | spread) s), $(python3 -c "print(round(18846 / $m))") documents/s"
done
# The stages of the last lean assignment, from its own timers.
"$T" assign "$W/base" "$NG" -q --charts none --no-unit-text --out "$W" --name stages >/dev/null
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("stages:", ", ".join("%s %.3f" % (s["stage"], s["seconds"]) for s in r["timings"]))' "$W/stages/run.json"
