#!/usr/bin/env bash
# Clustering quality against scikit-learn, seeds 0..4 (mean ± population std, as the reference
# script reports), on all of 20NG (k 20) and on the four groups of scikit-learn's
# document-clustering example (k 4), one unit per document, cleaning off, no named themes:
#   themata, its defaults (sublinear tf, min_df 2, max_df 0.5, English stop words, 100 dims)
#   themata with scikit-learn's vectorizer settings (raw tf)
#   sklearn_reference.py, raw tf (the bar) and --sublinear
# For four groups also the silhouette (cosine) and the clustering time (LSA + k-means).
#   tools/quality_vs_sklearn.sh [CORPUS]   (default ../shared/corpora/20newsgroups.jsonl.gz)
set -euo pipefail
cd "$(dirname "$0")/.."
C=${1:-../shared/corpora/20newsgroups.jsonl.gz}
REF=../shared/tools/sklearn_reference.py
G=alt.atheism,talk.religion.misc,comp.graphics,sci.space
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cargo build --release >/dev/null 2>&1
printf '[vectorize]\nsublinear_tf = false\n' >"$W/rawtf.toml"
zcat -f "$C" | python3 -c "
import json, sys
keep = set(sys.argv[1].split(','))
for line in sys.stdin:
    if line.strip() and json.loads(line).get('label') in keep:
        sys.stdout.write(line)" "$G" >"$W/four.jsonl"

themata() { # name corpus k [extra flags...]
  local name=$1 corpus=$2 k=$3; shift 3
  for s in 0 1 2 3 4; do
    ./target/release/themata run "$corpus" --unit document --clean none --text-field body \
      --label-field label --k "$k" --no-guide --charts none --no-unit-text -q --seed "$s" \
      --out "$W/out" --name "$name-$s" "$@" >/dev/null
  done
  python3 - "$W/out" "$name" <<'EOF'
import json, statistics as st, sys
d, name = sys.argv[1], sys.argv[2]
runs = [json.load(open(f"{d}/{name}-{s}/run.json")) for s in range(5)]
ext = lambda m: [r["scores"]["external"][m] for r in runs]
sil = [r["scores"]["silhouette"] for r in runs]
t = [sum(x["seconds"] for x in r["timings"] if x["stage"] in ("reduce", "cluster")) for r in runs]
cols = " ".join(f"{m} {st.mean(ext(m)):.4f}±{st.pstdev(ext(m)):.4f}" for m in
                ("nmi", "ari", "homogeneity", "completeness", "v_measure"))
print(f"themata {name}: {cols} silhouette {st.mean(sil):.4f} lsa+cluster_s {st.median(t):.3f}")
EOF
}
sklearn() { # name corpus-args... (prints the reference's means)
  local name=$1; shift
  python3 "$REF" "$@" --field body --label-field label --seeds 5 | python3 -c "
import json, sys
o = json.load(sys.stdin)
cols = ' '.join(f\"{m} {o[m + '_mean']:.4f}±{o[m + '_std']:.4f}\" for m in
                ('nmi', 'ari', 'homogeneity', 'completeness', 'v_measure'))
s = o['stages_s']
print(f'sklearn $name: {cols} lsa+kmeans_s {s[\"lsa\"] + s[\"kmeans\"]:.3f} (kmeans of seed 0)')"
}

themata 20ng-defaults "$C" 20
themata 20ng-rawtf "$C" 20 --config "$W/rawtf.toml"
sklearn 20ng-rawtf "$C" --k 20
sklearn 20ng-sublinear "$C" --k 20 --sublinear
themata four-defaults "$W/four.jsonl" 4
themata four-rawtf "$W/four.jsonl" 4 --config "$W/rawtf.toml"
sklearn four-rawtf "$C" --k 4 --categories "$G"
sklearn four-sublinear "$C" --k 4 --categories "$G" --sublinear
