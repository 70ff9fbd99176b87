#!/usr/bin/env bash
# A/B of two themata binaries on 20NG (scikit-learn's vectorizer settings, k 20, no charts):
# runs them in turn N times and prints each one's median time per stage (run.json) and median
# wall time (/usr/bin/time). Build the old one first, e.g.
#   git stash && cargo build --release && cp target/release/themata /tmp/old && git stash pop
#   cargo build --release && tools/ab_stages.sh /tmp/old target/release/themata 7
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$1 NEW=$2 N=${3:-7}
C=${CORPUS:-../shared/corpora/20newsgroups.jsonl.gz}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
printf '[vectorize]\nstop_words = "english"\nmin_df = 2.0\nmax_df = 0.5\nsublinear_tf = false\n' >"$W/cfg.toml"
for i in $(seq 1 "$N"); do
  for b in old new; do
    bin=$OLD; [ $b = new ] && bin=$NEW
    /usr/bin/time -f '%e' -o "$W/$b.wall$i" "$bin" run "$C" --config "$W/cfg.toml" --unit document --clean none --text-field body \
      --label-field label --k 20 --restarts 5 --dims 100 --charts none --no-guide --no-unit-text \
      -q --out "$W/$b" --name "r$i" >/dev/null
  done
done
for b in old new; do
  python3 - "$W/$b" "$N" "$b" <<'PY'
import json, statistics as st, sys
d, n, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
t = [{s["stage"]: s["seconds"] for s in json.load(open(f"{d}/r{i}/run.json"))["timings"]} for i in range(1, n + 1)]
m = lambda f: st.median(f(x) for x in t)
wall = st.median(float(open(f"{d}.wall{i}").read()) for i in range(1, n + 1))
print(name, " ".join(f"{s} {m(lambda x: x[s]):.3f}" for s in t[0] if s != "charts"),
      f"reduce+cluster {m(lambda x: x['reduce'] + x['cluster']):.3f} wall {wall:.2f}")
PY
done
