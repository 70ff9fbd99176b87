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

use ndarray::{Array2, ArrayView2, Axis};
#[cfg(test)]
use rand::Rng;
use rand::{RngCore, SeedableRng};
#[cfg(test)]
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::simd::prefetch;
#[cfg(target_arch = "x86_64")]
use crate::simd::{tail_mask, tail_mask16};
use crate::sparse::Csr;

/// Rows per chunk in the chunked dense products; fixed so sums never depend on the thread count.
pub(crate) const ROW_CHUNK: usize = 2048;

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
        let mut e = spmm(x, self.vectors.view());
        normalize_rows(&mut e);
        e
    }
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

/// `x · b` for sparse `x` and dense `b` (`x.cols() × l`): rows in fixed chunks in parallel, each
/// output row accumulated in column order (so the result never depends on the thread count),
/// with an AVX2/FMA inner loop where the CPU has it.
///
/// The output is zeroed in parallel by [`zeroed`] before it is filled: the fresh allocation's
/// pages are then first touched by a write. (Accumulating straight into a calloc'd
/// `Array2::zeros` reads the untouched pages first, which maps the shared zero page and then
/// takes a copy-on-write fault and a TLB shootdown per page: 7 % of a 20 Newsgroups run.)
pub(crate) fn spmm(x: &Csr, b: ArrayView2<'_, f32>) -> Array2<f32> {
    assert_eq!(b.nrows(), x.cols(), "inner dimensions");
    let l = b.ncols();
    let b = b.as_standard_layout();
    let bs = b.as_slice().expect("standard layout is contiguous");
    #[cfg(target_arch = "x86_64")]
    let fast = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
    row_blocks(x.rows(), l, |first, block| {
        #[cfg(target_arch = "x86_64")]
        if fast {
            // SAFETY: the CPU supports the features `spmm_block_fast` needs.
            unsafe { spmm_block_fast(x, bs, l, first, block) };
            return;
        }
        spmm_block::<false>(x, bs, l, first, block);
    })
}

/// A `rows × l` product filled in parallel by `fill(first_row, block)` over fixed blocks of
/// [`SPMM_ROWS`] whole rows of a zeroed array (see [`spmm`] on how it is zeroed).
fn row_blocks(rows: usize, l: usize, fill: impl Fn(usize, &mut [f32]) + Sync) -> Array2<f32> {
    let mut out = zeros_huge(rows, l);
    for_row_blocks(&mut out, &fill);
    out
}

/// [`row_blocks`] into an existing `rows × l` array: each block is zeroed by its task just
/// before `fill`, so earlier contents do not matter.
fn fill_row_blocks(out: &mut Array2<f32>, fill: &(impl Fn(usize, &mut [f32]) + Sync)) {
    for_row_blocks(out, &|first, block: &mut [f32]| {
        block.fill(0.0);
        fill(first, block);
    });
}

/// Calls `fill(first_row, block)` on fixed blocks of [`SPMM_ROWS`] whole rows of `out`, in
/// parallel.
fn for_row_blocks(out: &mut Array2<f32>, fill: &(impl Fn(usize, &mut [f32]) + Sync)) {
    let l = out.ncols();
    if l == 0 {
        return;
    }
    out.as_slice_mut()
        .expect("a standard-layout array is contiguous")
        .par_chunks_mut(SPMM_ROWS * l)
        .enumerate()
        .for_each(|(ci, block)| fill(ci * SPMM_ROWS, block));
}

/// Output rows per parallel task in the sparse × dense products.
const SPMM_ROWS: usize = 64;

/// Rows `first..` of `x · b` into `block` (zeroed, whole rows of width `l`); `FMA` fuses the
/// multiply-adds (only where the CPU has FMA: in software it is a slow library call).
#[inline(always)]
fn spmm_block<const FMA: bool>(x: &Csr, bs: &[f32], l: usize, first: usize, block: &mut [f32]) {
    let indptr = x.indptr();
    let all_cols = x.indices();
    let end = indptr[first + block.len() / l];
    for (o, orow) in block.chunks_mut(l).enumerate() {
        let (a, b) = (indptr[first + o], indptr[first + o + 1]);
        let (cols, vals) = (&all_cols[a..b], &x.data()[a..b]);
        for (p, (&c, &v)) in cols.iter().zip(vals).enumerate() {
            // The rows these products gather are scattered over tens of megabytes: ask for the
            // row of the non-zero PREFETCH entries ahead while this one is summed.
            let ahead = a + p + PREFETCH;
            if ahead < end {
                prefetch(bs, all_cols[ahead] as usize * l, l);
            }
            let brow = &bs[c as usize * l..(c as usize + 1) * l];
            for (y, &bv) in orow.iter_mut().zip(brow) {
                *y = if FMA { v.mul_add(bv, *y) } else { *y + v * bv };
            }
        }
    }
}

/// How many non-zeros ahead [`spmm_block`] prefetches.
const PREFETCH: usize = 12;

/// [`spmm_block`] on the widest vectors the CPU has: [`spmm_f32_rows512`] for rows of up to
/// 128 columns where it has AVX-512F, [`spmm_block_avx2`] otherwise. Same bits either way.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
unsafe fn spmm_block_fast(x: &Csr, bs: &[f32], l: usize, first: usize, block: &mut [f32]) {
    if std::is_x86_feature_detected!("avx512f") {
        macro_rules! rows {
            ($($n:literal)*) => {
                match l.div_ceil(16) {
                    // SAFETY: the CPU has AVX-512F (checked above).
                    $($n => return unsafe { spmm_f32_rows512::<$n>(x, bs, l, first, block) },)*
                    _ => {}
                }
            };
        }
        rows!(1 2 3 4 5 6 7 8);
    }
    // SAFETY: the CPU has AVX2 and FMA (this function's contract).
    unsafe { spmm_block_avx2(x, bs, l, first, block) }
}

