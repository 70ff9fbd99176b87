#!/usr/bin/env bash
# The coherence stage on 20 Newsgroups, 20 themes: its time (run.json's stage timer) over RUNS
# runs each with 1 and 2 threads, then the run's scores, then the same themes scored by gensim on
# the same tokens (tools/coherence_parity.py, needs gensim from PyPI).
#   tools/coherence_bench.sh [RUNS] [CORPUS]   (default 5, ../shared/corpora/20newsgroups.jsonl.gz)
# Uses target/release/themata (or $CARGO_TARGET_DIR's); build it first, e.g.
#   CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 cargo build --release
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5}
C=${2:-../shared/corpora/20newsgroups.jsonl.gz}
BIN=${CARGO_TARGET_DIR:-target}/release/themata
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
stage() {
  python3 -c 'import json,sys; print([s["seconds"] for s in json.load(open(sys.argv[1]))["timings"] if s["stage"]=="coherence"][0])' "$1"
}
summary() { sort -g | awk '{a[NR]=$1} END {printf "median %.4f s (%.4f-%.4f, %d runs)\n", a[int((NR+1)/2)], a[1], a[NR], NR}'; }
for threads in 1 2; do
  for i in $(seq 1 "$N"); do
    "$BIN" run "$C" --text-field body --label-field label --unit document --k 20 --charts none \
      --threads "$threads" -q --out "$W/out" --name "t${threads}r$i" >/dev/null
    stage "$W/out/t${threads}r$i/run.json"
  done | summary | sed "s/^/coherence stage, $threads thread(s): /"
done
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["coherence"]; print("run: mean c_npmi %.4f, c_v %.4f, u_mass %.4f, diversity %.3f" % (c["mean"]["c_npmi"], c["mean"]["c_v"], c["mean"]["u_mass"], c["diversity"]))' "$W/out/t2r1/run.json"
python3 tools/coherence_parity.py "$W/out/t2r1" --themata "$BIN"
