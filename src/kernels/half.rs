//! Sparse × dense products with `b` in IEEE half precision (x86-64 only): the conversion of f32
//! rows to half-precision rows padded to a multiple of eight ([`to_half`]), and `x · b` for such
//! a `b`, widened to f32 in registers (F16C) and summed in f32 with fused multiply-adds, in the
//! same order as the kernels of [`super::spmm`](mod@super::spmm): in memory for any width
//! ([`spmm_half_loop`]), in AVX2 or AVX-512 registers for rows of up to 128 columns, all giving
//! the same bits.
//!
//! In go the sparse matrix, `b`'s rows as one slice of half-precision bits with their width `l`
//! and stride `lp`, and a block of output rows; out come those rows of the product, in f32.

use super::prefetch;
use super::spmm::{PREFETCH, register_rows, store_row, store_row512};
use super::tail_mask;
use crate::sparse::Csr;

/// `src` rounded to half precision (to nearest) into `dst`, zero-padded to a multiple of eight
/// (`dst.len()`).
///
/// # Safety
/// The CPU must have AVX2 and F16C. Nothing else is left to the caller: `dst.len()` must be
/// `src.len()` rounded up to a multiple of eight, which is asserted (a mismatch panics), and no
/// load or store needs alignment.
#[target_feature(enable = "avx2,f16c")]
pub(crate) unsafe fn to_half(src: &[f32], dst: &mut [u16]) {
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

/// [`spmm_half_block`] on the widest vectors the CPU has: [`spmm_half_rows512`] for rows of up
/// to 128 columns where it has AVX-512F. Same bits either way.
///
/// # Safety
/// The CPU must have AVX2, FMA and F16C (AVX-512F is detected here). Nothing else is left to the
/// caller: the length rules (`lp` is `l` rounded up to a multiple of 8, `block` holds whole rows
/// of `l`) are asserted by the kernels this dispatches to, so a mismatch panics; `x`'s indices
/// and `bh`'s rows are read through bounds-checked slices; no load or store needs alignment.
pub(crate) unsafe fn spmm_half_fast(
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

/// [`spmm_half_rows`] with sixteen-float (AVX-512) accumulators: rows of `b` of stride `lp`
/// (a multiple of 8, `M` = `lp` / 16 rounded up), widened sixteen halves at a time (the last
/// group eight when `lp` is an odd multiple of 8). The same fused multiply-adds per column in
/// the same order as [`spmm_half_loop`], so the same bits.
///
/// # Safety
/// The CPU must have AVX-512F. The length rules (`lp` is `l` rounded up to a multiple of 8 and
/// `M` its groups of sixteen; `block` holds whole rows of `l`) are asserted here and in
/// [`register_rows`] (a mismatch panics); no load or store needs alignment.
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

/// Rows `first..` of `x · b` into `block` (zeroed rows of width `l`) for `b` in half precision
/// with rows of stride `lp` (a multiple of 8, zero-padded): [`spmm_half_rows`] for rows of up to
/// 16 groups of eight (128 columns), which sums the output row in vector accumulators (in
/// registers up to 14 groups: the default 100 dimensions and 10 oversamples), [`spmm_half_loop`]
/// beyond. Both give the same bits.
///
/// # Safety
/// The CPU must have AVX2, FMA and F16C. The length rules (`lp` is `l` rounded up to a multiple
/// of 8; `block` holds whole rows of `l`) are asserted here and by the kernels this dispatches
/// to (a mismatch panics); no load or store needs alignment.
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn spmm_half_block(
    x: &Csr,
    bh: &[u16],
    l: usize,
    lp: usize,
    first: usize,
    block: &mut [f32],
) {
    // The dispatch on `lp / 8` below takes `lp` for a whole number of groups of eight.
    assert!(
        l <= lp && lp < l + 8 && lp.is_multiple_of(8),
        "{l} columns in rows of {lp} halves"
    );
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
/// [`spmm_block`](super::spmm::spmm_block) does.
///
/// # Safety
/// The CPU must have AVX2, FMA and F16C. The length rules (`lp` is `l` rounded up to a multiple
/// of 8, so each row of `bh` covers every group of eight the loop reads; `block` holds whole
/// rows of `l`, so every row written is `l` long) are asserted here (a mismatch panics); no load
/// or store needs alignment.
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
    assert!(
        l <= lp && lp < l + 8 && lp.is_multiple_of(8),
        "{l} columns in rows of {lp} halves"
    );
    assert_eq!(block.len() % l, 0, "whole rows of {l} columns");
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
            // SAFETY: `src` holds `lp` = 8·(full + 1 if rest) halves and `dst` holds `l` floats
            // (both asserted above); the tail is read and written through the mask of its `rest`
            // valid lanes; the CPU has AVX2, FMA and F16C (this function's contract).
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
///
/// # Safety
/// The CPU must have AVX2, FMA and F16C. The length rules (`8 N` is `l` rounded up to a multiple
/// of 8 and the stride of `bh`'s rows; `block` holds whole rows of `l`) are asserted here and in
/// [`register_rows`] (a mismatch panics); no load or store needs alignment.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::spmm::{spmm_block, spmm_block_avx2, spmm_block_fast};
    use crate::testdata::{gaussian, planted};

    /// The kernels that keep an output row in registers give the bits of the loops that add
    /// into it in memory, for every width they take (with and without a tail of fewer than eight
    /// columns), empty rows included, and the widths beyond them still go to the loops.
    #[test]
    fn register_kernels_give_the_bits_of_the_memory_loops() {
        let fma = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        if !fma {
            return;
        }
        // The AVX-512 kernels are checked too where the CPU has them (rows up to 128 wide; wider
        // ones fall back to the AVX2 kernels).
        let avx512 = std::is_x86_feature_detected!("avx512f");
        // The half-precision kernels need F16C besides.
        let f16c = std::is_x86_feature_detected!("f16c");
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
            if !f16c {
                continue;
            }
            let lp = l.div_ceil(8) * 8;
            let mut bh = vec![0u16; 90 * lp];
            for (dst, src) in bh.chunks_mut(lp).zip(bs.chunks(l)) {
                // SAFETY: the CPU has F16C (`f16c`).
                unsafe { to_half(src, dst) };
            }
            let (mut fast, mut looped) = (vec![start; rows * l], vec![0f32; rows * l]);
            // SAFETY: the CPU has AVX2, FMA and F16C (`f16c`).
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
}
