#!/usr/bin/env python3
"""Writes tests/fixtures/metrics/sklearn_metrics.json: label pairs and point sets with the scores
scikit-learn gives them, so themata's `eval` module is checked against it without Python.

  python3 tools/make_metric_fixtures.py   # from the repository root
"""
import json, os
import numpy as np
from sklearn import metrics
from sklearn.metrics.cluster import contingency_matrix


def purity(y, p):
    m = contingency_matrix(y, p)
    return float(m.max(axis=0).sum() / m.sum())


def case(name, truth, pred):
    return dict(
        name=name, truth=[str(t) for t in truth], pred=[int(p) for p in pred],
        nmi=metrics.normalized_mutual_info_score(truth, pred),
        ari=metrics.adjusted_rand_score(truth, pred),
        homogeneity=metrics.homogeneity_score(truth, pred),
        completeness=metrics.completeness_score(truth, pred),
        v_measure=metrics.v_measure_score(truth, pred),
        purity=purity(truth, pred),
    )


rng = np.random.default_rng(20240)
names = ["alpha", "beta", "gamma", "delta", "eps"]
cases = [
    case("identical", ["a", "a", "b", "b"], [1, 1, 0, 0]),
    case("one_cluster", ["a", "b", "c", "a"], [0, 0, 0, 0]),
    case("singletons", ["a", "a", "b", "b"], [0, 1, 2, 3]),
    case("sklearn_doc", ["0", "0", "1", "2"], [0, 0, 1, 1]),
]
for i, (n, kc, kp) in enumerate([(50, 3, 3), (200, 5, 4), (500, 4, 8), (1000, 5, 5)]):
    truth = [names[j] for j in rng.integers(0, kc, n)]
    noisy = rng.integers(0, kp, n)
    # Partly informative predictions: half follow the truth.
    pred = [names.index(t) % kp if rng.random() < 0.5 else int(q) for t, q in zip(truth, noisy)]
    cases.append(case(f"random_{i}_n{n}", truth, pred))

sil = []
for n, d, k in [(60, 5, 3), (150, 8, 4)]:
    centers = rng.normal(size=(k, d))
    labels = rng.integers(0, k, n)
    x = (centers[labels] + 0.8 * rng.normal(size=(n, d))).astype(np.float32)
    sil.append(dict(x=x.tolist(), labels=labels.tolist(),
                    silhouette=float(metrics.silhouette_score(x.astype(np.float64), labels, metric="cosine"))))

out = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "metrics", "sklearn_metrics.json")
with open(out, "w") as fh:
    json.dump(dict(generator="tools/make_metric_fixtures.py", sklearn=__import__("sklearn").__version__,
                   cases=cases, silhouette=sil), fh)
print("wrote", os.path.normpath(out))
