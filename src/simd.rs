//! Small helpers of the hand-written AVX2 and AVX-512 kernels ([`crate::reduce`]'s products,
//! and the masks also [`crate::cluster::kmeans`]'s dot products).

/// A mask of the first `rest` (< 8) lanes, for loads and stores that must not pass a row's end.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(crate) fn tail_mask(rest: usize) -> std::arch::x86_64::__m256i {
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
pub(crate) fn tail_mask16(rest: usize) -> u16 {
    debug_assert!(rest < 16);
    ((1u32 << rest) - 1) as u16
}

/// Hints the CPU to load `b[start..start + len]` into cache, one hint per 64-byte line (no-op
/// off x86-64).
#[inline(always)]
pub(crate) fn prefetch<T>(b: &[T], start: usize, len: usize) {
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
