//! Sparse × dense products in f32: `x · b` for a [`Csr`] `x` and a dense `b`, over fixed blocks
//! of output rows in parallel, each row summed over its non-zeros in column order: a scalar loop,
//! the same loop compiled for AVX2/FMA, and kernels that keep a whole output row in AVX2 or
//! AVX-512 registers, all giving the same bits. [`register_rows`], [`store_row`] and
//! [`store_row512`] also serve the half-precision kernels of [`super::half`].
//!
//! In go the sparse matrix and `b` (or its rows as one slice, with the row width); out comes the
//! dense product, or whole rows of it written into a caller's block.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use super::dense::zeros_huge;
use super::prefetch;
#[cfg(target_arch = "x86_64")]
use super::{tail_mask, tail_mask16};
use crate::sparse::Csr;

/// `x · b` for sparse `x` and dense `b` (`x.cols() × l`): rows in fixed chunks in parallel, each
/// output row accumulated in column order (so the result never depends on the thread count),
/// with an AVX2/FMA inner loop where the CPU has it.
///
/// The output is zeroed in parallel by [`zeroed`](super::zeroed) before it is filled: the fresh
/// allocation's pages are then first touched by a write. (Accumulating straight into a calloc'd
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
pub(crate) fn fill_row_blocks(out: &mut Array2<f32>, fill: &(impl Fn(usize, &mut [f32]) + Sync)) {
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
pub(crate) const SPMM_ROWS: usize = 64;

/// Rows `first..` of `x · b` into `block` (zeroed, whole rows of width `l`); `FMA` fuses the
/// multiply-adds (only where the CPU has FMA: in software it is a slow library call).
#[inline(always)]
pub(super) fn spmm_block<const FMA: bool>(
    x: &Csr,
    bs: &[f32],
    l: usize,
    first: usize,
    block: &mut [f32],
) {
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
pub(super) const PREFETCH: usize = 12;

/// [`spmm_block`] on the widest vectors the CPU has: [`spmm_f32_rows512`] for rows of up to
/// 128 columns where it has AVX-512F, [`spmm_block_avx2`] otherwise. Same bits either way.
///
/// # Safety
/// The CPU must have AVX2 and FMA (AVX-512F is detected here). Nothing else is left to the
/// caller: `block` must hold whole rows of `l`, which the register kernels assert (a mismatch
/// panics) and the loop of [`spmm_block`] needs for nothing but its result; `x`'s indices and
/// `bs`'s rows are read through bounds-checked slices; no load or store needs alignment.
#[cfg(target_arch = "x86_64")]
pub(super) unsafe fn spmm_block_fast(
    x: &Csr,
    bs: &[f32],
    l: usize,
    first: usize,
    block: &mut [f32],
) {
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

/// [`spmm_f32_rows`] with sixteen-float (AVX-512) accumulators, `M` of them (the last one
/// `l mod 16` wide when that is not zero). Each lane does the fused multiply-adds of the same
/// column in the same order as there, so the bits are the same; a row takes half the
/// instructions. (20 Newsgroups, 110 columns, `tools/ab_stages.sh`, 11 alternating runs: the
/// reduce stage 0.204 → 0.184 s and 0.171 → 0.158 s in two sittings.)
///
/// # Safety
/// The CPU must have AVX-512F. The length rules (`M` groups of sixteen cover `l`; `block` holds
/// whole rows of `l`) are asserted here and in [`register_rows`] (a mismatch panics); no load or
/// store needs alignment.
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

/// [`store_row`] for sixteen-float groups (a safe function compiled for AVX-512F: code not
/// compiled for it calls it in `unsafe`, having checked that the CPU has it).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
pub(super) fn store_row512<const M: usize>(orow: &mut [f32], acc: &[std::arch::x86_64::__m512; M]) {
    use std::arch::x86_64::{_mm512_mask_storeu_ps, _mm512_storeu_ps};
    let (full, rest) = (orow.len() / 16, orow.len() % 16);
    assert!(
        full + usize::from(rest > 0) <= M,
        "row wider than its registers"
    );
    let mask = tail_mask16(rest);
    let dst = orow.as_mut_ptr();
    // SAFETY: `full` whole groups lie inside `orow`, and the masked store writes only the `rest`
    // lanes of the last group that lie inside it (`mask` has exactly those lanes on).
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
///
/// # Safety
/// The CPU must have AVX2 and FMA. Nothing else is left to the caller, as for
/// [`spmm_block_fast`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn spmm_block_avx2(
    x: &Csr,
    bs: &[f32],
    l: usize,
    first: usize,
    block: &mut [f32],
) {
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
///
/// # Safety
/// The CPU must have AVX2 and FMA. The length rules (`N` groups of eight cover `l`; `block`
/// holds whole rows of `l`) are asserted here and in [`register_rows`] (a mismatch panics); no
/// load or store needs alignment.
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
pub(super) fn register_rows<const N: usize, T, V: Copy>(
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

/// Stores `acc` (groups of eight) into `orow`, the last group through a mask of its lanes when
/// `orow` is not a whole number of groups (a safe function compiled for AVX2: code not compiled
/// for it calls it in `unsafe`, having checked that the CPU has it).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn store_row<const N: usize>(orow: &mut [f32], acc: &[std::arch::x86_64::__m256; N]) {
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
