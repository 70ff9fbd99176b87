//! Latent semantic analysis: the stage between [`crate::sparse`] TF-IDF and [`crate::cluster`].
//!
//! In goes a sparse units × vocabulary [`Csr`] matrix; out comes an [`Lsa`]: a dense units × `d`
//! embedding whose rows are L2-normalised (so cosine similarity is a dot product), and the
//! `d` × vocabulary components that project new rows into the same space. The truncated SVD is the
//! randomized range finder of Halko, Martinsson and Tropp (2011) with oversampling and power
//! iterations, as scikit-learn's `TruncatedSVD(algorithm="randomized")` does it, but with a test
//! matrix of random signs where scikit-learn draws Gaussians (see [`signs`]); the matrix stays
//! sparse throughout. Every dense reduction is summed over fixed row chunks in a fixed order, so
//! the result for a seed is the same whatever the number of rayon threads.
//!
//! This module holds the stage: its parameters, the fit, the random test matrix and the small
//! dense linear algebra (Gram matrices, Cholesky-QR, the eigenproblem, sign and variance
//! bookkeeping). Its submodule `operand` holds the range finder's f32 or half-precision operand,
//! and the products themselves are `crate::kernels`'s.

use ndarray::{Array2, ArrayView2, Axis};
use rand::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::kernels::{
    ROW_CHUNK, clear_upper, matmul_rows_in_place, normalize_rows, spmm, zeros_huge,
};
use crate::sparse::Csr;

mod operand;

use operand::{HALF_SAFE_NORM, Operand, max_row_norm};

/// Parameters of [`lsa`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LsaParams {
    /// Number of latent dimensions kept (capped at `min(rows, cols) - 1`, at least 1).
    pub dims: usize,
    /// Extra random directions sampled beyond `dims` to sharpen the range estimate.
    pub oversample: usize,
    /// Power iterations (each multiplies by `X` and `Xᵀ` once, then re-orthonormalises).
    pub power_iters: usize,
}

impl Default for LsaParams {
    fn default() -> Self {
        // scikit-learn's TruncatedSVD: n_oversamples = 10, n_iter = 5. Fewer power iterations
        // cluster measurably worse (BENCHMARKS.md, "Clustering").
        LsaParams {
            dims: 100,
            oversample: 10,
            power_iters: 5,
        }
    }
}

impl LsaParams {
    /// Checks the parameters, naming the first one out of range.
    pub fn check(&self) -> Result<()> {
        if self.dims == 0 {
            return Err(Error::param("dims", "must be at least 1"));
        }
        if self.dims > 10_000 {
            return Err(Error::param(
                "dims",
                format!("must be at most 10000, got {}", self.dims),
            ));
        }
        if self.oversample > 1_000 {
            return Err(Error::param("oversample", "must be at most 1000"));
        }
        if self.power_iters > 50 {
            return Err(Error::param("power_iters", "must be at most 50"));
        }
        Ok(())
    }
}

/// The result of [`lsa`]: a normalised embedding of the rows and the map that produced it.
#[derive(Debug, Clone)]
pub struct Lsa {
    /// Rows × d embedding, each row L2-normalised (rows that were all zero stay zero).
    pub embedding: Array2<f32>,
    /// cols × d: the right singular vectors as columns (sign-fixed: the largest-magnitude entry
    /// of each is positive), the layout [`Lsa::project`] multiplies by; [`Lsa::components`] is
    /// its transpose.
    vectors: Array2<f32>,
    /// The d largest singular values, in decreasing order.
    pub singular_values: Vec<f32>,
    /// Share of the total column variance of the input explained by each dimension.
    pub explained_variance_ratio: Vec<f32>,
}

impl Lsa {
    /// Number of latent dimensions.
    pub fn dims(&self) -> usize {
        self.vectors.ncols()
    }

