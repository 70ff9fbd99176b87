#!/usr/bin/env python3
"""Compares a themata TF-IDF dump with scikit-learn's: vocabulary equality and max |difference|.

  # 1. scikit-learn's dump (defaults, then the bigram settings)
  python3 ../shared/tools/sklearn_reference.py ../shared/corpora/20newsgroups.jsonl.gz --field body \
      --dump-tfidf /tmp/sk_def --min-df 1 --max-df 1.0 --stop-words none
  python3 ../shared/tools/sklearn_reference.py ../shared/corpora/20newsgroups.jsonl.gz --field body \
      --dump-tfidf /tmp/sk_big --min-df 2 --max-df 0.5 --ngram-max 2 --sublinear --stop-words english
  # 2. themata's dump
  cargo run --release --example vectorize_jsonl -- ../shared/corpora/20newsgroups.jsonl.gz /tmp/th_def
  cargo run --release --example vectorize_jsonl -- ../shared/corpora/20newsgroups.jsonl.gz /tmp/th_big --bigram
  # 3. compare
  python3 tools/parity_20ng.py /tmp/th_def /tmp/sk_def
  python3 tools/parity_20ng.py /tmp/th_big /tmp/sk_big

Each DIR holds vocab.txt and matrix.mtx. Exits 1 when the vocabularies differ or a value differs
by more than --tol (1e-6). When terms differ, lists them with their code points and Unicode
categories, so a Unicode cause is easy to spot.
"""
import argparse, sys, unicodedata


def vocab(d):
    with open(f"{d}/vocab.txt", encoding="utf-8") as fh:
        return fh.read().split("\n")[:-1]


def describe(term):
    odd = [f"U+{ord(c):04X} {unicodedata.category(c)}" for c in term if ord(c) > 127]
    return f"{term!r}" + (f"  [{', '.join(odd)}]" if odd else "")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("themata_dir")
    p.add_argument("sklearn_dir")
    p.add_argument("--tol", type=float, default=1e-6)
    a = p.parse_args()
    from scipy.io import mmread
    import numpy as np

    vt, vs = vocab(a.themata_dir), vocab(a.sklearn_dir)
    ok = True
    print(f"vocabulary: themata {len(vt)}, scikit-learn {len(vs)}")
    if vt != vs:
        ok = False
        only_t, only_s = sorted(set(vt) - set(vs)), sorted(set(vs) - set(vt))
        print(f"vocabularies differ: {len(only_t)} terms only in themata, {len(only_s)} only in scikit-learn")
        for t in only_t[:50]:
            print("  themata only:", describe(t))
        for t in only_s[:50]:
            print("  sklearn only:", describe(t))
        if not only_t and not only_s:
            print("  same terms, different order")
    A = mmread(f"{a.themata_dir}/matrix.mtx").tocsr()
    B = mmread(f"{a.sklearn_dir}/matrix.mtx").tocsr()
    print(f"shape: themata {A.shape}, scikit-learn {B.shape}; nnz {A.nnz} vs {B.nnz}")
    if A.shape != B.shape:
        ok = False
    elif vt == vs:
        D = (A - B).tocsr()
        diff = float(np.abs(D.data).max()) if D.nnz else 0.0
        print(f"max abs diff: {diff:.3e}")
        ok &= diff <= a.tol
    print("PARITY OK" if ok else "PARITY FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
