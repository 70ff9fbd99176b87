//! External and internal clustering metrics, for measuring themata against labelled corpora.
//!
//! In go two labelings of the same units (any hashable label type: `usize` cluster ids or class
//! name strings); out come scores that agree with scikit-learn's `metrics` module: NMI (arithmetic
//! normalisation, scikit-learn's default), ARI, homogeneity, completeness, V-measure and purity.
//! [`silhouette`] (cosine) is re-exported from [`crate::cluster`].

use std::hash::Hash;

use rustc_hash::FxHashMap;

pub use crate::cluster::select::{silhouette, silhouette_sampled};

/// Contingency table of two labelings: counts per (class, cluster) pair, and the margins.
///
/// Building it (hashing every unit's two labels) is most of what a score costs on a large
/// corpus, so [`Contingency::new`] builds it once and every score is a method on it; the free
/// functions ([`nmi`], [`ari`], …) build one each.
///
/// ```
/// use themata::eval::{ari, Contingency};
/// let (truth, pred) = (["a", "a", "b", "b"], [0, 0, 1, 2]);
/// let c = Contingency::new(&truth, &pred);
/// assert_eq!(c.ari(), ari(&truth, &pred));
/// assert_eq!(c.purity(), 1.0);
/// ```
pub struct Contingency {
    /// The nonzero counts, as (class, cluster, count), sorted by class then cluster: at most
    /// one per unit, whatever the number of classes and clusters.
    cells: Vec<(usize, usize, f64)>,
    class_sums: Vec<f64>,
    cluster_sums: Vec<f64>,
    n: f64,
}

/// Dense ids for labels, in order of first appearance, and how many there are.
fn index<T: Hash + Eq>(labels: &[T]) -> (Vec<usize>, usize) {
    let mut ids: FxHashMap<&T, usize> = FxHashMap::default();
    let idx = labels
        .iter()
        .map(|l| {
            let next = ids.len();
            *ids.entry(l).or_insert(next)
        })
        .collect();
    (idx, ids.len())
}

impl Contingency {
    /// The contingency table of `truth` (classes) against `pred` (clusters).
    ///
    /// Kept sparse: memory grows with the number of units, never with classes × clusters.
    ///
    /// # Panics
    /// Panics if the two labelings have different lengths.
    pub fn new<A: Hash + Eq, B: Hash + Eq>(truth: &[A], pred: &[B]) -> Self {
        assert_eq!(
            truth.len(),
            pred.len(),
            "both labelings must cover the same units"
        );
        let (t, nt) = index(truth);
        let (p, np) = index(pred);
        let mut pairs: Vec<(usize, usize)> = t.into_iter().zip(p).collect();
        pairs.sort_unstable();
        let mut cells: Vec<(usize, usize, f64)> = Vec::new();
        for (a, b) in pairs {
            match cells.last_mut() {
                Some((i, j, c)) if (*i, *j) == (a, b) => *c += 1.0,
                _ => cells.push((a, b, 1.0)),
            }
        }
        let mut class_sums = vec![0f64; nt];
        let mut cluster_sums = vec![0f64; np];
        for &(i, j, c) in &cells {
            class_sums[i] += c;
            cluster_sums[j] += c;
        }
        Contingency {
            cells,
            class_sums,
            cluster_sums,
            n: truth.len() as f64,
        }
    }

    fn mutual_info(&self) -> f64 {
        let mut mi = 0.0;
        for &(i, j, nij) in &self.cells {
            mi += nij / self.n * (self.n * nij / (self.class_sums[i] * self.cluster_sums[j])).ln();
        }
        mi.max(0.0)
    }

    /// Normalised mutual information with arithmetic-mean normalisation (scikit-learn's
    /// default).
    pub fn nmi(&self) -> f64 {
        // scikit-learn: both labelings trivial (one class and one cluster, or empty) score 1.
        if self.class_sums.len() == self.cluster_sums.len()
            && (self.class_sums.len() <= 1 || self.class_sums.len() as f64 == self.n)
        {
            return 1.0;
        }
        let mi = self.mutual_info();
        let (hu, hv) = (
            entropy(&self.class_sums, self.n),
            entropy(&self.cluster_sums, self.n),
        );
        let norm = (hu + hv) / 2.0;
        if norm <= f64::EPSILON {
            0.0
        } else {
            mi / norm.max(f64::EPSILON)
        }
    }