    /// The d × cols right singular vectors, one per row (scikit-learn's `components_`), as a
    /// view of the stored cols × d matrix: nothing is copied (the transposed copy this replaced,
    /// 55,000 × 100 values or 22 MB of fresh memory per 20 Newsgroups fit, cost the reduce
    /// stage 17 ms: 0.207 → 0.190 s without it).
    pub fn components(&self) -> ArrayView2<'_, f32> {
        self.vectors.t()
    }

    /// Projects new rows (same vocabulary) into the same normalised space as [`Lsa::embedding`].
    ///
    /// # Panics
    /// Panics if `x` does not have as many columns as the matrix the LSA was fitted on.
    pub fn project(&self, x: &Csr) -> Array2<f32> {
        project(x, self.vectors.view())
    }

    /// The cols × d right singular vectors as stored (the transpose of [`Lsa::components`]):
    /// what [`project`] takes, and what a saved model keeps.
    pub fn vectors(&self) -> ArrayView2<'_, f32> {
        self.vectors.view()
    }
}

/// Projects rows onto `vectors` (cols × d, as [`Lsa::vectors`] gives them) and normalises them:
/// [`Lsa::project`] for a saved model, bit-identical to the embedding of the rows it was fitted on.
///
/// # Panics
/// Panics if `x` does not have as many columns as `vectors` has rows.
pub fn project(x: &Csr, vectors: ArrayView2<'_, f32>) -> Array2<f32> {
    let mut e = spmm(x, vectors);
    normalize_rows(&mut e);
    e
}

/// Fits a rank-`dims` LSA of `x` with a randomized truncated SVD seeded by `seed`.
///
/// ```
/// use themata::sparse::Csr;
/// use themata::reduce::{lsa, LsaParams};
/// let x = Csr::new(3, 3, vec![0, 2, 3, 5], vec![0, 1, 1, 0, 2], vec![1.0, 2.0, 1.0, 3.0, 1.0]);
/// let fit = lsa(&x, &LsaParams { dims: 2, ..LsaParams::default() }, 7).unwrap();
/// assert_eq!(fit.embedding.dim(), (3, 2));
/// ```
pub fn lsa(x: &Csr, params: &LsaParams, seed: u64) -> Result<Lsa> {
    params.check()?;
    let (n, m) = (x.rows(), x.cols());
    if n == 0 || m == 0 || x.nnz() == 0 {
        return Err(Error::Usage(format!(
            "LSA needs a non-empty matrix, got {n} rows × {m} columns with {} non-zeros",
            x.nnz()
        )));
    }
    let d = params.dims.min(n.min(m).saturating_sub(1)).max(1);
    let l = (d + params.oversample).min(n.min(m)).max(d);
    // Range finder: Q spans (approximately) the top-l left singular space of X. The transpose
    // is built while the test matrix is drawn, both in parallel tasks. (Taking `X Ω` beside
    // them too gained nothing on 20 Newsgroups and held both at once: 200 MB more at its peak
    // fifty times over.)
    let (xt, mut q) = rayon::join(|| x.transpose(), || Operand::signs(m, l, seed));
    // Each power iteration re-orthonormalises on the short side (n × l) only: Xᵀ Y for an
    // orthonormal Y has the conditioning of X's top singular values, which the next step's
    // Cholesky-QR (Gram matrix in f64) absorbs. (scikit-learn normalises nothing at all for up
    // to two iterations.) This skips the m × l Gram matrix, the dearest step, twice.
    // Half precision holds `Xᵀ Y` only while X's column norms stay well inside its range (always
    // for unit-norm TF-IDF rows below 2²⁸ documents; `norm = "none"` can exceed it).
    let halves = max_row_norm(&xt) <= HALF_SAFE_NORM;
    // The iterations write over the same buffers (`y`, the operand, the half-precision copy of
    // `y`) rather than fresh ones, which were zeroed first: about 25 MB an iteration on 20
    // Newsgroups.
    let mut y = q.left_product(x);
    let mut halves_of_y = Vec::new();
    for _ in 0..params.power_iters {
        y = orthonormalize(y, false)?;
        q = q.into_product(&xt, &y, halves, &mut halves_of_y);
        q.left_product_into(x, &mut y);
    }
    drop((q, halves_of_y));
    let q = orthonormalize(y, true)?; // n × l, orthonormal columns

    // Bᵀ = Xᵀ Q (m × l). Its thin SVD Bᵀ = W S Vᵀ comes from the small l × l eigenproblem of
    // BBᵀ in f64; the right singular vectors of X are the columns of W = Bᵀ V S⁻¹.
    let bt = spmm(&xt, q.view());
    drop(q);
    let g = gram(bt.view(), Gram::Double);
    let (evals, evecs) = symmetric_eigen(&g)?;
    // Eigenvalues come in increasing order: walk from the end.
    let mut singular_values = Vec::with_capacity(d);
    let mut v_top = Array2::<f32>::zeros((l, d));
    for j in 0..d {
        let src = l - 1 - j;
        let s2 = evals[src].max(0.0);
        let sv = s2.sqrt();
        singular_values.push(sv as f32);
        let inv = if sv > 0.0 { 1.0 / sv } else { 0.0 };
        for i in 0..l {
            v_top[(i, j)] = (evecs[(i, src)] * inv) as f32;
        }
    }
    let mut w = matmul_rows_in_place(bt, v_top.view()); // m × d: the components as columns
    flip_signs(&mut w);

    // The embedding is X W (scikit-learn's `transform`), not Q Vₗ S: the two agree up to the
    // range-finder error, and this way `project` maps the training rows exactly onto it.
    let raw = spmm(x, w.view()); // n × d, ≈ U S
    let explained_variance_ratio = variance_ratio(&xt, &raw);
    let mut embedding = raw;
    normalize_rows(&mut embedding);
    Ok(Lsa {
        embedding,
        vectors: w,
        singular_values,
        explained_variance_ratio,
    })
}

