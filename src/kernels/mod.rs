//! The hand-written compute kernels under the stages: sparse × dense products in f32 and in
//! half precision ([`spmm`](mod@spmm), [`half`]), row-chunked dense products and row
//! normalisation ([`dense`]), and the small SIMD helpers they share (lane masks, prefetch hints,
//! clearing the upper halves of the vector registers).
//!
//! In go plain numbers: a [`Csr`](crate::sparse::Csr) matrix, dense `ndarray` matrices, rows of
//! f32 or of IEEE half-precision bits (`u16`); out come dense products (or rows written in
//! place). Nothing here knows about a stage: the stages ([`crate::reduce`], [`crate::cluster`])
//! call in, never the reverse. The one crate type used is [`Csr`](crate::sparse::Csr), a data
//! type rather than a stage: the sparse kernels take the matrix itself, not its three slices,
//! because its invariants are checked once where it is built and every index taken from it goes
//! through a bounds-checked slice anyway.
//!
//! Every sum runs in a fixed order over fixed chunks of rows ([`ROW_CHUNK`], [`SPMM_ROWS`]), so
//! no result depends on the number of rayon threads, and each vector kernel gives the same bits
//! as the loop it replaces (the tests beside them check it). The `unsafe fn`s are unsafe only
//! because they are compiled for CPU features (AVX2, FMA, F16C, AVX-512F) their callers must
//! detect at run time: every length they rely on is asserted or bounds-checked (a mismatch
//! panics), and no load or store needs alignment.

mod dense;
#[cfg(target_arch = "x86_64")]
mod half;
mod spmm;

pub(crate) use dense::{
    ROW_CHUNK, matmul_rows, matmul_rows_in_place, normalize_rows, zeroed, zeros_huge,
};
#[cfg(target_arch = "x86_64")]
pub(crate) use half::{spmm_half_fast, to_half};
pub(crate) use spmm::{SPMM_ROWS, fill_row_blocks, spmm};

/// A mask of the first `rest` (< 8) lanes, for loads and stores that must not pass a row's end
/// (a safe function compiled for AVX2: code not compiled for it calls it in `unsafe`, having
/// checked that the CPU has it).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn tail_mask(rest: usize) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    const LANE: [i32; 8] = [0, 1, 2, 3, 4, 5, 6, 7];
    // SAFETY: LANE holds the 8 i32 that one unaligned 256-bit load reads.
    unsafe {
        _mm256_cmpgt_epi32(
            _mm256_set1_epi32(rest as i32),
            _mm256_loadu_si256(LANE.as_ptr().cast()),
        )
    }
}

/// A mask of the first `rest` (< 16) lanes of a sixteen-float (AVX-512) vector.
#[cfg(target_arch = "x86_64")]
fn tail_mask16(rest: usize) -> u16 {
    debug_assert!(rest < 16);
    ((1u32 << rest) - 1) as u16
}

/// Zeroes the upper halves of the vector registers (`vzeroupper`) where the CPU has AVX; a no-op
/// elsewhere.
///
/// Call it right after a faer product, on the thread that ran it. faer's AVX-512 and AVX2
/// micro-kernels are assembly that returns without `vzeroupper` (unlike functions compiled for
/// those features, where the compiler adds it), and until something clears them, every
/// SSE-encoded instruction on that thread (all code compiled for baseline x86-64: scalar
/// floating point, libm) pays for the dirty upper halves. On the Intel VM of BENCHMARKS.md,
/// 55,000 natural logarithms took 15–18 ms after a faer product instead of 1.5–2 ms.
#[inline]
pub(crate) fn clear_upper() {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx") {
        #[target_feature(enable = "avx")]
        fn vzeroupper() {
            std::arch::x86_64::_mm256_zeroupper();
        }
        // SAFETY: the CPU has AVX (checked above).
        unsafe { vzeroupper() }
    }
}

/// Hints the CPU to load `b[start..start + len]` into cache, one hint per 64-byte line (no-op
/// off x86-64).
#[inline(always)]
fn prefetch<T>(b: &[T], start: usize, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let row = &b[start..start + len];
        let step = (64 / std::mem::size_of::<T>().max(1)).max(1);
        for line in (0..len).step_by(step) {
            // SAFETY: prefetching is a hint and never faults; the address lies inside `b`.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(row.as_ptr().add(line).cast()) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (b, start, len);
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    /// Whether the upper halves of the vector registers are in use (XINUSE bit 2, read by
    /// `xgetbv` with ECX = 1); `None` where the CPU cannot say.
    fn upper_halves_in_use() -> Option<bool> {
        use std::arch::x86_64::{__cpuid_count, _xgetbv};
        if !std::is_x86_feature_detected!("avx") || !std::is_x86_feature_detected!("xsave") {
            return None;
        }
        // CPUID leaf 0xD, sub-leaf 1, EAX bit 2: XGETBV with ECX = 1 is supported.
        if __cpuid_count(0xD, 1).eax & (1 << 2) == 0 {
            return None;
        }
        #[target_feature(enable = "xsave")]
        fn xinuse() -> u64 {
            // SAFETY: the CPU has XSAVE and XGETBV with ECX = 1 (checked by the caller).
            unsafe { _xgetbv(1) }
        }
        // SAFETY: the CPU has XSAVE (checked above).
        Some(unsafe { xinuse() } & (1 << 2) != 0)
    }

    #[test]
    fn faer_products_leave_the_upper_halves_clean() {
        // Big enough for faer's vector micro-kernels, on a one-thread pool so the product runs
        // on the thread that then looks.
        let a = ndarray::Array2::from_shape_fn((300, 64), |(i, j)| ((i * 7 + j) % 13) as f32);
        let b = ndarray::Array2::from_shape_fn((64, 48), |(i, j)| ((i + 3 * j) % 5) as f32);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let in_use = pool.install(|| {
            let _product = super::matmul_rows(a.view(), b.view());
            upper_halves_in_use()
        });
        match in_use {
            None => eprintln!("this CPU cannot report its register state; nothing checked"),
            Some(d) => assert!(!d, "a faer product left the upper halves in use"),
        }
    }

    #[test]
    fn tail_mask16_turns_on_exactly_the_first_lanes() {
        for rest in 0..16 {
            let m = super::tail_mask16(rest);
            for lane in 0..16 {
                assert_eq!(m >> lane & 1 == 1, lane < rest, "rest {rest} lane {lane}");
            }
        }
    }

    #[test]
    fn tail_mask_turns_on_exactly_the_first_lanes() {
        if !std::is_x86_feature_detected!("avx2") {
            return;
        }
        for rest in 0..8 {
            // SAFETY: the CPU has AVX2 (checked above).
            let m: [i32; 8] = unsafe { std::mem::transmute(super::tail_mask(rest)) };
            for (lane, &v) in m.iter().enumerate() {
                assert_eq!(
                    v,
                    if lane < rest { -1 } else { 0 },
                    "rest {rest} lane {lane}"
                );
            }
        }
    }
}
