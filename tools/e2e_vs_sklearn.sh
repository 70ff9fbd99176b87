#!/usr/bin/env bash
# End to end against scikit-learn on 20NG, runs alternating in one sitting:
#   themata run (scikit-learn's settings: stop words english, min_df 2, max_df 0.5, raw tf,
#   one unit per document, cleaning off, k 20, 5 restarts, 100 LSA dims, no charts)
# vs ../shared/tools/sklearn_reference.py with the same settings. Prints every run's wall time
# and peak RSS (/usr/bin/time), the medians and the ratio, then the clustering stages alone
# (themata reduce + cluster vs scikit-learn lsa + kmeans, from their own stage timers), and the
# CPU time the host took from this VM over the sitting (steal, from /proc/stat): a two-thread
# program loses more to it than a mostly one-thread one, so a sitting with seconds of steal
# understates the ratio.
#   tools/e2e_vs_sklearn.sh [RUNS] [CORPUS]   (default 5, ../shared/corpora/20newsgroups.jsonl.gz)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5}
C=${2:-../shared/corpora/20newsgroups.jsonl.gz}
REF=../shared/tools/sklearn_reference.py
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cargo build --release >/dev/null 2>&1
cat >"$W/cfg.toml" <<'EOF'
[vectorize]
stop_words = "english"
min_df = 2.0
max_df = 0.5
sublinear_tf = false
EOF
steal() { awk '/^cpu /{print $9 / 100}' /proc/stat 2>/dev/null || echo 0; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
steal0=$(steal)
th_wall=(); th_rss=(); th_clu=(); sk_wall=(); sk_rss=(); sk_clu=()
for i in $(seq 1 "$N"); do
  /usr/bin/time -f '%e %M' -o "$W/t" ./target/release/themata run "$C" --config "$W/cfg.toml" \
    --unit document --clean none --text-field body --label-field label --k 20 --restarts 5 \
    --dims 100 --charts none --no-guide --no-unit-text -q --out "$W/out" --name "r$i" >/dev/null
  read -r wall rss <"$W/t"
  th_wall+=("$wall"); th_rss+=("$((rss / 1024))")
  th_clu+=("$(python3 -c 'import json,sys; t={s["stage"]:s["seconds"] for s in json.load(open(sys.argv[1]))["timings"]}; print(round(t["reduce"]+t["cluster"],3))' "$W/out/r$i/run.json")")
  /usr/bin/time -f '%e %M' -o "$W/t" python3 "$REF" "$C" --field body --label-field label --k 20 \
    --lsa 100 --n-init 5 --min-df 2 --max-df 0.5 --stop-words english >"$W/sk.json"
  read -r wall rss <"$W/t"
  sk_wall+=("$wall"); sk_rss+=("$((rss / 1024))")
  sk_clu+=("$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["stages_s"]; print(round(s["lsa"]+s["kmeans"],3))' "$W/sk.json")")
done
report() {
  local what=$1 unit=$2; shift 2
  local -n a=$1 b=$2
  local am bm
  am=$(printf '%s\n' "${a[@]}" | median); bm=$(printf '%s\n' "${b[@]}" | median)
  echo "$what themata: ${a[*]} (median $am $unit)"
  echo "$what sklearn: ${b[*]} (median $bm $unit)"
  echo "$what ratio sklearn/themata: $(python3 -c "print(round($bm/$am,2))")"
}
steal1=$(steal)
echo "sitting: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), host steal $(python3 -c "print(round($steal1 - $steal0, 2))") s of CPU"
report "wall" s th_wall sk_wall
report "peak RSS" MiB th_rss sk_rss
report "reduce+cluster vs lsa+kmeans" s th_clu sk_clu