/// An `rows × cols` matrix of random signs (±1, each with probability ½): the range finder's test
/// matrix, drawn by [`random_rows`]; a row takes one 64-bit word for each 64 columns.
///
/// scikit-learn draws the test matrix from N(0, 1). Random signs (Rademacher entries) are a
/// common replacement in randomized linear algebra, which gives the range finder's guarantees
/// for sub-Gaussian test matrices up to constants (Martinsson and Tropp's 2020 survey), and after
/// the power iterations the start hardly shows: on 20 Newsgroups the 100 dimensions explain
/// 9.2871 % of the variance on average over seeds 0–4, against 9.2856 % with Gaussian draws, and
/// the seeds spread by less than 0.01 points either way. A sign costs one bit of the generator
/// where a Gaussian took a whole Ziggurat draw: the 55,248 × 110 test matrix of 20 Newsgroups
/// took 55–65 ms of one thread (the other builds `Xᵀ`), and now takes 13–18 ms.
fn signs(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    let mut out = zeros_huge(rows, cols);
    random_rows(as_slice(&mut out), cols, seed, |rng, row| {
        fill_signs(rng, row, |neg| if neg { -1.0 } else { 1.0 });
    });
    out
}

/// A fresh array's values, row by row.
fn as_slice(a: &mut Array2<f32>) -> &mut [f32] {
    a.as_slice_mut().expect("fresh array is contiguous")
}

/// Fills the rows of `data` (each `stride` long) by `fill_row`, in fixed chunks of [`ROW_CHUNK`]
/// rows in parallel, each from its own generator seeded from `seed` and the chunk's index
/// ([`chunk_rng`]), so the result depends on the seed only, never on the thread count, and every
/// representation of a matrix (f32, or half-precision rows padded to a multiple of eight) draws
/// the same values.
fn random_rows<T: Send>(
    data: &mut [T],
    stride: usize,
    seed: u64,
    fill_row: impl Fn(&mut Xoshiro256PlusPlus, &mut [T]) + Sync,
) {
    if stride == 0 {
        return;
    }
    data.par_chunks_mut(ROW_CHUNK * stride)
        .enumerate()
        .for_each(|(ci, chunk)| {
            let mut rng = chunk_rng(seed, ci);
            for row in chunk.chunks_mut(stride) {
                fill_row(&mut rng, row);
            }
        });
}