/// [`spmm_half_block`] on the widest vectors the CPU has: [`spmm_half_rows512`] for rows of up
/// to 128 columns where it has AVX-512F. Same bits either way.
///
/// # Safety
/// The CPU must have AVX2, FMA and F16C.
#[cfg(target_arch = "x86_64")]
unsafe fn spmm_half_fast(
    x: &Csr,
    bh: &[u16],
    l: usize,
    lp: usize,
    first: usize,
    block: &mut [f32],
) {
    if std::is_x86_feature_detected!("avx512f") {
        macro_rules! rows {
            ($($n:literal)*) => {
                match lp.div_ceil(16) {
                    // SAFETY: the CPU has AVX-512F (checked above).
                    $($n => return unsafe { spmm_half_rows512::<$n>(x, bh, l, lp, first, block) },)*
                    _ => {}
                }
            };
        }
        rows!(1 2 3 4 5 6 7 8);
    }
    // SAFETY: the CPU has AVX2, FMA and F16C (this function's contract).
    unsafe { spmm_half_block(x, bh, l, lp, first, block) }
}

/// [`spmm_f32_rows`] with sixteen-float (AVX-512) accumulators, `M` of them (the last one
/// `l mod 16` wide when that is not zero). Each lane does the fused multiply-adds of the same
/// column in the same order as there, so the bits are the same; a row takes half the
/// instructions. (20 Newsgroups, 110 columns, `tools/ab_stages.sh`, 11 alternating runs: the
/// reduce stage 0.204 → 0.184 s and 0.171 → 0.158 s in two sittings.)
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn spmm_f32_rows512<const M: usize>(
    x: &Csr,
    bs: &[f32],
    l: usize,
    first: usize,
    block: &mut [f32],
) {
    use std::arch::x86_64::{
        __m512, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_maskz_loadu_ps, _mm512_set1_ps,
        _mm512_setzero_ps,
    };
    assert!(l.div_ceil(16) == M, "{l} columns in {M} groups of sixteen");
    let (full, rest) = (l / 16, l % 16);
    let mask = tail_mask16(rest);
    let add = |acc: &mut [__m512; M], brow: &[f32], v: __m512| {
        let src = brow.as_ptr();
        // SAFETY: `brow` holds `l` floats: `full` whole groups of sixteen, and the masked load
        // reads (and may fault on) only the `rest` lanes of the last group that lie inside it;
        // the CPU has AVX-512F (this closure only runs inside this function).
        unsafe {
            for (j, a) in acc.iter_mut().enumerate() {
                let bv = if j < full {
                    _mm512_loadu_ps(src.add(j * 16))
                } else {
                    _mm512_maskz_loadu_ps(mask, src.add(j * 16))
                };
                *a = _mm512_fmadd_ps(v, bv, *a);
            }
        }
    };
    // The closures run inside this function, compiled for AVX-512F.
    let (zero, splat) = (_mm512_setzero_ps(), |v| _mm512_set1_ps(v));
    register_rows::<M, f32, __m512>(x, bs, (l, l), first, block, zero, splat, add, |o, a| {
        store_row512(o, a)
    });
}

/// [`spmm_half_rows`] with sixteen-float (AVX-512) accumulators: rows of `b` of stride `lp`
/// (a multiple of 8, `M` = `lp` / 16 rounded up), widened sixteen halves at a time (the last
/// group eight when `lp` is an odd multiple of 8). The same fused multiply-adds per column in
/// the same order as [`spmm_half_loop`], so the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn spmm_half_rows512<const M: usize>(
    x: &Csr,
    bh: &[u16],
    l: usize,
    lp: usize,
    first: usize,
    block: &mut [f32],
) {
    use std::arch::x86_64::{
        __m128i, __m256i, __m512, _mm_loadu_si128, _mm256_loadu_si256, _mm256_zextsi128_si256,
        _mm512_cvtph_ps, _mm512_fmadd_ps, _mm512_set1_ps, _mm512_setzero_ps,
    };
    assert!(
        l <= lp && lp < l + 8 && lp.is_multiple_of(8) && lp.div_ceil(16) == M,
        "{l} columns in rows of {lp} halves, {M} groups of sixteen"
    );
    // `M` groups: `full` of sixteen halves, then one of eight when `lp` is an odd multiple of 8.
    let full = lp / 16;
    let add = |acc: &mut [__m512; M], brow: &[u16], v: __m512| {
        let src = brow.as_ptr();
        // SAFETY: `brow` holds `lp` halves: `full` groups of sixteen, then (the last of the `M`
        // groups, when `full` < `M`) eight; the CPU has AVX-512F (this closure only runs inside
        // this function).
        unsafe {
            for (j, a) in acc.iter_mut().enumerate() {
                let h = if j < full {
                    _mm256_loadu_si256(src.add(j * 16).cast::<__m256i>())
                } else {
                    _mm256_zextsi128_si256(_mm_loadu_si128(src.add(j * 16).cast::<__m128i>()))
                };
                *a = _mm512_fmadd_ps(v, _mm512_cvtph_ps(h), *a);
            }
        }
    };
    let (zero, splat) = (_mm512_setzero_ps(), |v| _mm512_set1_ps(v));
    register_rows::<M, u16, __m512>(x, bh, (lp, l), first, block, zero, splat, add, |o, a| {
        store_row512(o, a)
    });
}

/// [`store_row`] for sixteen-float groups.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn store_row512<const M: usize>(orow: &mut [f32], acc: &[std::arch::x86_64::__m512; M]) {
    use std::arch::x86_64::{_mm512_mask_storeu_ps, _mm512_storeu_ps};
    let (full, rest) = (orow.len() / 16, orow.len() % 16);
    assert!(
        full + usize::from(rest > 0) <= M,
        "row wider than its registers"
    );
    let mask = tail_mask16(rest);
    let dst = orow.as_mut_ptr();
    // SAFETY: `full` whole groups lie inside `orow`, and the masked store writes only the `rest`
    // lanes of the last group that lie inside it.
    unsafe {
        for (j, a) in acc.iter().enumerate() {
            if j < full {
                _mm512_storeu_ps(dst.add(j * 16), *a);
            } else if j == full && rest > 0 {
                _mm512_mask_storeu_ps(dst.add(j * 16), mask, *a);
            }
        }
    }
}

