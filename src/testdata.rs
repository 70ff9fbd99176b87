//! Random matrices for the unit tests of the kernels and the stages: a sparse matrix with a
//! planted low-rank structure and dense Gaussian matrices, each fixed by its seed.
//!
//! In go sizes and a seed; out come a [`Csr`] or an `Array2<f32>`. Also [`with_threads`], for
//! tests that a result does not depend on the thread count. Test-only: nothing here is compiled
//! into the library.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::sparse::Csr;

/// A random `n × m` sparse matrix with a planted low-rank structure: row `r` takes eight of its
/// twelve draws from the quarter of the columns of topic `r mod 4`, the rest from anywhere.
pub(crate) fn planted(n: usize, m: usize, seed: u64) -> Csr {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut indptr = vec![0];
    let mut indices = Vec::new();
    let mut data = Vec::new();
    for r in 0..n {
        let topic = r % 4;
        let mut cols: Vec<u32> = (0..12)
            .map(|i| {
                if i < 8 {
                    (topic * m / 4 + rng.gen_range(0..m / 4)) as u32
                } else {
                    rng.gen_range(0..m) as u32
                }
            })
            .collect();
        cols.sort_unstable();
        cols.dedup();
        for c in cols {
            indices.push(c);
            data.push(rng.gen_range(0.5f32..1.5));
        }
        indptr.push(indices.len());
    }
    Csr::new(n, m, indptr, indices, data)
}

/// An `rows × cols` matrix of N(0, 1) draws (rand_distr's `StandardNormal`), row by row from one
/// generator seeded by `seed`.
pub(crate) fn gaussian(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    Array2::from_shape_simple_fn((rows, cols), || rng.sample(StandardNormal))
}

/// Runs `f` on a rayon pool of `threads` threads.
pub(crate) fn with_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a test can build a thread pool")
        .install(f)
}