/// Fills `row` with `value(negative)`, one random bit per entry (bit `j % 64` of the row's
/// word `j / 64`), so that every representation of the same draw holds the same signs.
fn fill_signs<T>(rng: &mut Xoshiro256PlusPlus, row: &mut [T], value: impl Fn(bool) -> T) {
    for group in row.chunks_mut(64) {
        let bits = rng.next_u64();
        for (j, v) in group.iter_mut().enumerate() {
            *v = value(bits >> j & 1 == 1);
        }
    }
}

/// The generator of chunk `ci` (of `ROW_CHUNK` rows) in [`random_rows`].
fn chunk_rng(seed: u64, ci: usize) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed ^ (ci as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// `aᵀ a` in f64, summed over fixed row chunks in chunk order. Each chunk's product fills only
/// the lower triangle (faer, one thread each; the upper is mirrored at the end): 1.6–1.7× faster
/// than the full product by `matrixmultiply` (18,846 × 110: 7.9 → 5.0 ms; 55,000 × 110: 21.5 →
/// 12.6 ms). With [`Gram::Single`] each chunk's product is taken in f32 (twice the lanes, no
/// conversion) and only the chunks' sums in f64.
fn gram(a: ArrayView2<'_, f32>, precision: Gram) -> Array2<f64> {
    let l = a.ncols();
    let parts: Vec<Array2<f64>> = a
        .axis_chunks_iter(Axis(0), ROW_CHUNK)
        .into_par_iter()
        .map(|c| match precision {
            Gram::Double => lower_gram(c.mapv(|v| v as f64).view()),
            Gram::Single => lower_gram(c.as_standard_layout().view()).mapv(|v| v as f64),
        })
        .collect();
    let mut g = Array2::<f64>::zeros((l, l));
    for p in parts {
        g += &p;
    }
    for i in 0..l {
        for j in i + 1..l {
            g[(i, j)] = g[(j, i)];
        }
    }
    g
}

/// The precision of [`gram`]'s products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gram {
    /// Every product and sum in f64.
    Double,
    /// Each chunk's products in f32, summed over the chunks in f64: for the power iterations'
    /// Cholesky-QR, whose input is a product with a half-precision operand (relative error about
    /// 2⁻¹¹, far above the f32 Gram's), and which only needs a well-conditioned basis.
    Single,
}

/// The lower triangle of `cᵀ c` for a row-major chunk `c` (faer, one thread; the upper triangle
/// is left zero).
fn lower_gram<T: faer::traits::ComplexField + Copy>(c: ArrayView2<'_, T>) -> Array2<T> {
    use faer::linalg::matmul::triangular::{BlockStructure, matmul};
    let l = c.ncols();
    let cm = faer::MatRef::from_row_major_slice(
        c.as_slice().expect("a standard-layout chunk is contiguous"),
        c.nrows(),
        l,
    );
    let mut g = Array2::<T>::from_elem((l, l), T::zero_impl());
    let gm = faer::MatMut::from_row_major_slice_mut(
        g.as_slice_mut().expect("a fresh array is contiguous"),
        l,
        l,
    );
    matmul(
        gm,
        BlockStructure::TriangularLower,
        faer::Accum::Replace,
        cm.transpose(),
        BlockStructure::Rectangular,
        cm,
        BlockStructure::Rectangular,
        T::one_impl(),
        faer::Par::Seq,
    );
    clear_upper();
    g
}

