//! Choosing the number of clusters: silhouette on cosine distance and a scan over k.
//!
//! In go the embedding rows and labels; out come silhouette scores and a [`KSelection`]. For
//! L2-normalised rows the cosine distance is `1 − x·y`, so the summed distance from a row to all
//! rows of a cluster is `|C| − x·Σ_C y`: the exact silhouette costs one n × k × d product instead
//! of n² distances. When units are many, only a deterministic sample of rows (drawn from the
//! seed) is scored, each against all rows.

use ndarray::{Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::kmeans::KMeansParams;
use crate::error::{Error, Result};
use crate::kernels::ROW_CHUNK;
use linfa::param_guard::ParamGuard;

/// Silhouette and inertia of one k.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KScore {
    /// Number of clusters.
    pub k: usize,
    /// Mean silhouette (cosine distance), in [−1, 1].
    pub silhouette: f32,
    /// k-means inertia.
    pub inertia: f64,
}

/// The scan over k and its choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KSelection {
    /// One score per k, in increasing k.
    pub scores: Vec<KScore>,
    /// The k with the highest silhouette (the smallest such k on ties).
    pub chosen: usize,
}

/// Mean silhouette of `labels` on cosine distance, over all rows (`sample` = 0 or ≥ rows) or over
/// `sample` rows drawn from `seed`, each scored against every row. Rows need not be normalised.
/// Rows in singleton clusters score 0, as in scikit-learn; fewer than 2 clusters gives 0.
pub fn silhouette_sampled(
    x: ArrayView2<'_, f32>,
    labels: &[usize],
    sample_size: usize,
    seed: u64,
) -> f32 {
    let n = x.nrows();
    assert_eq!(labels.len(), n, "one label per row");
    if n == 0 {
        return 0.0;
    }
    let k = labels.iter().max().map_or(0, |&m| m + 1);
    let mut counts = vec![0usize; k];
    for &l in labels {
        counts[l] += 1;
    }
    if counts.iter().filter(|&&c| c > 0).count() < 2 {
        return 0.0;
    }
    let mut y = x.to_owned();
    crate::kernels::normalize_rows(&mut y);
    let sq: Vec<f64> = y
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|&v| (v as f64) * (v as f64)).sum())
        .collect();
    // Cluster sums in f64, over fixed chunks in chunk order.
    let d = y.ncols();
    let parts: Vec<Array2<f64>> = y
        .axis_chunks_iter(Axis(0), ROW_CHUNK)
        .into_par_iter()
        .zip(labels.par_chunks(ROW_CHUNK))
        .map(|(chunk, lab)| {
            let mut s = Array2::<f64>::zeros((k, d));
            for (row, &l) in chunk.rows().into_iter().zip(lab) {
                for (a, &v) in s.row_mut(l).iter_mut().zip(row) {
                    *a += v as f64;
                }
            }
            s
        })
        .collect();
    let mut sums = Array2::<f64>::zeros((k, d));
    for p in parts {
        sums += &p;
    }
    let rows: Vec<usize> = if sample_size == 0 || sample_size >= n {
        (0..n).collect()
    } else {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut r = sample(&mut rng, n, sample_size).into_vec();
        r.sort_unstable();
        r
    };
    let scores: Vec<f64> = rows
        .par_chunks(ROW_CHUNK)
        .flat_map_iter(|chunk| {
            let sel = y.select(Axis(0), chunk).mapv(|v| v as f64);
            let dots = sel.dot(&sums.t()); // chunk × k
            chunk
                .iter()
                .zip(dots.rows())
                .map(|(&i, drow)| {
                    let own = labels[i];
                    if counts[own] <= 1 {
                        return 0.0;
                    }
                    // Σ_{y∈C} (1 − x·y), with x·x removed for the row itself (distance 1 − ‖x‖²).
                    let sum_own = counts[own] as f64 - drow[own] - (1.0 - sq[i]);
                    let a = (sum_own / (counts[own] - 1) as f64).max(0.0);
                    let mut b = f64::INFINITY;
                    for (c, &dot) in drow.iter().enumerate() {
                        if c != own && counts[c] > 0 {
                            b = b.min(((counts[c] as f64 - dot) / counts[c] as f64).max(0.0));
                        }
                    }
                    let m = a.max(b);
                    if m > 0.0 { (b - a) / m } else { 0.0 }
                })
                .collect::<Vec<_>>()
        })
        .collect();
    (scores.iter().sum::<f64>() / scores.len() as f64) as f32
}