    /// Adjusted Rand index (Hubert and Arabie), as scikit-learn computes it.
    pub fn ari(&self) -> f64 {
        let (nc, nk) = (self.class_sums.len(), self.cluster_sums.len());
        if (nc == nk) && (nc == 0 || nc == 1 || nc as f64 == self.n) {
            return 1.0;
        }
        let comb2 = |x: f64| x * (x - 1.0) / 2.0;
        let sum_comb: f64 = self.cells.iter().map(|&(_, _, v)| comb2(v)).sum();
        let sum_a: f64 = self.class_sums.iter().map(|&v| comb2(v)).sum();
        let sum_b: f64 = self.cluster_sums.iter().map(|&v| comb2(v)).sum();
        let expected = sum_a * sum_b / comb2(self.n);
        let max = (sum_a + sum_b) / 2.0;
        if (max - expected).abs() < f64::EPSILON {
            return 1.0;
        }
        (sum_comb - expected) / (max - expected)
    }

    /// Homogeneity, completeness and V-measure.
    fn hcv(&self) -> (f64, f64, f64) {
        if self.n == 0.0 {
            return (1.0, 1.0, 1.0);
        }
        let (hc, hk) = (
            entropy(&self.class_sums, self.n),
            entropy(&self.cluster_sums, self.n),
        );
        let mi = self.mutual_info();
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
    pub fn homogeneity(&self) -> f64 {
        self.hcv().0
    }

    /// Completeness: all members of a class are in the same cluster (1 is best).
    pub fn completeness(&self) -> f64 {
        self.hcv().1
    }

    /// V-measure: harmonic mean of homogeneity and completeness (equals arithmetic NMI).
    pub fn v_measure(&self) -> f64 {
        self.hcv().2
    }

    /// Purity: share of units belonging to the majority class of their cluster.
    pub fn purity(&self) -> f64 {
        if self.n == 0.0 {
            return 1.0;
        }
        let mut best = vec![0f64; self.cluster_sums.len()];
        for &(_, j, c) in &self.cells {
            best[j] = best[j].max(c);
        }
        let correct: f64 = best.iter().sum();
        correct / self.n
    }
}

fn entropy(sums: &[f64], n: f64) -> f64 {
    sums.iter()
        .filter(|&&c| c > 0.0)
        .map(|&c| -(c / n) * (c / n).ln())
        .sum()
}

/// Normalised mutual information with arithmetic-mean normalisation (scikit-learn's default).
pub fn nmi<A: Hash + Eq, B: Hash + Eq>(truth: &[A], pred: &[B]) -> f64 {
    Contingency::new(truth, pred).nmi()
}

/// Adjusted Rand index (Hubert and Arabie), as scikit-learn computes it.
pub fn ari<A: Hash + Eq, B: Hash + Eq>(truth: &[A], pred: &[B]) -> f64 {
    Contingency::new(truth, pred).ari()
}

/// Homogeneity: each cluster holds members of a single class (1 is best).
pub fn homogeneity<A: Hash + Eq, B: Hash + Eq>(truth: &[A], pred: &[B]) -> f64 {
    Contingency::new(truth, pred).homogeneity()
}

/// Completeness: all members of a class are in the same cluster (1 is best).
pub fn completeness<A: Hash + Eq, B: Hash + Eq>(truth: &[A], pred: &[B]) -> f64 {
    Contingency::new(truth, pred).completeness()
}

/// V-measure: harmonic mean of homogeneity and completeness (equals arithmetic NMI).
pub fn v_measure<A: Hash + Eq, B: Hash + Eq>(truth: &[A], pred: &[B]) -> f64 {
    Contingency::new(truth, pred).v_measure()
}

/// Purity: share of units belonging to the majority class of their cluster.
pub fn purity<A: Hash + Eq, B: Hash + Eq>(truth: &[A], pred: &[B]) -> f64 {
    Contingency::new(truth, pred).purity()
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
            // The same scores from one shared table.
            let t = Contingency::new(&c.truth, &c.pred);
            close(t.nmi(), c.nmi, "shared-table nmi");
            close(t.ari(), c.ari, "shared-table ari");
            close(t.homogeneity(), c.homogeneity, "shared-table homogeneity");
            close(
                t.completeness(),
                c.completeness,
                "shared-table completeness",
            );
            close(t.v_measure(), c.v_measure, "shared-table v_measure");
            close(t.purity(), c.purity, "shared-table purity");
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