/// [`spmm_block`] compiled for AVX2/FMA (the whole loop nest, so the inner loop is inlined and
/// vectorised with fused multiply-adds).
///
/// Rows of up to 16 groups of eight (128 columns) go to [`spmm_f32_rows`], which sums the
/// output row in as many vector accumulators (all in registers up to 14 groups, which the
/// default 100 dimensions and 10 oversamples need; beyond, the compiler keeps a few on the
/// stack): in the range finder's products (110 columns on 20 Newsgroups) the
/// loop below loads and stores the whole output row once per non-zero and handles the last
/// `l mod 8` columns one by one. Both give the same bits. (20 Newsgroups, `tools/ab_stages.sh`,
/// 21 alternating runs, medians: reduce 0.186 → 0.176 s with both kernels in registers.)
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn spmm_block_avx2(x: &Csr, bs: &[f32], l: usize, first: usize, block: &mut [f32]) {
    macro_rules! rows {
        ($($n:literal)*) => {
            match l.div_ceil(8) {
                // SAFETY: this function only runs where AVX2 and FMA exist.
                $($n => unsafe { spmm_f32_rows::<$n>(x, bs, l, first, block) },)*
                _ => spmm_block::<true>(x, bs, l, first, block),
            }
        };
    }
    rows!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
}

/// [`spmm_block`] for rows of `N` groups of eight floats (the last one `l mod 8` wide when that
/// is not zero), through [`register_rows`]: the same fused multiply-adds in the same order as
/// [`spmm_block`], so the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn spmm_f32_rows<const N: usize>(
    x: &Csr,
    bs: &[f32],
    l: usize,
    first: usize,
    block: &mut [f32],
) {
    use std::arch::x86_64::{
        __m256, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_maskload_ps, _mm256_set1_ps,
        _mm256_setzero_ps,
    };
    assert!(l.div_ceil(8) == N, "{l} columns in {N} groups of eight");
    let (full, rest) = (l / 8, l % 8);
    let mask = tail_mask(rest);
    let add = |acc: &mut [__m256; N], brow: &[f32], v: __m256| {
        let src = brow.as_ptr();
        // SAFETY: `brow` holds `l` floats: `full` whole groups of eight, and the masked load
        // reads only the `rest` lanes of the last group that lie inside it; the CPU has AVX2
        // and FMA (this closure only runs inside this function).
        unsafe {
            for (j, a) in acc.iter_mut().enumerate() {
                let bv = if j < full {
                    _mm256_loadu_ps(src.add(j * 8))
                } else {
                    _mm256_maskload_ps(src.add(j * 8), mask)
                };
                *a = _mm256_fmadd_ps(v, bv, *a);
            }
        }
    };
    let (zero, splat) = (_mm256_setzero_ps(), |v| _mm256_set1_ps(v));
    register_rows::<N, f32, __m256>(x, bs, (l, l), first, block, zero, splat, add, |o, a| {
        store_row(o, a)
    });
}

/// Rows `first..` of `x · b` into `block` (rows of width `l`; `b`'s rows have stride
/// `stride`), each output row summed in `N` vector registers of type `V` (`add` adds the
/// broadcast `splat(v)` times a row of `b` into them, starting from `zero`) over the row's
/// non-zeros in column order, and stored once by `store`; the rows of `b` that later non-zeros
/// need are prefetched [`PREFETCH`] entries ahead.
///
/// Always inlined into its callers, which are compiled for the features the closures use (AVX2
/// or AVX-512F), so that they inline into the loop. `add` and `store` must index the
/// accumulators only by the position of a loop over all `N` (a partial last group is told apart
/// by a test on that position): the compiler then unrolls it and keeps them in registers. One
/// `acc[full]` with a run-time `full` put the whole array on the stack, a load and a store around
/// every multiply-add.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn register_rows<const N: usize, T, V: Copy>(
    x: &Csr,
    b: &[T],
    (stride, l): (usize, usize),
    first: usize,
    block: &mut [f32],
    zero: V,
    splat: impl Fn(f32) -> V,
    add: impl Fn(&mut [V; N], &[T], V),
    store: impl Fn(&mut [f32], &[V; N]),
) {
    let indptr = x.indptr();
    let cols = x.indices();
    let data = x.data();
    assert_eq!(block.len() % l, 0, "whole rows of {l} columns");
    let end = indptr[first + block.len() / l];
    for (o, orow) in block.chunks_mut(l).enumerate() {
        let (a, e) = (indptr[first + o], indptr[first + o + 1]);
        let mut acc = [zero; N];
        for p in a..e {
            let ahead = p + PREFETCH;
            if ahead < end {
                prefetch(b, cols[ahead] as usize * stride, stride);
            }
            let c = cols[p] as usize;
            add(&mut acc, &b[c * stride..(c + 1) * stride], splat(data[p]));
        }
        store(orow, &acc);
    }
}

/// The range finder's vocabulary-side operand (m × l) between two products: rounded to IEEE half
/// precision where the CPU converts in hardware (F16C, with AVX2 and FMA), in f32 elsewhere.
///
/// The products `X · Q` gather one row of `Q` per non-zero from tens of megabytes; half-width
/// rows halve that traffic, and `Xᵀ Y` writes its result straight in half precision (and, in
/// the power iterations, gathers a half-precision copy of `Y`). The rounding (relative 2⁻¹¹)
/// perturbs the sampled subspace far less than the range finder's own approximation error, and
/// the final products are in full precision (20 Newsgroups: the 100 dimensions explain
/// 9.2831 % of the variance either way, seeds 0–5 agree to four decimals; the reduce stage took
/// 15 % less time, and 5.6 % less again with `Y` in half precision on an Intel VM where L3 is
/// slower). Magnitudes stay far inside half precision's range:
/// the test matrix holds ±1, and entries of `Xᵀ Y` for an orthonormal `Y` are bounded by the
/// column norms of `X`: at most √rows for unit-norm TF-IDF rows, and checked against
/// [`HALF_SAFE_NORM`] before the half-precision path is taken.
enum Operand {
    Full(Array2<f32>),
    /// Rows of stride `lp` (`l` rounded up to a multiple of 8, zero-padded).
    Half {
        data: Vec<u16>,
        l: usize,
        lp: usize,
    },
}