/// Runs a small faer computation on a one-thread pool so its blocking (and therefore its
/// rounding) cannot depend on how many threads the caller's pool has.
fn single_threaded<T: Send>(f: impl FnOnce() -> T + Send) -> Result<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| Error::Internal(format!("cannot build a one-thread pool: {e}")))?;
    Ok(pool.install(f))
}

/// Eigen-decomposition of a small symmetric matrix: (eigenvalues increasing, eigenvectors as columns).
fn symmetric_eigen(g: &Array2<f64>) -> Result<(Vec<f64>, Array2<f64>)> {
    let l = g.nrows();
    single_threaded(|| {
        let m = faer::Mat::<f64>::from_fn(l, l, |i, j| g[(i, j)]);
        let evd = m
            .self_adjoint_eigen(faer::Side::Lower)
            .map_err(|e| Error::Internal(format!("eigendecomposition failed: {e:?}")))?;
        clear_upper();
        let s = evd.S();
        let u = evd.U();
        let vals: Vec<f64> = (0..l).map(|i| s[i]).collect();
        let vecs = Array2::from_shape_fn((l, l), |(i, j)| u[(i, j)]);
        Ok((vals, vecs))
    })?
}

/// Orthonormalises the columns of a tall `y` by Cholesky-QR (`Q = Y R⁻¹` with `RᵀR = YᵀY`, the
/// factor in f64), shifted slightly so rank-deficient blocks don't fail. `twice` repeats it
/// (CholQR2) with an f64 Gram matrix, for full orthogonality; once, for the power iterations,
/// which only need a well-conditioned basis of the same span, the Gram matrix's chunk products
/// are taken in f32 ([`Gram::Single`]; 20 Newsgroups: the power iterations' Cholesky-QR took
/// 12.3 → 9.7 ms a step on two threads, 20.6 → 16.1 ms on one; medians of 5 alternating runs).
fn orthonormalize(y: Array2<f32>, twice: bool) -> Result<Array2<f32>> {
    if twice {
        let q = cholesky_qr_step(y, Gram::Double)?;
        cholesky_qr_step(q, Gram::Double)
    } else {
        cholesky_qr_step(y, Gram::Single)
    }
}

fn cholesky_qr_step(y: Array2<f32>, precision: Gram) -> Result<Array2<f32>> {
    // An f32 Gram matrix of a (nearly) rank-deficient `y` can round to one that is not
    // positive definite even after the shift; the f64 one then decides.
    let rinv = match r_inverse(gram(y.view(), precision)) {
        Err(_) if precision == Gram::Single => r_inverse(gram(y.view(), Gram::Double))?,
        r => r?,
    };
    let rinv32 = rinv.mapv(|v| v as f32);
    Ok(matmul_rows_in_place(y, rinv32.view()))
}

/// `R⁻¹` for the Cholesky factor `R` (`RᵀR = G + sI`) of a Gram matrix `g`, with `s` a tiny
/// multiple of its trace.
fn r_inverse(mut g: Array2<f64>) -> Result<Array2<f64>> {
    let l = g.nrows();
    let trace: f64 = (0..l).map(|i| g[(i, i)]).sum();
    let shift = (trace.max(f64::MIN_POSITIVE)) * 1e-10;
    for i in 0..l {
        g[(i, i)] += shift;
    }
    // Lower Cholesky factor L (G = L Lᵀ, R = Lᵀ); small (l × l), done by hand in f64.
    let mut lo = Array2::<f64>::zeros((l, l));
    for j in 0..l {
        let mut d = g[(j, j)];
        for k in 0..j {
            d -= lo[(j, k)] * lo[(j, k)];
        }
        if d <= 0.0 || !d.is_finite() {
            return Err(Error::Internal(
                "Cholesky-QR: Gram matrix is not positive definite".into(),
            ));
        }
        let djj = d.sqrt();
        lo[(j, j)] = djj;
        for i in j + 1..l {
            let mut v = g[(i, j)];
            for k in 0..j {
                v -= lo[(i, k)] * lo[(j, k)];
            }
            lo[(i, j)] = v / djj;
        }
    }
    // R⁻¹ = (Lᵀ)⁻¹, upper triangular: solve Lᵀ X = I column by column.
    let mut rinv = Array2::<f64>::zeros((l, l));
    for c in 0..l {
        for i in (0..=c).rev() {
            let mut v = if i == c { 1.0 } else { 0.0 };
            for k in i + 1..=c {
                v -= lo[(k, i)] * rinv[(k, c)];
            }
            rinv[(i, c)] = v / lo[(i, i)];
        }
    }
    Ok(rinv)
}

