#!/usr/bin/env bash
# Times `themata run` on a dated corpus without and with `--date-field`, alternating, and prints
# each run's wall time, the medians and the overhead of themes over time; then the "over time"
# stage's own time (run.json) and the extra chart's share of the chart stage.
#
#   tools/over_time_bench.sh [RUNS] [CORPUS] [-- extra run flags]
#
# Defaults: 5 runs each, ../shared/corpora/nyt_frontpage.jsonl.gz (dated by year, field `date`),
# the default configuration (charts in PNG and SVG, k chosen automatically). Uses the release
# binary in target/ (built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
CORPUS=${2:-../shared/corpora/nyt_frontpage.jsonl.gz}
shift $(( $# > 2 ? 2 : $# ))
[ "${1:-}" = "--" ] && shift
BIN=target/release/themata
[ -x "$BIN" ] || cargo build --release
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for i in $(seq 1 "$RUNS"); do
  for mode in plain dated; do
    extra=()
    [ "$mode" = dated ] && extra=(--date-field date)
    t0=$(date +%s.%N)
    "$BIN" run "$CORPUS" "${extra[@]}" "$@" --out "$OUT" --name "$mode$i" -q >/dev/null
    t1=$(date +%s.%N)
    echo "$mode $i $(echo "$t1 - $t0" | bc)"
  done
done | tee "$OUT/times"
python3 - "$OUT" "$RUNS" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
t = {"plain": [], "dated": []}
for line in open(f"{out}/times"):
    mode, _, s = line.split()
    t[mode].append(float(s))
p, d = statistics.median(t["plain"]), statistics.median(t["dated"])
print(f"median without dates {p:.3f} s, with dates {d:.3f} s: {100 * (d / p - 1):+.1f} %")
stage = lambda r, name: sum(x["seconds"] for x in r["timings"] if x["stage"] == name)
ot, charts_p, charts_d, ing_p, ing_d = [], [], [], [], []
for i in range(1, runs + 1):
    rp = json.load(open(f"{out}/plain{i}/run.json"))
    rd = json.load(open(f"{out}/dated{i}/run.json"))
    ot.append(stage(rd, "over time"))
    charts_p.append(stage(rp, "charts"))
    charts_d.append(stage(rd, "charts"))
    ing_p.append(stage(rp, "ingest"))
    ing_d.append(stage(rd, "ingest"))
print(f"'over time' stage: median {1000 * statistics.median(ot):.1f} ms; charts stage "
      f"{statistics.median(charts_p):.3f} s without, {statistics.median(charts_d):.3f} s with; "
      f"ingest {statistics.median(ing_p):.3f} s without, {statistics.median(ing_d):.3f} s with")
r = json.load(open(f"{out}/dated1/run.json"))
o = r["themes_over_time"]
print(f"{r['corpus']['articles']} articles, {r['corpus']['units']} units, {len(r['themes'])} themes, "
      f"{len(o['bins'])} {o['bin']} bins")
PY
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
