//! Agglomerative clustering on cosine distance, and the hierarchy over final themes.
//!
//! In go L2-normalised rows (an LSA embedding) or theme centroids; out comes a [`Dendrogram`] in
//! scipy's linkage convention (leaves `0..n`, merge `i` creates node `n + i`) and flat cuts of it.
//! Up to [`ROWS_DIRECT`] rows are linked directly with kodama (the condensed distance matrix of
//! 2,000 rows is 2 million f64, 16 MB, and takes well under a second). Above that the matrix grows
//! quadratically (20,000 rows: 1.6 GB), so the rows are first summarised by k-means into
//! [`MICRO_CLUSTERS`] micro-clusters, which are linked with their sizes as weights (an
//! own nearest-neighbour-chain pass, since kodama starts every leaf at size one).

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::kmeans::{KMeansInit, KMeansParams};
use crate::error::{Error, Result};
use linfa::param_guard::ParamGuard;

/// Row count up to which agglomerative clustering links rows directly.
pub const ROWS_DIRECT: usize = 2_000;
/// Number of k-means micro-clusters linked when there are more rows than [`ROWS_DIRECT`].
pub const MICRO_CLUSTERS: usize = 500;

/// How the distance between two clusters is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Linkage {
    /// Mean pairwise distance (UPGMA); themata's default.
    #[default]
    Average,
    /// Largest pairwise distance.
    Complete,
    /// Smallest pairwise distance.
    Single,
}

/// One merge of two clusters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Merge {
    /// First node merged (a leaf below `n`, else merge `left - n`).
    pub left: usize,
    /// Second node merged.
    pub right: usize,
    /// Cosine distance between the two at the merge.
    pub distance: f32,
    /// Number of leaves (units, weighted) under the new node.
    pub size: usize,
}

/// A binary merge tree in scipy's linkage convention.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Dendrogram {
    /// The n − 1 merges in increasing distance; merge `i` creates node `n + i`.
    pub merges: Vec<Merge>,
}

impl Dendrogram {
    /// Number of leaves.
    pub fn leaves(&self) -> usize {
        if self.merges.is_empty() {
            1
        } else {
            self.merges.len() + 1
        }
    }

    /// Flat cut into `k` clusters: labels of the leaves, numbered by first appearance.
    pub fn cut_k(&self, k: usize) -> Vec<usize> {
        let n = self.leaves();
        let keep = n.saturating_sub(k.max(1));
        self.cut_first(keep)
    }

    /// Flat cut keeping every merge at a distance ≤ `threshold`.
    pub fn cut_distance(&self, threshold: f32) -> Vec<usize> {
        let keep = self
            .merges
            .iter()
            .take_while(|m| m.distance <= threshold)
            .count();
        self.cut_first(keep)
    }

    fn cut_first(&self, keep: usize) -> Vec<usize> {
        let n = self.leaves();
        let mut parent: Vec<usize> = (0..n + self.merges.len()).collect();
        fn find(p: &mut [usize], mut a: usize) -> usize {
            while p[a] != a {
                p[a] = p[p[a]];
                a = p[a];
            }
            a
        }
        for (i, m) in self.merges.iter().take(keep).enumerate() {
            let (a, b) = (find(&mut parent, m.left), find(&mut parent, m.right));
            parent[a] = n + i;
            parent[b] = n + i;
        }
        let mut ids = std::collections::HashMap::new();
        (0..n)
            .map(|leaf| {
                let root = find(&mut parent, leaf);
                let next = ids.len();
                *ids.entry(root).or_insert(next)
            })
            .collect()
    }
}

/// Cosine distances (1 − cos) between all rows, condensed (upper triangle, row by row), in f64.
fn condensed_cosine(x: ArrayView2<'_, f32>) -> Vec<f64> {
    let mut y = x.to_owned();
    crate::kernels::normalize_rows(&mut y);
    let g = crate::kernels::matmul_rows(y.view(), y.t());
    let n = y.nrows();
    let mut out = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            out.push((1.0 - g[(i, j)] as f64).max(0.0));
        }
    }
    out
}

/// Links rows with kodama (every leaf has size one).
pub fn link_rows(x: ArrayView2<'_, f32>, linkage: Linkage) -> Dendrogram {
    let n = x.nrows();
    if n < 2 {
        return Dendrogram::default();
    }
    let mut dis = condensed_cosine(x);
    let method = match linkage {
        Linkage::Average => kodama::Method::Average,
        Linkage::Complete => kodama::Method::Complete,
        Linkage::Single => kodama::Method::Single,
    };
    let d = kodama::linkage(&mut dis, n, method);
    Dendrogram {
        merges: d
            .steps()
            .iter()
            .map(|s| Merge {
                left: s.cluster1.min(s.cluster2),
                right: s.cluster1.max(s.cluster2),
                distance: s.dissimilarity as f32,
                size: s.size,
            })
            .collect(),
    }
}

