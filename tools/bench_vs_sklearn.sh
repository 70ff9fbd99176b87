#!/usr/bin/env bash
# Side-by-side timing of the vectorizer against scikit-learn's TfidfVectorizer on 20NG `body`:
# five fit_transform runs each, medians printed. sklearn's time is `stages_s.tfidf` of the shared
# reference script; themata's is the `fit_transform` time printed by examples/vectorize_jsonl.
#   tools/bench_vs_sklearn.sh [CORPUS]   (default ../shared/corpora/20newsgroups.jsonl.gz)
set -euo pipefail
cd "$(dirname "$0")/.."
C=${1:-../shared/corpora/20newsgroups.jsonl.gz}
REF=../shared/tools/sklearn_reference.py
OUT=$(mktemp -d)
cargo build --release --example vectorize_jsonl >/dev/null 2>&1
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for preset in defaults bigram; do
  if [ $preset = defaults ]; then
    SK="--min-df 1 --max-df 1.0 --stop-words none"; TH=""
  else
    SK="--min-df 2 --max-df 0.5 --ngram-max 2 --sublinear --stop-words english"; TH="--bigram"
  fi
  sk=(); th=()
  for i in 1 2 3 4 5; do
    sk+=("$(python3 "$REF" "$C" --field body --dump-tfidf "$OUT/sk" $SK | python3 -c 'import json,sys; print(json.load(sys.stdin)["stages_s"]["tfidf"])')")
    th+=("$(./target/release/examples/vectorize_jsonl "$C" "$OUT/th" $TH 2>&1 | sed -n 's/^fit_transform: \([0-9.]*\) s/\1/p')")
  done
  skm=$(printf '%s\n' "${sk[@]}" | median); thm=$(printf '%s\n' "${th[@]}" | median)
  echo "$preset sklearn_runs ${sk[*]}"
  echo "$preset themata_runs ${th[*]}"
  echo "$preset median sklearn $skm s themata $thm s ratio $(python3 -c "print(round($skm/$thm,1))")"
done
rm -rf "$OUT"