impl Operand {
    /// Whether this CPU takes the half-precision path.
    fn halves() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::is_x86_feature_detected!("avx2")
                && std::is_x86_feature_detected!("fma")
                && std::is_x86_feature_detected!("f16c")
        }
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    /// [`signs`]`(rows, cols, seed)`, in half precision where the CPU takes that path (±1 is
    /// exact there).
    fn signs(rows: usize, cols: usize, seed: u64) -> Operand {
        #[cfg(target_arch = "x86_64")]
        if Self::halves() && cols > 0 {
            let lp = cols.div_ceil(8) * 8;
            let mut data = zeroed::<u16>(rows * lp);
            random_rows(&mut data, lp, seed, |rng, row| {
                // Half precision's 1.0 is 0x3C00; bit 15 is the sign.
                fill_signs(rng, &mut row[..cols], |neg| 0x3C00 | (neg as u16) << 15);
            });
            return Operand::Half { data, l: cols, lp };
        }
        Operand::Full(signs(rows, cols, seed))
    }

    /// `a`, rounded to half precision where the CPU takes that path.
    #[cfg(test)]
    fn new(a: Array2<f32>) -> Operand {
        #[cfg(target_arch = "x86_64")]
        if Self::halves() && a.ncols() > 0 {
            let l = a.ncols();
            let lp = l.div_ceil(8) * 8;
            let a = a.as_standard_layout();
            let src = a.as_slice().expect("standard layout is contiguous");
            let mut data = zeroed::<u16>(a.nrows() * lp);
            data.par_chunks_mut(lp)
                .zip(src.par_chunks(l))
                .for_each(|(dst, src)| {
                    // SAFETY: the CPU has F16C (`halves`).
                    unsafe { to_half(src, dst) }
                });
            return Operand::Half { data, l, lp };
        }
        Operand::Full(a)
    }

    /// `xt · y`, written straight in half precision when `halves` and the CPU takes that path;
    /// `y` (orthonormal columns, so every entry within ±1) is then gathered from a half-precision
    /// copy, each block of rows summed in f32 as [`Operand::left_product`] sums, then rounded.
    #[cfg(test)]
    fn product(xt: &Csr, y: &Array2<f32>, halves: bool) -> Operand {
        Self::product_over(xt, y, halves, Vec::new(), &mut Vec::new())
    }

    /// [`Operand::product`] written over this operand's memory (its values are no longer
    /// needed) when it is in half precision and of the product's size, with the half-precision
    /// copy of `y` in `yh` (any contents; resized when its size is not the copy's).
    fn into_product(self, xt: &Csr, y: &Array2<f32>, halves: bool, yh: &mut Vec<u16>) -> Operand {
        let reuse = match self {
            Operand::Half { data, .. } => data,
            Operand::Full(_) => Vec::new(),
        };
        Self::product_over(xt, y, halves, reuse, yh)
    }

    /// [`Operand::product`] into `reuse` and `yh` where their sizes fit; every value of both is
    /// written.
    fn product_over(
        xt: &Csr,
        y: &Array2<f32>,
        halves: bool,
        reuse: Vec<u16>,
        yh: &mut Vec<u16>,
    ) -> Operand {
        #[cfg(target_arch = "x86_64")]
        if halves && Self::halves() && y.ncols() > 0 {
            assert_eq!(y.nrows(), xt.cols(), "inner dimensions");
            let l = y.ncols();
            let lp = l.div_ceil(8) * 8;
            let y = y.as_standard_layout();
            let ys = y.as_slice().expect("standard layout is contiguous");
            if yh.len() != y.nrows() * lp {
                *yh = zeroed::<u16>(y.nrows() * lp);
            }
            yh.par_chunks_mut(lp)
                .zip(ys.par_chunks(l))
                .for_each(|(dst, src)| {
                    // SAFETY: the CPU has F16C (`halves`).
                    unsafe { to_half(src, dst) }
                });
            let mut data = reuse;
            if data.len() != xt.rows() * lp {
                data = zeroed::<u16>(xt.rows() * lp);
            }
            data.par_chunks_mut(SPMM_ROWS * lp)
                .enumerate()
                .for_each_init(
                    || vec![0f32; SPMM_ROWS * l],
                    |scratch, (ci, out)| {
                        let block = &mut scratch[..out.len() / lp * l];
                        block.fill(0.0);
                        // SAFETY: the CPU has AVX2, FMA and F16C (`halves`).
                        unsafe {
                            spmm_half_fast(xt, yh, l, lp, ci * SPMM_ROWS, block);
                            for (src, dst) in block.chunks(l).zip(out.chunks_mut(lp)) {
                                to_half(src, dst);
                            }
                        }
                    },
                );
            return Operand::Half { data, l, lp };
        }
        drop(reuse);
        Operand::Full(spmm(xt, y.view()))
    }

    /// `x · self`.
    fn left_product(&self, x: &Csr) -> Array2<f32> {
        let mut out = Array2::zeros((0, 0));
        self.left_product_into(x, &mut out);
        out
    }

    /// [`Operand::left_product`] into `out`, written over when it has the product's shape
    /// (any contents), replaced otherwise.
    fn left_product_into(&self, x: &Csr, out: &mut Array2<f32>) {
        match self {
            Operand::Full(a) => *out = spmm(x, a.view()),
            #[cfg(target_arch = "x86_64")]
            Operand::Half { data, l, lp } => {
                let (l, lp) = (*l, *lp);
                assert_eq!(data.len(), x.cols() * lp, "inner dimensions");
                if out.dim() != (x.rows(), l) || !out.is_standard_layout() {
                    *out = zeros_huge(x.rows(), l);
                }
                fill_row_blocks(out, &|first, block| {
                    // SAFETY: `Half` exists only where the CPU has AVX2, FMA and F16C.
                    unsafe { spmm_half_fast(x, data, l, lp, first, block) };
                });
            }
            #[cfg(not(target_arch = "x86_64"))]
            Operand::Half { .. } => unreachable!("half precision is only taken on x86-64"),
        }
    }
}