/// Exact mean silhouette on cosine distance over all rows.
pub fn silhouette(x: ArrayView2<'_, f32>, labels: &[usize]) -> f32 {
    silhouette_sampled(x, labels, 0, 0)
}

/// Settings of a k scan (a subset of [`super::ClusterParams`]).
#[derive(Debug, Clone, PartialEq)]
pub struct KScan {
    /// Smallest k tried.
    pub k_min: usize,
    /// Largest k tried.
    pub k_max: usize,
    /// k-means restarts per k.
    pub restarts: usize,
    /// Maximum Lloyd iterations.
    pub max_iter: usize,
    /// Convergence tolerance.
    pub tol: f32,
    /// Rows scored by the silhouette (0 = all).
    pub silhouette_sample: usize,
    /// Rows above which mini-batch k-means is used.
    pub minibatch_above: usize,
}

/// Fits k-means for every k in `k_min..=k_max` (in parallel, collected in k order) and picks
/// the k with the highest silhouette.
pub fn choose_k(x: ArrayView2<'_, f32>, scan: &KScan, seed: u64) -> Result<KSelection> {
    let n = x.nrows();
    if scan.k_min < 2 || scan.k_min > scan.k_max {
        return Err(Error::param(
            "k_min",
            "must be at least 2 and at most k_max",
        ));
    }
    if n < scan.k_min + 1 {
        return Err(Error::Usage(format!(
            "choosing k automatically needs at least {} units (k_min + 1), got {n}",
            scan.k_min + 1
        )));
    }
    let k_max = scan.k_max.min(n - 1);
    let scores: Vec<Result<KScore>> = (scan.k_min..=k_max)
        .into_par_iter()
        .map(|k| {
            let model = KMeansParams::new(k, seed)
                .n_runs(scan.restarts)
                .max_n_iterations(scan.max_iter)
                .tolerance(scan.tol)
                .minibatch_above(scan.minibatch_above)
                .check()?
                .fit_view(x)?;
            let s = silhouette_sampled(x, model.labels(), scan.silhouette_sample, seed);
            Ok(KScore {
                k,
                silhouette: s,
                inertia: model.inertia(),
            })
        })
        .collect();
    let scores: Vec<KScore> = scores.into_iter().collect::<Result<_>>()?;
    let mut chosen = scores[0];
    for s in &scores {
        if s.silhouette > chosen.silhouette {
            chosen = *s;
        }
    }
    Ok(KSelection {
        chosen: chosen.k,
        scores,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::kmeans::tests::blobs;

    /// Brute-force silhouette over all pairs, for checking the sum trick.
    fn brute(x: ArrayView2<'_, f32>, labels: &[usize]) -> f64 {
        let mut y = x.to_owned();
        crate::kernels::normalize_rows(&mut y);
        let n = y.nrows();
        let k = labels.iter().max().unwrap() + 1;
        let mut total = 0.0;
        for i in 0..n {
            let mut sums = vec![0f64; k];
            let mut cnt = vec![0usize; k];
            for j in 0..n {
                if i != j {
                    sums[labels[j]] += 1.0 - y.row(i).dot(&y.row(j)) as f64;
                    cnt[labels[j]] += 1;
                }
            }
            if cnt[labels[i]] == 0 {
                continue;
            }
            let a = sums[labels[i]] / cnt[labels[i]] as f64;
            let b = (0..k)
                .filter(|&c| c != labels[i] && cnt[c] > 0)
                .map(|c| sums[c] / cnt[c] as f64)
                .fold(f64::INFINITY, f64::min);
            total += (b - a) / a.max(b);
        }
        total / n as f64
    }

    #[test]
    fn silhouette_matches_brute_force() {
        let (x, y) = blobs(200, 6, 3, 0.8, 9);
        let fast = silhouette(x.view(), &y) as f64;
        assert!((fast - brute(x.view(), &y)).abs() < 1e-5);
        let sampled = silhouette_sampled(x.view(), &y, 100, 3);
        assert!((sampled as f64 - fast).abs() < 0.1);
    }

    #[test]
    fn choose_k_finds_planted_k() {
        let (x, _) = blobs(600, 12, 5, 0.15, 2);
        let scan = KScan {
            k_min: 2,
            k_max: 8,
            restarts: 3,
            max_iter: 100,
            tol: 1e-4,
            silhouette_sample: 0,
            minibatch_above: 0,
        };
        let sel = choose_k(x.view(), &scan, 1).unwrap();
        assert_eq!(sel.scores.len(), 7);
        assert_eq!(sel.chosen, 5);
    }
}