/// Links weighted points (micro-cluster centroids with their sizes) by nearest-neighbour chain
/// with Lance–Williams updates, then relabels the merges in scipy's convention.
pub fn link_weighted(x: ArrayView2<'_, f32>, weights: &[usize], linkage: Linkage) -> Dendrogram {
    let n = x.nrows();
    assert_eq!(weights.len(), n, "one weight per row");
    if n < 2 {
        return Dendrogram::default();
    }
    let cond = condensed_cosine(x);
    let idx = |i: usize, j: usize| {
        let (a, b) = if i < j { (i, j) } else { (j, i) };
        a * n - a * (a + 1) / 2 + (b - a - 1)
    };
    let mut dist = cond;
    let mut size: Vec<f64> = weights.iter().map(|&w| w.max(1) as f64).collect();
    let mut active = vec![true; n];
    // Raw merges as (surviving slot a, absorbed slot b, distance); slots are relabelled below.
    let mut raw: Vec<(usize, usize, f64)> = Vec::with_capacity(n - 1);
    let mut chain: Vec<usize> = Vec::new();
    while raw.len() < n - 1 {
        if chain.is_empty() {
            chain.push(
                active
                    .iter()
                    .position(|&a| a)
                    .expect("an active cluster remains"),
            );
        }
        loop {
            let a = *chain.last().expect("chain is not empty");
            let prev = if chain.len() >= 2 {
                Some(chain[chain.len() - 2])
            } else {
                None
            };
            // Nearest active neighbour; prefer the previous chain element on ties.
            let mut best = usize::MAX;
            let mut bd = f64::INFINITY;
            if let Some(p) = prev {
                best = p;
                bd = dist[idx(a, p)];
            }
            for j in 0..n {
                if j != a && active[j] {
                    let dj = dist[idx(a, j)];
                    if dj < bd {
                        bd = dj;
                        best = j;
                    }
                }
            }
            if Some(best) == prev {
                chain.pop();
                chain.pop();
                let (a, b) = if a < best { (a, best) } else { (best, a) };
                // Merge b into a.
                let (sa, sb) = (size[a], size[b]);
                for j in 0..n {
                    if active[j] && j != a && j != b {
                        let (da, db) = (dist[idx(a, j)], dist[idx(b, j)]);
                        dist[idx(a, j)] = match linkage {
                            Linkage::Average => (sa * da + sb * db) / (sa + sb),
                            Linkage::Complete => da.max(db),
                            Linkage::Single => da.min(db),
                        };
                    }
                }
                size[a] = sa + sb;
                active[b] = false;
                raw.push((a, b, bd));
                break;
            }
            chain.push(best);
        }
    }
    // Sort by distance (stable) and relabel with union–find, as scipy does after NN-chain.
    let mut order: Vec<usize> = (0..raw.len()).collect();
    order.sort_by(|&p, &q| raw[p].2.total_cmp(&raw[q].2).then(p.cmp(&q)));
    let mut parent: Vec<usize> = (0..2 * n - 1).collect();
    let mut leaves: Vec<usize> = weights.iter().map(|&w| w.max(1)).collect();
    leaves.resize(2 * n - 1, 0);
    fn find(p: &mut [usize], mut a: usize) -> usize {
        while p[a] != a {
            p[a] = p[p[a]];
            a = p[a];
        }
        a
    }
    let mut merges = Vec::with_capacity(n - 1);
    for (i, &o) in order.iter().enumerate() {
        let (a, b, d) = raw[o];
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        let node = n + i;
        parent[ra] = node;
        parent[rb] = node;
        leaves[node] = leaves[ra] + leaves[rb];
        merges.push(Merge {
            left: ra.min(rb),
            right: ra.max(rb),
            distance: d as f32,
            size: leaves[node],
        });
    }
    Dendrogram { merges }
}

