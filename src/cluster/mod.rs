//! Clustering: the stage between [`crate::reduce`] and the themes.
//!
//! In goes the L2-normalised LSA embedding (units × d), optionally with guide centroids for named
//! themes; out comes a [`Clustering`]: one label per unit, the centroids, the inertia, the
//! silhouette, the k scan when k was chosen automatically, and a [`Dendrogram`] over the final
//! clusters. k-means ([`kmeans`]) is the default method; agglomerative clustering
//! ([`hierarchical`]) is the alternative; [`select`] scores and chooses k.

mod blocks;
pub mod hierarchical;
pub mod kmeans;
pub mod select;

use linfa::param_guard::ParamGuard;
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use hierarchical::{Dendrogram, Linkage, Merge, theme_hierarchy};
pub use kmeans::{KMeans, KMeansInit, KMeansModel, KMeansParams, KMeansValidParams};
pub use select::{KScore, KSelection, choose_k, silhouette, silhouette_sampled};

use crate::error::{Error, Result};

impl From<linfa::Error> for Error {
    fn from(e: linfa::Error) -> Self {
        Error::Internal(format!("linfa: {e}"))
    }
}

/// How many clusters: a fixed number or chosen by silhouette.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KChoice {
    /// Exactly this many clusters.
    Fixed(usize),
    /// Scan `k_min..=k_max` and keep the k with the best silhouette.
    #[default]
    Auto,
}

impl Serialize for KChoice {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            KChoice::Fixed(k) => s.serialize_u64(*k as u64),
            KChoice::Auto => s.serialize_str("auto"),
        }
    }
}

impl<'de> Deserialize<'de> for KChoice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(KChoice::Fixed(n as usize)),
            Raw::S(s) if s.eq_ignore_ascii_case("auto") => Ok(KChoice::Auto),
            Raw::S(s) => Err(serde::de::Error::custom(format!(
                "k must be an integer or \"auto\", got \"{s}\""
            ))),
        }
    }
}

/// Which clustering algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// k-means (themata's own, see [`kmeans`]).
    #[default]
    Kmeans,
    /// Agglomerative clustering, Ward or on cosine distance (see [`hierarchical`]).
    Hierarchical,
}

/// Parameters of [`cluster`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterParams {
    /// Number of clusters, or `"auto"`.
    pub k: KChoice,
    /// Smallest k tried when `k = "auto"`.
    pub k_min: usize,
    /// Largest k tried when `k = "auto"`.
    pub k_max: usize,
    /// k-means restarts (the lowest-inertia one is kept).
    pub restarts: usize,
    /// Maximum k-means iterations.
    pub max_iter: usize,
    /// k-means convergence tolerance (relative to the mean feature variance).
    pub tol: f32,
    /// Clustering algorithm.
    pub method: Method,
    /// Linkage of the hierarchical method.
    pub linkage: Linkage,
    /// Units scored by the silhouette (0 = all).
    pub silhouette_sample: usize,
    /// Units above which k-means runs in mini-batch mode (0 = never).
    pub minibatch_above: usize,
    /// Largest k a run may ask for, fixed or as `k_max` (at most [`MAX_K_LIMIT`]).
    pub max_k: usize,
}

/// The largest `max_k` accepted: a run keeps k × k theme similarities and draws per-theme charts
/// (the largest themes only, above a few dozen), and its run.json holds the similarities as text,
/// 1.6 GB of it at this size.
pub const MAX_K_LIMIT: usize = 20_000;

impl Default for ClusterParams {
    fn default() -> Self {
        ClusterParams {
            k: KChoice::Auto,
            k_min: 2,
            k_max: 20,
            restarts: 5,
            max_iter: 300,
            tol: 1e-4,
            method: Method::Kmeans,
            linkage: Linkage::Ward,
            silhouette_sample: 20_000,
            minibatch_above: 250_000,
            max_k: 5_000,
        }
    }
}