/// The largest row norm of `xt` (X's largest column norm) for which [`Operand`] rounds `Xᵀ Y`
/// to half precision, whose largest finite value is 65,504.
const HALF_SAFE_NORM: f32 = 16_384.0;

/// The largest Euclidean norm of a row of `x`.
fn max_row_norm(x: &Csr) -> f32 {
    (0..x.rows())
        .into_par_iter()
        .map(|r| x.row(r).1.iter().map(|v| v * v).sum::<f32>().sqrt())
        .reduce(|| 0.0, f32::max)
}

/// `src` rounded to half precision (to nearest) into `dst`, zero-padded to a multiple of eight
/// (`dst.len()`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,f16c")]
unsafe fn to_half(src: &[f32], dst: &mut [u16]) {
    use std::arch::x86_64::{
        __m128i, _MM_FROUND_TO_NEAREST_INT, _mm_storeu_si128, _mm256_cvtps_ph, _mm256_loadu_ps,
    };
    assert_eq!(
        dst.len(),
        src.len().div_ceil(8) * 8,
        "{} floats into halves",
        src.len()
    );
    // Whole groups of eight load straight from `src`; only the last, partial group goes through
    // a zero-padded buffer (a copy of variable length in every group was a `memcpy` call each,
    // 3 % of a 20 Newsgroups run).
    let (head, tail) = src.split_at(src.len() / 8 * 8);
    let (dhead, dtail) = dst.split_at_mut(head.len());
    let convert = |s: &[f32], d: &mut [u16]| {
        // SAFETY: every call passes `s` of 8 floats and `d` of 8 halves (16 bytes); the CPU
        // has AVX and F16C (this closure only runs inside this function).
        unsafe {
            let h = _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(_mm256_loadu_ps(s.as_ptr()));
            _mm_storeu_si128(d.as_mut_ptr().cast::<__m128i>(), h);
        }
    };
    for (s, d) in head.chunks_exact(8).zip(dhead.chunks_exact_mut(8)) {
        convert(s, d);
    }
    if !tail.is_empty() {
        let mut buf = [0f32; 8];
        buf[..tail.len()].copy_from_slice(tail);
        convert(&buf, dtail);
    }
}

/// Rows `first..` of `x · b` into `block` (zeroed rows of width `l`) for `b` in half precision
/// with rows of stride `lp` (a multiple of 8, zero-padded): [`spmm_half_rows`] for rows of up to
/// 16 groups of eight (128 columns), which sums the output row in vector accumulators (in
/// registers up to 14 groups: the default 100 dimensions and 10 oversamples), [`spmm_half_loop`]
/// beyond. Both give the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn spmm_half_block(
    x: &Csr,
    bh: &[u16],
    l: usize,
    lp: usize,
    first: usize,
    block: &mut [f32],
) {
    macro_rules! rows {
        ($($n:literal)*) => {
            match lp / 8 {
                // SAFETY: this function only runs where AVX2, FMA and F16C exist.
                $($n => unsafe { spmm_half_rows::<$n>(x, bh, l, first, block) },)*
                // SAFETY: as above.
                _ => unsafe { spmm_half_loop(x, bh, l, lp, first, block) },
            }
        };
    }
    rows!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
}

/// [`spmm_half_block`] for any width: each non-zero widens its row of `b` eight values at a time
/// and adds it into the output row in memory with fused multiply-adds, in column order as
/// [`spmm_block`] does.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn spmm_half_loop(
    x: &Csr,
    bh: &[u16],
    l: usize,
    lp: usize,
    first: usize,
    block: &mut [f32],
) {
    use std::arch::x86_64::{
        __m128i, _mm_loadu_si128, _mm256_cvtph_ps, _mm256_fmadd_ps, _mm256_loadu_ps,
        _mm256_maskload_ps, _mm256_maskstore_ps, _mm256_set1_ps, _mm256_storeu_ps,
    };
    let indptr = x.indptr();
    let cols = x.indices();
    let data = x.data();
    let (full, rest) = (l / 8, l % 8);
    let mask = tail_mask(rest);
    let end = indptr[first + block.len() / l];
    for (o, orow) in block.chunks_mut(l).enumerate() {
        let (a, b) = (indptr[first + o], indptr[first + o + 1]);
        let dst = orow.as_mut_ptr();
        for p in a..b {
            let ahead = p + PREFETCH;
            if ahead < end {
                prefetch(bh, cols[ahead] as usize * lp, lp);
            }
            let src = bh[cols[p] as usize * lp..(cols[p] as usize + 1) * lp].as_ptr();
            // SAFETY: `src` holds `lp` ≥ 8·(full + 1 if rest) halves and `dst` holds `l` floats;
            // the tail is read and written through the mask of its `rest` valid lanes.
            unsafe {
                let v = _mm256_set1_ps(data[p]);
                for j in 0..full {
                    let bv = _mm256_cvtph_ps(_mm_loadu_si128(src.add(j * 8).cast::<__m128i>()));
                    let y = _mm256_loadu_ps(dst.add(j * 8));
                    _mm256_storeu_ps(dst.add(j * 8), _mm256_fmadd_ps(v, bv, y));
                }
                if rest > 0 {
                    let bv = _mm256_cvtph_ps(_mm_loadu_si128(src.add(full * 8).cast::<__m128i>()));
                    let y = _mm256_maskload_ps(dst.add(full * 8), mask);
                    _mm256_maskstore_ps(dst.add(full * 8), mask, _mm256_fmadd_ps(v, bv, y));
                }
            }
        }
    }
}

