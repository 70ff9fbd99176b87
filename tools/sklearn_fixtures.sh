#!/usr/bin/env bash
# Regenerates the scikit-learn parity fixtures used by tests/vectorize_parity.rs:
#   tests/fixtures/sklearn/defaults  TfidfVectorizer defaults (min_df=1, max_df=1.0, no stop words)
#   tests/fixtures/sklearn/bigram    ngram_range=(1,2), min_df=2, max_df=0.5, sublinear_tf, english
#   tests/fixtures/sklearn/hashing   HashingVectorizer(n_features=64, alternate_sign=True, norm=None)
# on seeds/ (each file one document, sorted by name). Needs python3 with scikit-learn and scipy,
# and the shared reference script next to the repository (../shared/tools/sklearn_reference.py).
set -euo pipefail
cd "$(dirname "$0")/.."
REF=${SKLEARN_REFERENCE:-../shared/tools/sklearn_reference.py}
OUT=tests/fixtures/sklearn
python3 "$REF" seeds --dump-tfidf "$OUT/defaults" --min-df 1 --max-df 1.0 --stop-words none >/dev/null
python3 "$REF" seeds --dump-tfidf "$OUT/bigram" --min-df 2 --max-df 0.5 --ngram-max 2 --sublinear --stop-words english >/dev/null
python3 - "$OUT/hashing" <<'PY'
import glob, os, sys
from scipy.io import mmwrite
from sklearn.feature_extraction.text import HashingVectorizer
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
docs = [open(f, encoding="utf-8").read() for f in sorted(glob.glob("seeds/*.txt"))]
X = HashingVectorizer(n_features=64, alternate_sign=True, norm=None).fit_transform(docs)
mmwrite(os.path.join(out, "matrix.mtx"), X, precision=9)
PY
echo "fixtures written under $OUT"