impl ClusterParams {
    /// Checks the parameters, naming the first one out of range.
    pub fn check(&self) -> Result<()> {
        if let KChoice::Fixed(k) = self.k
            && k < 2
        {
            return Err(Error::param(
                "k",
                format!("must be at least 2 or \"auto\", got {k}"),
            ));
        }
        if self.max_k < 2 || self.max_k > MAX_K_LIMIT {
            return Err(Error::param(
                "max_k",
                format!("must be between 2 and {MAX_K_LIMIT}, got {}", self.max_k),
            ));
        }
        if let KChoice::Fixed(k) = self.k
            && k > self.max_k
        {
            return Err(Error::param(
                "k",
                format!(
                    "{k} is more than cluster.max_k ({}); raise max_k (at most {MAX_K_LIMIT}) in a --config file to ask for more themes",
                    self.max_k
                ),
            ));
        }
        if self.k_min < 2 {
            return Err(Error::param(
                "k_min",
                format!("must be at least 2, got {}", self.k_min),
            ));
        }
        if self.k_max < self.k_min {
            return Err(Error::param(
                "k_max",
                format!(
                    "must be at least k_min ({}), got {}",
                    self.k_min, self.k_max
                ),
            ));
        }
        if self.k_max > self.max_k {
            return Err(Error::param(
                "k_max",
                format!(
                    "{} is more than cluster.max_k ({}); raise max_k (at most {MAX_K_LIMIT}) to try more themes",
                    self.k_max, self.max_k
                ),
            ));
        }
        if self.restarts == 0 || self.restarts > 1000 {
            return Err(Error::param("restarts", "must be between 1 and 1000"));
        }
        if self.max_iter == 0 {
            return Err(Error::param("max_iter", "must be at least 1"));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(Error::param("tol", "must be a finite number ≥ 0"));
        }
        Ok(())
    }
}

/// The result of [`cluster`].
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    /// Cluster of each unit, in `0..k`.
    pub labels: Vec<usize>,
    /// k × d centroids (means of the member rows).
    pub centroids: Array2<f32>,
    /// Sum of squared distances of the units to their centroid.
    pub inertia: f64,
    /// The k scan, when k was chosen automatically.
    pub k_selection: Option<KSelection>,
    /// Mean silhouette (cosine) of the final labels (sampled as `silhouette_sample` says).
    pub silhouette: f32,
    /// Average-linkage hierarchy over the final clusters' centroids.
    pub hierarchy: Dendrogram,
}

impl Clustering {
    /// Number of clusters.
    pub fn k(&self) -> usize {
        self.centroids.nrows()
    }
}