/// scikit-learn's `svd_flip` on the components, here the columns of `w` (m × d): the
/// largest-magnitude entry of each is positive (the first such entry on ties, as `argmax`).
fn flip_signs(w: &mut Array2<f32>) {
    let d = w.ncols();
    // The first entry of largest magnitude per column: within fixed row chunks in parallel, then
    // over the chunks in order (a later chunk wins only when strictly larger).
    let firsts: Vec<Vec<f32>> = w
        .axis_chunks_iter(Axis(0), ROW_CHUNK)
        .into_par_iter()
        .map(|chunk| {
            let mut best = vec![0.0f32; d];
            for row in chunk.rows() {
                for (b, &v) in best.iter_mut().zip(row) {
                    if v.abs() > b.abs() {
                        *b = v;
                    }
                }
            }
            best
        })
        .collect();
    let mut best = vec![0.0f32; d];
    for f in &firsts {
        for (b, &v) in best.iter_mut().zip(f) {
            if v.abs() > b.abs() {
                *b = v;
            }
        }
    }
    let sign: Vec<f32> = best
        .iter()
        .map(|&b| if b < 0.0 { -1.0 } else { 1.0 })
        .collect();
    if sign.iter().any(|&v| v < 0.0) {
        w.axis_iter_mut(Axis(0))
            .into_par_iter()
            .for_each(|mut row| {
                for (v, &sg) in row.iter_mut().zip(&sign) {
                    *v *= sg;
                }
            });
    }
}