/// Agglomerative clustering of rows into `k` clusters: directly up to [`ROWS_DIRECT`] rows, over
/// weighted k-means micro-clusters above. Returns the labels and the dendrogram it was cut from
/// (whose leaves are the rows, or the micro-clusters when there were many rows).
pub fn agglomerative(
    x: ArrayView2<'_, f32>,
    k: usize,
    linkage: Linkage,
    seed: u64,
) -> Result<(Vec<usize>, Dendrogram)> {
    let n = x.nrows();
    if k == 0 || k > n {
        return Err(Error::Usage(format!(
            "cannot make {k} clusters from {n} units"
        )));
    }
    if n <= ROWS_DIRECT {
        let d = link_rows(x, linkage);
        return Ok((d.cut_k(k), d));
    }
    let m = MICRO_CLUSTERS.max(k);
    let model = KMeansParams::new(m, seed)
        .n_runs(1)
        .max_n_iterations(20)
        .init(KMeansInit::KMeansPlusPlus)
        .check()?
        .fit_view(x)?;
    let mut weights = vec![0usize; m];
    for &l in model.labels() {
        weights[l] += 1;
    }
    // Micro-clusters left empty (possible only with duplicate rows) get weight one.
    let d = link_weighted(model.centroids().view(), &weights, linkage);
    let micro_labels = d.cut_k(k);
    let labels = model.labels().iter().map(|&l| micro_labels[l]).collect();
    Ok((labels, d))
}

/// Average-linkage hierarchy over final theme centroids by cosine distance.
pub fn theme_hierarchy(centroids: ArrayView2<'_, f32>) -> Dendrogram {
    link_rows(centroids, Linkage::Average)
}

/// Mean of the rows in each cluster (k × d).
pub(crate) fn cluster_means(x: ArrayView2<'_, f32>, labels: &[usize], k: usize) -> Array2<f32> {
    let mut sums = Array2::<f64>::zeros((k, x.ncols()));
    let mut counts = vec![0usize; k];
    for (row, &l) in x.axis_iter(Axis(0)).zip(labels) {
        counts[l] += 1;
        for (a, &v) in sums.row_mut(l).iter_mut().zip(row) {
            *a += v as f64;
        }
    }
    Array2::from_shape_fn((k, x.ncols()), |(i, j)| {
        if counts[i] > 0 {
            (sums[(i, j)] / counts[i] as f64) as f32
        } else {
            0.0
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::kmeans::tests::blobs;

    #[test]
    fn weighted_chain_matches_kodama_with_unit_weights() {
        let (x, _) = blobs(60, 5, 3, 0.5, 3);
        for linkage in [Linkage::Average, Linkage::Complete, Linkage::Single] {
            let a = link_rows(x.view(), linkage);
            let b = link_weighted(x.view(), &vec![1; 60], linkage);
            assert_eq!(a.merges.len(), b.merges.len());
            for (p, q) in a.merges.iter().zip(&b.merges) {
                assert!(
                    (p.distance - q.distance).abs() < 1e-5,
                    "{linkage:?}: {p:?} {q:?}"
                );
                assert_eq!(p.size, q.size);
            }
            assert_eq!(
                crate::eval::ari(&a.cut_k(3), &b.cut_k(3)),
                1.0,
                "{linkage:?} cuts differ"
            );
        }
    }

    #[test]
    fn scipy_convention_and_cuts() {
        // Two tight pairs far apart: leaves 0,1 then 2,3 merge first, then the two pairs.
        let x = ndarray::array![[1.0f32, 0.0], [0.99, 0.1], [0.0, 1.0], [0.1, 0.99]];
        let d = theme_hierarchy(x.view());
        assert_eq!(d.merges.len(), 3);
        assert_eq!(d.merges[2].left, 4);
        assert_eq!(d.merges[2].right, 5);
        assert_eq!(d.merges[2].size, 4);
        assert_eq!(d.cut_k(2), vec![0, 0, 1, 1]);
        assert_eq!(d.cut_distance(0.5), vec![0, 0, 1, 1]);
        assert_eq!(d.cut_distance(2.0), vec![0, 0, 0, 0]);
        assert_eq!(d.cut_k(4), vec![0, 1, 2, 3]);
    }

    #[test]
    fn agglomerative_scales_through_micro_clusters() {
        let (x, y) = blobs(ROWS_DIRECT + 500, 8, 4, 0.1, 6);
        let (labels, d) = agglomerative(x.view(), 4, Linkage::Average, 1).unwrap();
        assert_eq!(d.leaves(), MICRO_CLUSTERS);
        assert!(crate::eval::ari(&y, &labels) > 0.99);
        let (x, y) = blobs(300, 8, 4, 0.1, 6);
        let (labels, _) = agglomerative(x.view(), 4, Linkage::Average, 1).unwrap();
        assert!(crate::eval::ari(&y, &labels) > 0.99);
    }
}
