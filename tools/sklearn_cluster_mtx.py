#!/usr/bin/env python3
"""scikit-learn's side of examples/cluster_mtx.rs: the same TF-IDF matrix (Matrix Market) and
labels, TruncatedSVD(dims) -> Normalizer -> KMeans(n_init), one line per seed with the metrics,
the cosine silhouette and the stage times, then the means and the median times.

  python3 tools/sklearn_cluster_mtx.py DIR/matrix.mtx labels.txt --k 20 --seeds 5
"""
import argparse, time
import numpy as np
from scipy.io import mmread
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import Normalizer
from sklearn import metrics

p = argparse.ArgumentParser()
p.add_argument("matrix"); p.add_argument("labels")
p.add_argument("--k", type=int, default=20); p.add_argument("--dims", type=int, default=100)
p.add_argument("--n-init", type=int, default=5); p.add_argument("--seeds", type=int, default=5)
a = p.parse_args()
X = mmread(a.matrix).tocsr().astype(np.float64)
y = open(a.labels).read().split("\n")[: X.shape[0]]
rows, lsa_t, km_t = [], [], []
for seed in range(a.seeds):
    t = time.perf_counter()
    Z = Normalizer(copy=False).fit_transform(TruncatedSVD(a.dims, random_state=seed).fit_transform(X))
    lsa_t.append(time.perf_counter() - t)
    t = time.perf_counter()
    km = KMeans(n_clusters=a.k, n_init=a.n_init, random_state=seed).fit(Z)
    km_t.append(time.perf_counter() - t)
    l = km.labels_
    r = [metrics.normalized_mutual_info_score(y, l), metrics.adjusted_rand_score(y, l),
         metrics.homogeneity_score(y, l), metrics.completeness_score(y, l),
         metrics.v_measure_score(y, l), metrics.silhouette_score(Z, l, metric="cosine")]
    rows.append(r)
    print(f"seed {seed}: nmi {r[0]:.4f} ari {r[1]:.4f} homogeneity {r[2]:.4f} completeness {r[3]:.4f} "
          f"v {r[4]:.4f} silhouette {r[5]:.4f} lsa_s {lsa_t[-1]:.3f} kmeans_s {km_t[-1]:.3f}", flush=True)
m = np.mean(rows, axis=0)
print(f"mean: nmi {m[0]:.4f} ari {m[1]:.4f} homogeneity {m[2]:.4f} completeness {m[3]:.4f} v {m[4]:.4f} "
      f"silhouette {m[5]:.4f} | median lsa_s {np.median(lsa_t):.3f} kmeans_s {np.median(km_t):.3f}")