/// Variance of each embedding column over the total column variance of `x` (scikit-learn's
/// `explained_variance_ratio_`).
///
/// `xt` is the transpose of the fitted matrix: each of its rows is one column, so the column
/// variances are computed in parallel and summed in column order.
fn variance_ratio(xt: &Csr, raw: &Array2<f32>) -> Vec<f32> {
    let n = xt.cols() as f64;
    let per_column: Vec<f64> = (0..xt.rows())
        .into_par_iter()
        .map(|c| {
            let (_, vals) = xt.row(c);
            let (s, q) = vals.iter().fold((0f64, 0f64), |(s, q), &v| {
                let v = v as f64;
                (s + v, q + v * v)
            });
            q / n - (s / n) * (s / n)
        })
        .collect();
    let total: f64 = per_column.iter().sum();
    // Column sums and sums of squares of the embedding (f64): row-major over fixed row chunks
    // in parallel, then over the chunks in order.
    let d = raw.ncols();
    let raw = raw.as_standard_layout();
    let parts: Vec<Vec<f64>> = raw
        .as_slice()
        .expect("standard layout is contiguous")
        .par_chunks(ROW_CHUNK * d.max(1))
        .map(|chunk| {
            let mut acc = vec![0f64; 2 * d];
            let (sum, sq) = acc.split_at_mut(d);
            for row in chunk.chunks_exact(d.max(1)) {
                for ((m, q), &v) in sum.iter_mut().zip(sq.iter_mut()).zip(row) {
                    *m += v as f64;
                    *q += (v as f64) * (v as f64);
                }
            }
            acc
        })
        .collect();
    let mut mean = vec![0f64; d];
    let mut msq = vec![0f64; d];
    for p in &parts {
        for j in 0..d {
            mean[j] += p[j];
            msq[j] += p[d + j];
        }
    }
    mean.iter()
        .zip(&msq)
        .map(|(s, q)| {
            let var = (q / n - (s / n) * (s / n)).max(0.0);
            if total > 0.0 {
                (var / total) as f32
            } else {
                0.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rand::Rng;

    use super::*;
    use crate::testdata::planted;

    fn dense(x: &Csr) -> Array2<f64> {
        let mut d = Array2::<f64>::zeros((x.rows(), x.cols()));
        for r in 0..x.rows() {
            let (c, v) = x.row(r);
            for (&c, &v) in c.iter().zip(v) {
                d[(r, c as usize)] = v as f64;
            }
        }
        d
    }

    #[test]
    fn lsa_stays_exact_when_columns_outgrow_half_precision() {
        // Unnormalised weights (`norm = "none"` on long documents) can make X's column norms
        // exceed half precision's range; the range finder then stays in f32.
        let mut x = planted(120, 60, 1);
        let scaled: Vec<f32> = x.data().iter().map(|v| v * 1e6).collect();
        x = Csr::new(
            x.rows(),
            x.cols(),
            x.indptr().to_vec(),
            x.indices().to_vec(),
            scaled,
        );
        assert!(max_row_norm(&x.transpose()) > HALF_SAFE_NORM);
        let fit = fit_four_topics_exactly(&x);
        assert!(fit.embedding.iter().all(|v| v.is_finite()));
    }

    /// A rank-4 LSA of `x` whose singular values agree with the exact SVD's to 1e-3.
    fn fit_four_topics_exactly(x: &Csr) -> Lsa {
        let fit = lsa(
            x,
            &LsaParams {
                dims: 4,
                ..LsaParams::default()
            },
            3,
        )
        .unwrap();
        let d = dense(x);
        let (ev, _) = symmetric_eigen(&d.t().dot(&d)).unwrap();
        for (j, &sv) in fit.singular_values.iter().enumerate() {
            let exact = ev[ev.len() - 1 - j].max(0.0).sqrt();
            assert!(
                sv.is_finite() && ((sv as f64) - exact).abs() / exact < 1e-3,
                "sv {j}: {sv} vs {exact}"
            );
        }
        fit
    }

    #[test]
    fn lsa_singular_values_match_exact_svd() {
        let x = planted(120, 60, 1);
        // Four planted topics: their singular values stand clear of the noise, so the randomized
        // range finder recovers them to high relative accuracy.
        let fit = fit_four_topics_exactly(&x);
        // Components orthonormal.
        let c = fit.components();
        assert_eq!(c.dim(), (4, x.cols()), "one row per dimension");
        let cc = c.dot(&c.t());
        for i in 0..4 {
            for j in 0..4 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((cc[(i, j)] - want).abs() < 1e-3);
            }
        }
    }

    #[test]
    fn lsa_rows_are_unit_and_projection_matches() {
        let x = planted(80, 40, 2);
        let fit = lsa(
            &x,
            &LsaParams {
                dims: 4,
                ..LsaParams::default()
            },
            9,
        )
        .unwrap();
        for row in fit.embedding.rows() {
            let n: f32 = row.iter().map(|v| v * v).sum::<f32>().sqrt();
            assert!((n - 1.0).abs() < 1e-4);
        }
        let p = fit.project(&x);
        assert!((&p - &fit.embedding).iter().all(|v| v.abs() < 1e-5));
        let total: f32 = fit.explained_variance_ratio.iter().sum();
        assert!(total > 0.0 && total <= 1.0 + 1e-4);
    }

    #[test]
    fn power_iteration_orthonormalisation_survives_nearly_dependent_columns() {
        // Column 5 is column 3 plus a perturbation near f32's resolution: the f32 Gram matrix
        // then rounds to one that is not positive definite for some draws, and the f64 one must
        // take over. Whichever decides, Q is orthonormal and spans Y.
        let mut fell_back = 0;
        for seed in 0..16u64 {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let mut y = Array2::from_shape_fn((300, 12), |_| rng.gen_range(-1.0f32..1.0));
            for i in 0..300 {
                y[(i, 5)] = y[(i, 3)] + 1e-6 * rng.gen_range(-1.0f32..1.0);
            }
            if r_inverse(gram(y.view(), Gram::Single)).is_err() {
                fell_back += 1;
            }
            let q = orthonormalize(y.clone(), false).expect("orthonormalised");
            let qy = q.t().dot(&y);
            let resid = (&y - &q.dot(&qy))
                .iter()
                .map(|v| v.abs())
                .fold(0f32, f32::max);
            assert!(resid < 1e-3, "seed {seed}: Q spans Y (residual {resid})");
            // The near-dependent direction is left unnormalised by the shift; the rest is
            // orthonormal.
            let qtq = q.t().dot(&q);
            for a in (0..12).filter(|&a| a != 5) {
                for b in (0..12).filter(|&b| b != 5) {
                    let want = if a == b { 1.0 } else { 0.0 };
                    assert!(
                        (qtq[(a, b)] - want).abs() < 1e-3,
                        "seed {seed}: QᵀQ[{a},{b}]"
                    );
                }
            }
        }
        assert!(fell_back > 0, "some draws need the f64 Gram matrix");
    }

    #[test]
    fn lsa_caps_dims_and_rejects_empty() {
        let x = planted(6, 40, 2);
        let fit = lsa(&x, &LsaParams::default(), 1).unwrap();
        assert_eq!(fit.dims(), 5);
        assert!(lsa(&Csr::zeros(3, 3), &LsaParams::default(), 1).is_err());
        assert!(
            LsaParams {
                dims: 0,
                ..LsaParams::default()
            }
            .check()
            .is_err()
        );
    }

    #[test]
    fn lsa_same_seed_same_result_for_one_and_two_threads() {
        let x = planted(3000, 300, 5);
        let run = |t: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
                .install(|| {
                    lsa(
                        &x,
                        &LsaParams {
                            dims: 10,
                            ..LsaParams::default()
                        },
                        4,
                    )
                    .unwrap()
                })
        };
        let (a, b) = (run(1), run(2));
        assert_eq!(a.embedding, b.embedding);
        assert_eq!(a.components(), b.components());
    }

    #[test]
    fn test_matrix_is_independent_fair_signs_fixed_by_the_seed() {
        // Two chunks and part of a third, with 110 columns (the default l): two full words and
        // part of a third a row.
        let (rows, cols) = (2 * ROW_CHUNK + 300, 110);
        let a = signs(rows, cols, 9);
        assert!(a.iter().all(|&v| v == 1.0 || v == -1.0));
        let share = |agree: usize| agree as f64 / rows as f64;
        for c in 0..cols {
            let neg = a.column(c).iter().filter(|&&v| v < 0.0).count();
            assert!(
                (share(neg) - 0.5).abs() < 0.05,
                "column {c}: {}",
                share(neg)
            );
            // No column repeats another's bits (or their complement), as a word's bits would
            // if a row took them twice.
            for d in c + 1..cols {
                let same = (0..rows).filter(|&r| a[(r, c)] == a[(r, d)]).count();
                assert!(
                    (share(same) - 0.5).abs() < 0.05,
                    "columns {c}, {d}: {}",
                    share(same)
                );
            }
        }
        // Each chunk has its own generator: no chunk repeats the first one's rows.
        let first = a.slice(ndarray::s![..300, ..]);
        assert_ne!(first, a.slice(ndarray::s![ROW_CHUNK..ROW_CHUNK + 300, ..]));
        assert_ne!(first, a.slice(ndarray::s![2 * ROW_CHUNK.., ..]));
        assert_eq!(a, signs(rows, cols, 9));
        assert_ne!(a, signs(rows, cols, 10));
    }
}
