//! External and internal clustering metrics, for measuring themata against labelled corpora.
//!
//! In go two labelings of the same units (any hashable label type: `usize` cluster ids or class
//! name strings); out come scores that agree with scikit-learn's `metrics` module: NMI (arithmetic
//! normalisation, scikit-learn's default), ARI, homogeneity, completeness, V-measure and purity.
//! [`silhouette`] (cosine) is re-exported from [`crate::cluster`].

use std::collections::HashMap;
use std::hash::Hash;

pub use crate::cluster::select::{silhouette, silhouette_sampled};

/// Contingency table: (class index per unit, cluster index per unit, counts as a dense table).
struct Contingency {
    table: Vec<Vec<f64>>, // classes × clusters
    class_sums: Vec<f64>,
    cluster_sums: Vec<f64>,
    n: f64,
}

fn index<T: Hash + Eq>(labels: &[T]) -> (Vec<usize>, usize) {
    let mut ids: HashMap<&T, usize> = HashMap::new();
    let idx = labels
        .iter()
        .map(|l| {
            let next = ids.len();
            *ids.entry(l).or_insert(next)
        })
        .collect();
    (idx, ids.len())
}

fn contingency<A: Hash + Eq, B: Hash + Eq>(truth: &[A], pred: &[B]) -> Contingency {
    assert_eq!(
        truth.len(),
        pred.len(),
        "both labelings must cover the same units"
    );
    let (t, nt) = index(truth);
    let (p, np) = index(pred);
    let mut table = vec![vec![0f64; np]; nt];
    for (&a, &b) in t.iter().zip(&p) {
        table[a][b] += 1.0;
    }
    let class_sums = table.iter().map(|r| r.iter().sum()).collect();
    let cluster_sums = (0..np).map(|j| table.iter().map(|r| r[j]).sum()).collect();
    Contingency {
        table,
        class_sums,
        cluster_sums,
        n: truth.len() as f64,
    }
}

fn entropy(sums: &[f64], n: f64) -> f64 {
    sums.iter()
        .filter(|&&c| c > 0.0)
        .map(|&c| -(c / n) * (c / n).ln())
        .sum()
}

fn mutual_info(c: &Contingency) -> f64 {
    let mut mi = 0.0;
    for (i, row) in c.table.iter().enumerate() {
        for (j, &nij) in row.iter().enumerate() {
            if nij > 0.0 {
                mi += nij / c.n * (c.n * nij / (c.class_sums[i] * c.cluster_sums[j])).ln();
            }
        }
    }
    mi.max(0.0)
}

/// Normalised mutual information with arithmetic-mean normalisation (scikit-learn's default).
pub fn nmi<A: Hash + Eq, B: Hash + Eq>(truth: &[A], pred: &[B]) -> f64 {
    let c = contingency(truth, pred);
    // scikit-learn: both labelings trivial (one class and one cluster, or empty) score 1.
    if c.class_sums.len() == c.cluster_sums.len()
        && (c.class_sums.len() <= 1 || c.class_sums.len() as f64 == c.n)
    {
        return 1.0;
    }
    let mi = mutual_info(&c);
    let (hu, hv) = (entropy(&c.class_sums, c.n), entropy(&c.cluster_sums, c.n));
    let norm = (hu + hv) / 2.0;
    if norm <= f64::EPSILON {
        0.0
    } else {
        mi / norm.max(f64::EPSILON)
    }
}

/// Adjusted Rand index (Hubert and Arabie), as scikit-learn computes it.
pub fn ari<A: Hash + Eq, B: Hash + Eq>(truth: &[A], pred: &[B]) -> f64 {
    let c = contingency(truth, pred);
    let (nc, nk) = (c.class_sums.len(), c.cluster_sums.len());
    if (nc == nk) && (nc == 0 || nc == 1 || nc as f64 == c.n) {
        return 1.0;
    }
    let comb2 = |x: f64| x * (x - 1.0) / 2.0;
    let sum_comb: f64 = c.table.iter().flatten().map(|&v| comb2(v)).sum();
    let sum_a: f64 = c.class_sums.iter().map(|&v| comb2(v)).sum();
    let sum_b: f64 = c.cluster_sums.iter().map(|&v| comb2(v)).sum();
    let expected = sum_a * sum_b / comb2(c.n);
    let max = (sum_a + sum_b) / 2.0;
    if (max - expected).abs() < f64::EPSILON {
        return 1.0;
    }
    (sum_comb - expected) / (max - expected)
}

