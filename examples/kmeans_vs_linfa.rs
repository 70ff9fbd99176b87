//! Times themata's k-means against linfa-clustering's on the same Gaussian blobs (f32), the
//! comparison behind BENCHMARKS.md's "where linfa's KMeans is used" note.
//!
//! ```text
//! cargo run --release --example kmeans_vs_linfa -- [ROWS] [REPEATS]   # default 18846 5
//! ```

use std::time::Instant;

use linfa::DatasetBase;
use linfa::param_guard::ParamGuard;
use linfa::traits::Fit;
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use themata::cluster::KMeansParams;

fn gaussian(rng: &mut Xoshiro256PlusPlus) -> f32 {
    let (u1, u2): (f64, f64) = (1.0 - rng.r#gen::<f64>(), rng.r#gen());
    ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (n, repeats) = (
        args.first().copied().unwrap_or(18_846),
        args.get(1).copied().unwrap_or(5),
    );
    let (d, k) = (100, 20);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let centers = Array2::from_shape_fn((k, d), |_| 3.0 * gaussian(&mut rng));
    let x = Array2::from_shape_fn((n, d), |(i, j)| centers[(i % k, j)] + gaussian(&mut rng));
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut ours = Vec::new();
    let mut ours_inertia = 0.0;
    for r in 0..repeats {
        let t = Instant::now();
        let m = KMeansParams::new(k, r as u64)
            .n_runs(5)
            .max_n_iterations(100)
            .check()
            .expect("valid params")
            .fit_view(x.view())
            .expect("fit");
        ours.push(t.elapsed().as_secs_f64());
        ours_inertia = m.inertia();
    }
    let mut theirs = Vec::new();
    let mut their_inertia = 0.0;
    let data = DatasetBase::from(x.clone());
    for r in 0..repeats {
        let t = Instant::now();
        let m = linfa_clustering::KMeans::params_with_rng(
            k,
            Xoshiro256PlusPlus::seed_from_u64(r as u64),
        )
        .n_runs(5)
        .max_n_iterations(100)
        .tolerance(1e-4)
        .fit(&data)
        .expect("fit");
        theirs.push(t.elapsed().as_secs_f64());
        their_inertia = m.inertia() as f64 * n as f64;
    }
    println!(
        "{n} x {d}, k = {k}, 5 runs, 100 iterations, median of {repeats}: themata {:.3}s (inertia {ours_inertia:.0}), linfa {:.3}s (inertia {their_inertia:.0}), ratio {:.1}x",
        median(ours.clone()),
        median(theirs.clone()),
        median(theirs) / median(ours)
    );
}