/// [`spmm_half_block`] for rows of `N` groups of eight halves (stride `8 N`), through
/// [`register_rows`]: the same fused multiply-adds in the same order as [`spmm_half_loop`], so
/// the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn spmm_half_rows<const N: usize>(
    x: &Csr,
    bh: &[u16],
    l: usize,
    first: usize,
    block: &mut [f32],
) {
    use std::arch::x86_64::{
        __m128i, __m256, _mm_loadu_si128, _mm256_cvtph_ps, _mm256_fmadd_ps, _mm256_set1_ps,
        _mm256_setzero_ps,
    };
    let lp = N * 8;
    assert!(
        l <= lp && lp < l + 8,
        "{l} columns in rows of {N} groups of eight"
    );
    let add = |acc: &mut [__m256; N], brow: &[u16], v: __m256| {
        let src = brow.as_ptr();
        // SAFETY: `brow` holds `lp` = 8 N halves, read eight at a time; the CPU has AVX2, FMA
        // and F16C (this closure only runs inside this function).
        unsafe {
            for (j, a) in acc.iter_mut().enumerate() {
                let bv = _mm256_cvtph_ps(_mm_loadu_si128(src.add(j * 8).cast::<__m128i>()));
                *a = _mm256_fmadd_ps(v, bv, *a);
            }
        }
    };
    let (zero, splat) = (_mm256_setzero_ps(), |v| _mm256_set1_ps(v));
    register_rows::<N, u16, __m256>(x, bh, (lp, l), first, block, zero, splat, add, |o, a| {
        store_row(o, a)
    });
}

/// Stores `acc` (groups of eight) into `orow`, the last group through a mask of its lanes when
/// `orow` is not a whole number of groups.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn store_row<const N: usize>(orow: &mut [f32], acc: &[std::arch::x86_64::__m256; N]) {
    use std::arch::x86_64::{_mm256_maskstore_ps, _mm256_storeu_ps};
    let (full, rest) = (orow.len() / 8, orow.len() % 8);
    assert!(
        full + usize::from(rest > 0) <= N,
        "row wider than its registers"
    );
    let mask = tail_mask(rest);
    let dst = orow.as_mut_ptr();
    // SAFETY: `full` whole groups lie inside `orow`, and the masked store writes only the `rest`
    // lanes of the last group that lie inside it (`mask` has exactly those lanes on).
    unsafe {
        for (j, a) in acc.iter().enumerate() {
            if j < full {
                _mm256_storeu_ps(dst.add(j * 8), *a);
            } else if j == full && rest > 0 {
                _mm256_maskstore_ps(dst.add(j * 8), mask, *a);
            }
        }
    }
}

/// An `rows × cols` matrix of N(0, 1) draws (rand_distr's `StandardNormal`), drawn as [`signs`]
/// draws its rows: the tests' random dense matrices.
#[cfg(test)]
fn gaussian(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    let mut out = zeros_huge(rows, cols);
    random_rows(as_slice(&mut out), cols, seed, |rng, row| {
        for v in row {
            *v = rng.sample(StandardNormal);
        }
    });
    out
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

/// A zeroed `rows × cols` array whose pages the kernel may back with transparent huge pages
/// (see [`zeroed`]). The range finder's products gather one row of such a matrix per non-zero,
/// all over tens of megabytes: with 4 KiB pages most gathers miss the TLB.
fn zeros_huge(rows: usize, cols: usize) -> Array2<f32> {
    Array2::from_shape_vec((rows, cols), zeroed(rows * cols)).expect("rows × cols values")
}

/// `n` zeros (`T::default()`), written in parallel chunks.
///
/// A zeroed allocation (`vec![0; n]`, `Array2::zeros`) is zeroed by one thread: the allocator
/// clears reused memory with one `memset` before any worker starts, 230 MB of it in one LSA of
/// 20 Newsgroups, all of it then overwritten. Here each chunk is zeroed by a worker, and on
/// Linux the allocation is first advised `MADV_HUGEPAGE`, so pages faulted in by those writes
/// may be huge pages.
fn zeroed<T: Copy + Default + Send + Sync>(n: usize) -> Vec<T> {
    /// Elements per parallel zeroing task.
    const CHUNK: usize = 1 << 16;
    let mut v: Vec<T> = Vec::with_capacity(n);
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let bytes = n * std::mem::size_of::<T>();
        if bytes >= 2 * HUGE {
            let start = v.as_ptr() as usize;
            let aligned = start.div_ceil(HUGE) * HUGE;
            let len = (start + bytes).saturating_sub(aligned) / HUGE * HUGE;
            if len > 0 {
                // SAFETY: [aligned, aligned + len) lies inside `v`'s allocation; the advice
                // changes only how the kernel backs those pages, never their contents.
                unsafe {
                    libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
                }
            }
        }
    }
    v.spare_capacity_mut()[..n]
        .par_chunks_mut(CHUNK)
        .for_each(|c| c.fill(std::mem::MaybeUninit::new(T::default())));
    // SAFETY: the first `n` elements were all written just above.
    unsafe { v.set_len(n) };
    v
}

/// Scales every row to unit L2 norm; all-zero rows stay zero.
pub(crate) fn normalize_rows(a: &mut Array2<f32>) {
    a.axis_iter_mut(Axis(0))
        .into_par_iter()
        .for_each(|mut row| {
            let n: f32 = row.iter().map(|v| v * v).sum::<f32>().sqrt();
            if n > 0.0 {
                row.mapv_inplace(|v| v / n);
            }
        });
}

/// `a · b` for a tall `a`, computed over fixed row chunks in parallel (each output row depends
/// only on its own input row, so the result is the same for any thread count). Each chunk is one
/// faer product (one thread each): 1.3–1.5× faster than ndarray's `matrixmultiply` here (LSA on
/// 20 Newsgroups: 18,846 × 110 by 110 × 110, 4.5 → 3.0 ms; 55,000 × 110 by 110 × 100, 12.0 → 9.5 ms).
pub(crate) fn matmul_rows(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>) -> Array2<f32> {
    let (n, k) = (a.nrows(), b.ncols());
    let a = a.as_standard_layout();
    let b = b.as_standard_layout();
    let bm = faer::MatRef::from_row_major_slice(
        b.as_slice().expect("standard layout is contiguous"),
        b.nrows(),
        k,
    );
    let mut out = zeros_huge(n, k);
    out.axis_chunks_iter_mut(Axis(0), ROW_CHUNK)
        .into_par_iter()
        .zip(a.axis_chunks_iter(Axis(0), ROW_CHUNK).into_par_iter())
        .for_each(|(mut o, a_chunk)| {
            let rows = o.nrows();
            let am = faer::MatRef::from_row_major_slice(
                a_chunk
                    .to_slice()
                    .expect("rows of a standard layout are contiguous"),
                rows,
                a_chunk.ncols(),
            );
            let om = faer::MatMut::from_row_major_slice_mut(
                o.as_slice_mut()
                    .expect("rows of a fresh array are contiguous"),
                rows,
                k,
            );
            faer::linalg::matmul::matmul(om, faer::Accum::Replace, am, bm, 1.0, faer::Par::Seq);
            crate::simd::clear_upper();
        });
    out
}