/// Clusters the embedding rows as `params` say; `guide` rows become the first centroids.
///
/// ```
/// use ndarray::array;
/// use themata::cluster::{cluster, ClusterParams, KChoice};
/// let x = array![[1.0f32, 0.0], [0.99, 0.14], [0.0, 1.0], [0.14, 0.99]];
/// let params = ClusterParams { k: KChoice::Fixed(2), ..ClusterParams::default() };
/// let c = cluster(x.view(), &params, None, 1).unwrap();
/// assert_eq!(c.labels[0], c.labels[1]);
/// assert_ne!(c.labels[0], c.labels[2]);
/// ```
pub fn cluster(
    embedding: ArrayView2<'_, f32>,
    params: &ClusterParams,
    guide: Option<ArrayView2<'_, f32>>,
    seed: u64,
) -> Result<Clustering> {
    params.check()?;
    let n = embedding.nrows();
    let guided = guide.map_or(0, |g| g.nrows());
    if let Some(g) = guide
        && g.ncols() != embedding.ncols()
    {
        return Err(Error::Usage(format!(
            "guide centroids have {} dimensions but the embedding has {}",
            g.ncols(),
            embedding.ncols()
        )));
    }
    if guided > params.max_k {
        return Err(Error::Usage(format!(
            "{guided} named themes guide the clustering, more than cluster.max_k ({}): raise max_k or name fewer themes",
            params.max_k
        )));
    }
    let (k, k_selection) = match params.k {
        KChoice::Fixed(k) => {
            if k > n {
                return Err(Error::Usage(format!(
                    "cannot make {k} clusters from {n} units: ask for at most {n} (or k = \"auto\")"
                )));
            }
            (k, None)
        }
        KChoice::Auto => {
            if n < params.k_min + 1 {
                return Err(Error::Usage(format!(
                    "choosing k automatically needs at least {} units (k_min + 1), got {n}",
                    params.k_min + 1
                )));
            }
            let scan = select::KScan {
                k_min: params.k_min.max(guided.max(2)),
                k_max: params.k_max.max(params.k_min.max(guided.max(2))),
                restarts: params.restarts,
                max_iter: params.max_iter,
                tol: params.tol,
                silhouette_sample: params.silhouette_sample,
                minibatch_above: params.minibatch_above,
            };
            let sel = choose_k(embedding, &scan, seed)?;
            (sel.chosen, Some(sel))
        }
    };
    if guided > k {
        return Err(Error::Usage(format!(
            "{guided} guided themes do not fit in {k} clusters: ask for at least {guided}"
        )));
    }
    let (labels, centroids, inertia) = match params.method {
        Method::Kmeans => {
            let init = match guide {
                Some(g) => KMeansInit::Guided(g.to_owned()),
                None => KMeansInit::KMeansPlusPlus,
            };
            let model = KMeansParams::new(k, seed)
                .n_runs(params.restarts)
                .max_n_iterations(params.max_iter)
                .tolerance(params.tol)
                .minibatch_above(params.minibatch_above)
                .init(init)
                .check()?
                .fit_view(embedding)?;
            let (c, l, i) = model.into_parts();
            (l, c, i)
        }
        Method::Hierarchical => {
            let (labels, _) = hierarchical::agglomerative(embedding, k, params.linkage, seed)?;
            let centroids = hierarchical::cluster_means(embedding, &labels, k);
            let norms = kmeans::row_sq_norms(embedding);
            let inertia = labels
                .iter()
                .enumerate()
                .map(|(i, &l)| {
                    let c = centroids.row(l);
                    (norms[i] - 2.0 * embedding.row(i).dot(&c) + c.dot(&c)).max(0.0) as f64
                })
                .sum();
            (labels, centroids, inertia)
        }
    };
    let silhouette = silhouette_sampled(embedding, &labels, params.silhouette_sample, seed);
    let hierarchy = theme_hierarchy(centroids.view());
    Ok(Clustering {
        labels,
        centroids,
        inertia,
        k_selection,
        silhouette,
        hierarchy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::with_threads;
    use kmeans::tests::blobs;

    fn fixed(k: usize) -> ClusterParams {
        ClusterParams {
            k: KChoice::Fixed(k),
            ..ClusterParams::default()
        }
    }

    #[test]
    fn same_seed_same_labels_with_one_and_two_threads() {
        let (x, _) = blobs(5000, 20, 8, 0.9, 11);
        let run = |t: usize, x: ArrayView2<'_, f32>, method: Method, linkage: Linkage| {
            with_threads(t, || {
                // The silhouette is not compared here; a small sample keeps the runs quick.
                let p = ClusterParams {
                    method,
                    linkage,
                    silhouette_sample: 200,
                    ..fixed(8)
                };
                cluster(x, &p, None, 42).unwrap()
            })
        };
        // 2,100 rows go through micro-clusters, 1,500 are linked directly. The parallel parts
        // (k-means, the distance matrices: Euclidean for Ward, cosine for the rest) are what could
        // depend on the thread count; the linkage passes themselves are sequential.
        let cases = std::iter::once((5000, Method::Kmeans, Linkage::default())).chain(
            [hierarchical::ROWS_DIRECT + 100, 1500]
                .into_iter()
                .flat_map(|n| {
                    [Linkage::Ward, Linkage::Average].map(|l| (n, Method::Hierarchical, l))
                }),
        );
        for (n, method, linkage) in cases {
            let x = x.slice(ndarray::s![..n, ..]);
            let (a, b) = (run(1, x, method, linkage), run(2, x, method, linkage));
            assert_eq!(a.labels, b.labels, "{n} rows, {method:?}, {linkage:?}");
            assert_eq!(a.centroids, b.centroids);
            assert_eq!(a.inertia, b.inertia);
        }
        let auto = |t: usize| {
            with_threads(t, || {
                let p = ClusterParams {
                    k_max: 6,
                    ..ClusterParams::default()
                };
                cluster(x.view(), &p, None, 3).unwrap()
            })
        };
        assert_eq!(auto(1), auto(2));
    }

    #[test]
    fn cluster_rejects_impossible_k_with_usage_errors() {
        let (x, _) = blobs(5, 3, 2, 0.1, 1);
        assert!(matches!(
            cluster(x.view(), &fixed(6), None, 1),
            Err(Error::Usage(_))
        ));
        assert!(matches!(
            cluster(x.view(), &fixed(1), None, 1),
            Err(Error::Param { .. })
        ));
        let p = ClusterParams {
            k_min: 5,
            k_max: 8,
            ..ClusterParams::default()
        };
        assert!(matches!(
            cluster(x.view(), &p, None, 1),
            Err(Error::Usage(_))
        ));
    }

    #[test]
    fn cluster_params_parse_integer_or_auto() {
        let p: ClusterParams = toml::from_str("k = 7\nmethod = \"hierarchical\"").unwrap();
        assert_eq!(p.k, KChoice::Fixed(7));
        assert_eq!(p.method, Method::Hierarchical);
        let p: ClusterParams = toml::from_str("k = \"auto\"").unwrap();
        assert_eq!(p.k, KChoice::Auto);
        assert!(toml::from_str::<ClusterParams>("k = \"many\"").is_err());
        assert!(toml::from_str::<ClusterParams>("kk = 3").is_err());
    }

    #[test]
    fn auto_k_and_hierarchy_over_final_clusters() {
        let (x, _) = blobs(400, 10, 4, 0.1, 3);
        let c = cluster(
            x.view(),
            &ClusterParams {
                k_max: 8,
                ..ClusterParams::default()
            },
            None,
            5,
        )
        .unwrap();
        assert_eq!(c.k(), 4);
        assert_eq!(c.hierarchy.leaves(), 4);
        assert!(c.silhouette > 0.5);
        assert_eq!(c.k_selection.unwrap().scores.len(), 7);
    }
}