fn hcv<A: Hash + Eq, B: Hash + Eq>(truth: &[A], pred: &[B]) -> (f64, f64, f64) {
    if truth.is_empty() {
        return (1.0, 1.0, 1.0);
    }
    let c = contingency(truth, pred);
    let (hc, hk) = (entropy(&c.class_sums, c.n), entropy(&c.cluster_sums, c.n));
    let mi = mutual_info(&c);
    let h = if hc > 0.0 { mi / hc } else { 1.0 };
    let comp = if hk > 0.0 { mi / hk } else { 1.0 };
    let v = if h + comp == 0.0 {
        0.0
    } else {
        2.0 * h * comp / (h + comp)
    };
    (h, comp, v)
}

/// Homogeneity: each cluster holds members of a single class (1 is best).
pub fn homogeneity<A: Hash + Eq, B: Hash + Eq>(truth: &[A], pred: &[B]) -> f64 {
    hcv(truth, pred).0
}

/// Completeness: all members of a class are in the same cluster (1 is best).
pub fn completeness<A: Hash + Eq, B: Hash + Eq>(truth: &[A], pred: &[B]) -> f64 {
    hcv(truth, pred).1
}

/// V-measure: harmonic mean of homogeneity and completeness (equals arithmetic NMI).
pub fn v_measure<A: Hash + Eq, B: Hash + Eq>(truth: &[A], pred: &[B]) -> f64 {
    hcv(truth, pred).2
}

/// Purity: share of units belonging to the majority class of their cluster.
pub fn purity<A: Hash + Eq, B: Hash + Eq>(truth: &[A], pred: &[B]) -> f64 {
    if truth.is_empty() {
        return 1.0;
    }
    let c = contingency(truth, pred);
    let correct: f64 = (0..c.cluster_sums.len())
        .map(|j| c.table.iter().map(|r| r[j]).fold(0.0, f64::max))
        .sum();
    correct / c.n
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Case {
        name: String,
        truth: Vec<String>,
        pred: Vec<usize>,
        nmi: f64,
        ari: f64,
        homogeneity: f64,
        completeness: f64,
        v_measure: f64,
        purity: f64,
    }

    #[derive(Deserialize)]
    struct SilCase {
        x: Vec<Vec<f32>>,
        labels: Vec<usize>,
        silhouette: f64,
    }

    #[derive(Deserialize)]
    struct Fixture {
        cases: Vec<Case>,
        silhouette: Vec<SilCase>,
    }

    fn fixture() -> Fixture {
        serde_json::from_str(include_str!(
            "../tests/fixtures/metrics/sklearn_metrics.json"
        ))
        .expect("fixture is valid JSON")
    }

    #[test]
    fn metrics_match_scikit_learn() {
        for c in fixture().cases {
            let close = |got: f64, want: f64, what: &str| {
                assert!(
                    (got - want).abs() < 1e-9,
                    "{}: {what} {got} vs sklearn {want}",
                    c.name
                )
            };
            close(nmi(&c.truth, &c.pred), c.nmi, "nmi");
            close(ari(&c.truth, &c.pred), c.ari, "ari");
            close(homogeneity(&c.truth, &c.pred), c.homogeneity, "homogeneity");
            close(
                completeness(&c.truth, &c.pred),
                c.completeness,
                "completeness",
            );
            close(v_measure(&c.truth, &c.pred), c.v_measure, "v_measure");
            close(purity(&c.truth, &c.pred), c.purity, "purity");
        }
    }

    #[test]
    fn silhouette_matches_scikit_learn_cosine() {
        for s in fixture().silhouette {
            let (n, d) = (s.x.len(), s.x[0].len());
            let x = Array2::from_shape_vec((n, d), s.x.into_iter().flatten().collect()).unwrap();
            let got = silhouette(x.view(), &s.labels) as f64;
            assert!(
                (got - s.silhouette).abs() < 1e-4,
                "{got} vs sklearn {}",
                s.silhouette
            );
        }
    }
}