/// [`matmul_rows`] for `b` no wider than `a` (`k ≤ l`), written over `a`'s own memory: the
/// products of a few row chunks at a time (two per thread) go to scratch in parallel, then
/// over the rows they were computed from, whose values no later chunk needs (output row `i`
/// ends at `(i + 1) k ≤ (i + 1) l`, where input row `i + 1` begins). Each chunk is the same
/// faer product as in [`matmul_rows`], so the bits are the same; the output needs no fresh
/// memory (20 Newsgroups: the 55,248 × 100 components, 22 MB, are written over the
/// 55,248 × 110 `Xᵀ Q`).
fn matmul_rows_in_place(a: Array2<f32>, b: ArrayView2<'_, f32>) -> Array2<f32> {
    let (n, l) = a.dim();
    let k = b.ncols();
    assert!(
        k <= l && b.nrows() == l,
        "a {n} × {l} times b {} × {k}",
        b.nrows()
    );
    if n == 0 || k == 0 {
        return Array2::zeros((n, k));
    }
    let b = b.as_standard_layout();
    let bm = faer::MatRef::from_row_major_slice(
        b.as_slice().expect("standard layout is contiguous"),
        l,
        k,
    );
    // The rows, in order, as one vector (`a`'s own unless it is a view into a larger buffer).
    let mut v = if a.is_standard_layout() {
        match a.into_raw_vec_and_offset() {
            (v, Some(0) | None) if v.len() == n * l => v,
            (v, off) => {
                let off = off.unwrap_or(0);
                v[off..off + n * l].to_vec()
            }
        }
    } else {
        a.iter().copied().collect()
    };
    let chunks = n.div_ceil(ROW_CHUNK);
    let wave = 2 * rayon::current_num_threads().max(1);
    let mut scratch: Vec<Vec<f32>> = Vec::new();
    for w0 in (0..chunks).step_by(wave) {
        let w1 = (w0 + wave).min(chunks);
        scratch.resize_with(w1 - w0, Vec::new);
        let src = &v;
        scratch.par_iter_mut().enumerate().for_each(|(i, out)| {
            let r0 = (w0 + i) * ROW_CHUNK;
            let rows = ROW_CHUNK.min(n - r0);
            out.resize(rows * k, 0.0);
            let am = faer::MatRef::from_row_major_slice(&src[r0 * l..(r0 + rows) * l], rows, l);
            let om = faer::MatMut::from_row_major_slice_mut(out, rows, k);
            faer::linalg::matmul::matmul(om, faer::Accum::Replace, am, bm, 1.0, faer::Par::Seq);
            crate::simd::clear_upper();
        });
        v[w0 * ROW_CHUNK * k..(w0 * ROW_CHUNK * k + scratch.iter().map(Vec::len).sum::<usize>())]
            .par_chunks_mut(ROW_CHUNK * k)
            .zip(scratch.par_iter())
            .for_each(|(dst, out)| dst.copy_from_slice(out));
    }
    v.truncate(n * k);
    Array2::from_shape_vec((n, k), v).expect("n × k values")
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
    crate::simd::clear_upper();
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
        crate::simd::clear_upper();
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
    use super::*;

    /// A random sparse matrix with a planted low-rank structure.
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

    /// The kernels that keep an output row in registers give the bits of the loops that add
    /// into it in memory, for every width they take (with and without a tail of fewer than eight
    /// columns), empty rows included, and the widths beyond them still go to the loops.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn register_kernels_give_the_bits_of_the_memory_loops() {
        let fma = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        if !fma {
            return;
        }
        // The AVX-512 kernels are checked too where the CPU has them (rows up to 128 wide; wider
        // ones fall back to the AVX2 kernels).
        let avx512 = std::is_x86_feature_detected!("avx512f");
        let mut x = planted(150, 90, 8);
        // Two empty rows: their output rows are zero.
        let (mut indptr, indices, data) = (x.indptr().to_vec(), x.indices().to_vec(), x.data());
        let data = data.to_vec();
        indptr.insert(1, 0);
        indptr.insert(1, 0);
        x = Csr::new(152, 90, indptr, indices, data);
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        for l in (1..=20).chain([100, 110, 127, 128, 129, 140]) {
            let b = gaussian(90, l, 21 + l as u64);
            let bs = b.as_slice().unwrap();
            let rows = x.rows();
            // The register kernels store every value of their rows (a NaN left over would show);
            // the loops add into zeros.
            let start = if l <= 128 { f32::NAN } else { 0.0 };
            let (mut fast, mut looped) = (vec![start; rows * l], vec![0f32; rows * l]);
            // SAFETY: the CPU has AVX2 and FMA (checked above).
            unsafe { spmm_block_avx2(&x, bs, l, 0, &mut fast) };
            spmm_block::<true>(&x, bs, l, 0, &mut looped);
            assert_eq!(bits(&fast), bits(&looped), "f32 rows of width {l}");
            assert!(fast[..2 * l].iter().all(|&v| v == 0.0), "empty rows");
            assert!(
                fast.iter().any(|&v| v != 0.0),
                "width {l} computed something"
            );
            if avx512 {
                let mut wide = vec![start; rows * l];
                // SAFETY: the CPU has AVX2, FMA and AVX-512F (checked above).
                unsafe { spmm_block_fast(&x, bs, l, 0, &mut wide) };
                assert_eq!(bits(&wide), bits(&looped), "AVX-512 f32 rows of width {l}");
            }
            if !Operand::halves() {
                continue;
            }
            let lp = l.div_ceil(8) * 8;
            let mut bh = vec![0u16; 90 * lp];
            for (dst, src) in bh.chunks_mut(lp).zip(bs.chunks(l)) {
                // SAFETY: the CPU has F16C (`halves`).
                unsafe { to_half(src, dst) };
            }
            let (mut fast, mut looped) = (vec![start; rows * l], vec![0f32; rows * l]);
            // SAFETY: the CPU has AVX2, FMA and F16C (`halves`).
            unsafe {
                spmm_half_block(&x, &bh, l, lp, 0, &mut fast);
                spmm_half_loop(&x, &bh, l, lp, 0, &mut looped);
            }
            assert_eq!(bits(&fast), bits(&looped), "half rows of width {l}");
            if avx512 {
                let mut wide = vec![start; rows * l];
                // SAFETY: the CPU has AVX2, FMA, F16C and AVX-512F (checked above).
                unsafe { spmm_half_fast(&x, &bh, l, lp, 0, &mut wide) };
                assert_eq!(bits(&wide), bits(&looped), "AVX-512 half rows of width {l}");
            }
        }
    }

    #[test]
    fn in_place_products_give_the_bits_of_fresh_ones() {
        // Several waves of row chunks, a short last chunk, k = l and k < l, and inputs that are
        // not one plain buffer (a transposed copy, and rows sliced out of a larger array).
        for (n, l, k) in [
            (9_000, 12, 7),
            (5_000, 9, 9),
            (3, 5, 2),
            (10, 3, 0),
            (2 * ROW_CHUNK, 4, 1),
        ] {
            let a = gaussian(n, l, n as u64);
            let b = gaussian(l, k, 7);
            let fresh = matmul_rows(a.view(), b.view());
            let bits = |m: &Array2<f32>| m.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            let done = matmul_rows_in_place(a.clone(), b.view());
            assert_eq!(done.dim(), (n, k));
            assert_eq!(bits(&done), bits(&fresh), "{n} × {l} by {l} × {k}");
            let mut transposed = Array2::<f32>::zeros((l, n)).reversed_axes();
            transposed.assign(&a);
            assert!(!transposed.is_standard_layout());
            assert_eq!(
                bits(&matmul_rows_in_place(transposed, b.view())),
                bits(&fresh)
            );
            let mut taller = gaussian(n + 2, l, 3);
            taller.slice_mut(ndarray::s![1..n + 1, ..]).assign(&a);
            taller.slice_collapse(ndarray::s![1..n + 1, ..]);
            assert_eq!(bits(&matmul_rows_in_place(taller, b.view())), bits(&fresh));
        }
    }

    #[test]
    fn halved_products_are_within_half_precision_of_full_ones() {
        let x = planted(300, 90, 5);
        let xt = x.transpose();
        // Widths with and without a tail of fewer than eight columns.
        for l in [3, 8, 13, 110] {
            let b = gaussian(90, l, 11);
            let full = spmm(&x, b.view());
            let half = Operand::new(b.clone()).left_product(&x);
            assert_eq!(half.dim(), full.dim());
            if Operand::halves() {
                assert_ne!(half, full, "the half-precision path ran");
            }
            for r in 0..x.rows() {
                let (cols, vals) = x.row(r);
                for c in 0..l {
                    // Each gathered value is rounded by at most 2⁻¹¹ of itself.
                    let bound: f32 = cols
                        .iter()
                        .zip(vals)
                        .map(|(&j, &v)| (v * b[(j as usize, c)]).abs())
                        .sum::<f32>()
                        * (2f32.powi(-11) + 1e-6)
                        + 1e-6;
                    let err = (half[(r, c)] - full[(r, c)]).abs();
                    assert!(err <= bound, "row {r} col {c}: {err} > {bound}");
                }
            }
            // The test matrix drawn straight in half precision is the f32 one, rounded.
            match (Operand::signs(90, l, 11), Operand::new(signs(90, l, 11))) {
                (Operand::Half { data: a, .. }, Operand::Half { data: b, .. }) => assert_eq!(a, b),
                (Operand::Full(a), Operand::Full(b)) => assert_eq!(a, b),
                _ => panic!("both draws take the same path"),
            }
            // Xᵀ Y written in half precision is Xᵀ (Y rounded to half) summed in f32, rounded:
            // the same bits.
            let y = gaussian(300, l, 12);
            let fused = Operand::product(&xt, &y, true);
            let rounded = Operand::new(Operand::new(y.clone()).left_product(&xt));
            match (fused, rounded) {
                (Operand::Half { data: a, .. }, Operand::Half { data: b, .. }) => assert_eq!(a, b),
                (Operand::Full(a), Operand::Full(b)) => assert_eq!(a, b),
                _ => panic!("both products take the same path"),
            }
        }
    }

    #[test]
    fn products_written_over_used_buffers_give_the_bits_of_fresh_ones() {
        let x = planted(300, 90, 5);
        let xt = x.transpose();
        let halves = |o: &Operand| match o {
            Operand::Half { data, .. } => data.clone(),
            Operand::Full(a) => a.iter().map(|v| v.to_bits() as u16).collect(),
        };
        for l in [3, 8, 13, 110] {
            let y = gaussian(300, l, 12);
            let fresh = Operand::product(&xt, &y, true);
            // An operand of the product's size and a copy buffer of the wrong size, both full
            // of other values.
            let used = match Operand::product(&xt, &gaussian(300, l, 13), true) {
                Operand::Half { mut data, l, lp } => {
                    data.fill(0x7bff);
                    Operand::Half { data, l, lp }
                }
                full => full,
            };
            let mut yh = vec![0x3c00u16; 7];
            let over = used.into_product(&xt, &y, true, &mut yh);
            assert_eq!(halves(&over), halves(&fresh), "Xᵀ Y of width {l}");
            // X · Q into an output of the right shape holding other values, and of a wrong one.
            let want = fresh.left_product(&x);
            let mut out = Array2::from_elem((300, l), f32::NAN);
            fresh.left_product_into(&x, &mut out);
            assert_eq!(out, want, "X Q of width {l}");
            let mut out = Array2::from_elem((2, 3), 1.0f32);
            fresh.left_product_into(&x, &mut out);
            assert_eq!(out, want, "X Q of width {l} into a new array");
        }
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
