//! Rows in lanes, for k-means: the data transposed in blocks of [`LANES`] rows, and the kernel
//! that gives every row of a block its squared distance to each of a set of centroids.
//!
//! Why: a row's distance to one centroid as a dot product is a chain of dependent additions
//! (about 40 cycles for 100 dimensions, however wide the vectors), so a step that needs many
//! distances waits on latency, not on arithmetic. Here sixteen rows share the lanes of one
//! vector and each centroid of a tile has its own accumulator, so the multiply-adds of one
//! dimension are all independent and run at the processor's full rate: k·d/16 fused
//! multiply-adds per block of 16 rows. A full assignment of 20 Newsgroups (18,769 × 100,
//! k = 20) this way takes 1.05 ms on one core, where Elkan's pruned step with latency-bound dot
//! products took 2.6 ms (BENCHMARKS.md, "The fifth sitting of 2026-12-02").
//!
//! Every distance has one definition whatever the instruction set and the tiling: the dot
//! product `x·c` is one fused multiply-add per dimension, in dimension order, from zero, and the
//! squared distance is `max(fma(−2, x·c, ‖x‖² + ‖c‖²), 0)`. The portable code and the AVX2 and
//! AVX-512 kernels give the same bits, and a row's nearest centroid (lowest index on ties) does
//! not depend on how the rows are split among threads.

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::kernels::ROW_CHUNK;

/// Rows per block: the lanes of one AVX-512 vector of f32.
pub(crate) const LANES: usize = 16;

/// Blocks per parallel task: [`ROW_CHUNK`] rows, so sums over tasks are taken over the same
/// fixed chunks as the rest of the clustering.
const TASK_BLOCKS: usize = ROW_CHUNK / LANES;
const _: () = assert!(ROW_CHUNK.is_multiple_of(LANES), "tasks hold whole blocks");

/// The rows of an n × d matrix transposed in blocks of [`LANES`] rows, with their squared norms.
pub(crate) struct RowBlocks {
    n: usize,
    d: usize,
    /// Block `b`, dimension `p`, lane `l` at `(b * d + p) * LANES + l`; lanes past the last row
    /// hold zeros.
    data: Vec<f32>,
    /// ‖x‖² of each row, padded with zeros to whole blocks.
    norms: Vec<f32>,
}

impl RowBlocks {
    /// Transposes `x` (any layout) into blocks and computes its rows' squared norms, each as
    /// the kernels compute a dot product (one fused multiply-add per dimension, in order), so a
    /// row's distance to itself as a centroid is exactly 0.
    pub(crate) fn new(x: ArrayView2<'_, f32>) -> Self {
        Self::with_isa(x, Isa::detect())
    }

    fn with_isa(x: ArrayView2<'_, f32>, isa: Isa) -> Self {
        let (n, d) = x.dim();
        let nb = n.div_ceil(LANES);
        let mut data = vec![0f32; nb * d * LANES];
        let mut norms = vec![0f32; nb * LANES];
        if d > 0 {
            data.par_chunks_mut(d * LANES)
                .zip(norms.par_chunks_mut(LANES))
                .enumerate()
                .for_each(|(b, (blk, nb))| {
                    for l in 0..LANES.min(n - b * LANES) {
                        for (p, &v) in x.row(b * LANES + l).iter().enumerate() {
                            blk[p * LANES + l] = v;
                        }
                    }
                    block_norms(isa, blk, nb);
                });
        }
        RowBlocks { n, d, data, norms }
    }

    fn block(&self, b: usize) -> (&[f32], &[f32]) {
        let w = self.d * LANES;
        (
            &self.data[b * w..(b + 1) * w],
            &self.norms[b * LANES..(b + 1) * LANES],
        )
    }
}

/// The instruction set the kernels run with, chosen from the CPU's features ([`Isa::detect`];
/// the tests also pick each one the CPU has): a value names only features the CPU has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Isa {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Isa {
    fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") {
                return Isa::Avx512;
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return Isa::Avx2;
            }
        }
        Isa::Portable
    }

    /// Most accumulators a tile may keep in registers (a multiple of 4).
    fn max_tile(self) -> usize {
        match self {
            Isa::Portable => 24,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => 12,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => 24,
        }
    }
}

/// Centroids laid out for the kernels: dimension-major (`p * kp + j`), padded with zero columns
/// to a multiple of 4; a padding column's squared norm is +∞, so it is never nearest.
pub(crate) struct Centroids {
    k: usize,
    kp: usize,
    d: usize,
    /// `(first centroid, count)` of each tile, counts multiples of 4 as even as they can be.
    tiles: Vec<(usize, usize)>,
    ct: Vec<f32>,
    cn: Vec<f32>,
    isa: Isa,
}

impl Centroids {
    /// Prepares the rows of `c` (k × d, any layout) for [`nearest`] and [`distances`].
    pub(crate) fn new(c: ArrayView2<'_, f32>) -> Self {
        Self::with_isa(c, Isa::detect())
    }

    fn with_isa(c: ArrayView2<'_, f32>, isa: Isa) -> Self {
        let (k, d) = c.dim();
        // As few tiles as the registers allow, their sizes (in groups of 4) as even as can be:
        // k = 20 is one tile of 20 with AVX-512, and 12 + 8 with AVX2.
        let quads = k.div_ceil(4).max(1);
        let kp = quads * 4;
        let n_tiles = kp.div_ceil(isa.max_tile());
        let mut tiles = Vec::with_capacity(n_tiles);
        let mut j0 = 0;
        for t in 0..n_tiles {
            let size = 4 * (quads / n_tiles + usize::from(t < quads % n_tiles));
            tiles.push((j0, size));
            j0 += size;
        }
        debug_assert_eq!(j0, kp);
        let mut ct = vec![0f32; d * kp];
        let mut cn = vec![f32::INFINITY; kp];
        for (j, row) in c.rows().into_iter().enumerate() {
            let mut sq = 0f32;
            for (p, &v) in row.iter().enumerate() {
                ct[p * kp + j] = v;
                sq = v.mul_add(v, sq);
            }
            cn[j] = sq;
        }
        Centroids {
            k,
            kp,
            d,
            tiles,
            ct,
            cn,
            isa,
        }
    }
}

/// Squared distance from the block's running result: `max(fma(−2, dot, n + c), 0)`.
#[inline(always)]
fn sq_dist(dot: f32, norm: f32, cnorm: f32) -> f32 {
    let v = (-2f32).mul_add(dot, norm + cnorm);
    if v > 0.0 { v } else { 0.0 }
}

/// The nearest centroid (lowest index on ties) of every row and its squared distance, into
/// `labels` and `dists` (one per row); returns the sum of the squared distances, taken in f64
/// over fixed chunks of [`ROW_CHUNK`] rows added in order.
pub(crate) fn nearest(
    x: &RowBlocks,
    c: &Centroids,
    labels: &mut [usize],
    dists: &mut [f32],
) -> f64 {
    assert_eq!(x.d, c.d, "rows and centroids have the same dimensions");
    assert!(
        labels.len() == x.n && dists.len() == x.n,
        "one result per row"
    );
    assert!(c.k > 0, "at least one centroid");
    let parts: Vec<f64> = labels
        .par_chunks_mut(ROW_CHUNK)
        .zip(dists.par_chunks_mut(ROW_CHUNK))
        .enumerate()
        .map(|(ci, (lab, dist))| {
            let mut total = 0f64;
            let mut best = [0f32; LANES];
            let mut idx = [0u32; LANES];
            for (o, (lab, dist)) in lab
                .chunks_mut(LANES)
                .zip(dist.chunks_mut(LANES))
                .enumerate()
            {
                let (xb, nb) = x.block(ci * TASK_BLOCKS + o);
                block_nearest(xb, nb, c, &mut best, &mut idx);
                for t in 0..lab.len() {
                    lab[t] = idx[t] as usize;
                    dist[t] = best[t];
                    total += best[t] as f64;
                }
            }
            total
        })
        .collect();
    parts.iter().sum()
}

/// The squared distances of every row to every centroid, row-major (`n × k`).
pub(crate) fn distances(x: &RowBlocks, c: &Centroids) -> Vec<f32> {
    assert_eq!(x.d, c.d, "rows and centroids have the same dimensions");
    let k = c.k;
    let mut out = vec![0f32; x.n * k];
    if k == 0 {
        return out;
    }
    out.par_chunks_mut(LANES * k).enumerate().for_each_init(
        || vec![0f32; c.kp * LANES],
        |all, (b, rows)| {
            let (xb, nb) = x.block(b);
            block_distances(xb, nb, c, all);
            for (l, row) in rows.chunks_mut(k).enumerate() {
                for (j, v) in row.iter_mut().enumerate() {
                    *v = all[j * LANES + l];
                }
            }
        },
    );
    out
}

/// One block's nearest centroids: `best[l]`, `idx[l]` for lane `l`.
fn block_nearest(
    xb: &[f32],
    nb: &[f32],
    c: &Centroids,
    best: &mut [f32; LANES],
    idx: &mut [u32; LANES],
) {
    match c.isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: an `Isa::Avx512` exists only where the CPU has AVX-512F.
        Isa::Avx512 => unsafe { x86::nearest512(xb, nb, c, best, idx) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: an `Isa::Avx2` exists only where the CPU has AVX2 and FMA.
        Isa::Avx2 => unsafe { x86::nearest256(xb, nb, c, best, idx) },
        Isa::Portable => {
            let mut all = vec![0f32; c.kp * LANES];
            portable_distances(xb, nb, c, &mut all);
            for l in 0..LANES {
                let (mut b, mut bd) = (0u32, f32::INFINITY);
                for j in 0..c.k {
                    let v = all[j * LANES + l];
                    if v < bd {
                        bd = v;
                        b = j as u32;
                    }
                }
                best[l] = bd;
                idx[l] = b;
            }
        }
    }
}

/// One block's squared distances to every centroid: `all[j * LANES + l]` for centroid `j` and
/// lane `l` (`all` holds `kp * LANES`).
fn block_distances(xb: &[f32], nb: &[f32], c: &Centroids, all: &mut [f32]) {
    match c.isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: an `Isa::Avx512` exists only where the CPU has AVX-512F.
        Isa::Avx512 => unsafe { x86::distances512(xb, nb, c, all) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: an `Isa::Avx2` exists only where the CPU has AVX2 and FMA.
        Isa::Avx2 => unsafe { x86::distances256(xb, nb, c, all) },
        Isa::Portable => portable_distances(xb, nb, c, all),
    }
}

/// Squared norms of a block's 16 lanes: one fused multiply-add per dimension, in order.
fn block_norms(isa: Isa, blk: &[f32], out: &mut [f32]) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: an `Isa::Avx512` exists only where the CPU has AVX-512F.
        Isa::Avx512 => unsafe { x86::norms512(blk, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: an `Isa::Avx2` exists only where the CPU has AVX2 and FMA.
        Isa::Avx2 => unsafe { x86::norms256(blk, out) },
        Isa::Portable => {
            for (l, o) in out.iter_mut().enumerate() {
                *o = blk
                    .iter()
                    .skip(l)
                    .step_by(LANES)
                    .fold(0f32, |s, &v| v.mul_add(v, s));
            }
        }
    }
}

/// The definition the kernels follow, one lane and centroid at a time.
fn portable_distances(xb: &[f32], nb: &[f32], c: &Centroids, all: &mut [f32]) {
    for j in 0..c.k {
        for l in 0..LANES {
            let mut dot = 0f32;
            for p in 0..c.d {
                dot = xb[p * LANES + l].mul_add(c.ct[p * c.kp + j], dot);
            }
            all[j * LANES + l] = sq_dist(dot, nb[l], c.cn[j]);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Centroids, LANES};
    use std::arch::x86_64::*;

    /// Calls `$f::<N>` for the tile size `$n` (a multiple of 4 up to 24).
    macro_rules! by_tile {
        ($n:expr, $f:ident ( $($a:expr),* )) => {
            match $n {
                4 => $f::<4>($($a),*),
                8 => $f::<8>($($a),*),
                12 => $f::<12>($($a),*),
                16 => $f::<16>($($a),*),
                20 => $f::<20>($($a),*),
                24 => $f::<24>($($a),*),
                n => unreachable!("tile of {n} centroids"),
            }
        };
    }

    /// The dot products of the 16 rows of a block with centroids `j0..j0 + N`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn dots512<const N: usize>(xb: &[f32], c: &Centroids, j0: usize) -> [__m512; N] {
        let (d, kp) = (c.d, c.kp);
        assert!(xb.len() >= d * LANES && c.ct.len() >= d * kp && j0 + N <= kp);
        let mut acc = [_mm512_setzero_ps(); N];
        for p in 0..d {
            // SAFETY: p < d, so the 16 floats of dimension p lie in `xb`, and p·kp + j0 + N ≤
            // d·kp (asserted above) bounds the centroid values read.
            unsafe {
                let xv = _mm512_loadu_ps(xb.as_ptr().add(p * LANES));
                let cp = c.ct.as_ptr().add(p * kp + j0);
                for (t, a) in acc.iter_mut().enumerate() {
                    *a = _mm512_fmadd_ps(xv, _mm512_set1_ps(*cp.add(t)), *a);
                }
            }
        }
        acc
    }

    /// [`dots512`] turned into squared distances (see `sq_dist`).
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn dist512(dot: __m512, norms: __m512, cnorm: f32) -> __m512 {
        let v = _mm512_fnmadd_ps(
            _mm512_set1_ps(2.0),
            dot,
            _mm512_add_ps(norms, _mm512_set1_ps(cnorm)),
        );
        // Lanes where v > 0 keep v, the rest (and −0) become +0, as `sq_dist` does.
        let pos = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, _mm512_setzero_ps());
        _mm512_maskz_mov_ps(pos, v)
    }

    #[target_feature(enable = "avx512f")]
    fn tile_nearest512<const N: usize>(
        xb: &[f32],
        norms: __m512,
        c: &Centroids,
        j0: usize,
        best: &mut __m512,
        idx: &mut __m512i,
    ) {
        let acc = dots512::<N>(xb, c, j0);
        for (t, &a) in acc.iter().enumerate() {
            let dv = dist512(a, norms, c.cn[j0 + t]);
            let lt = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(dv, *best);
            *best = _mm512_mask_mov_ps(*best, lt, dv);
            *idx = _mm512_mask_mov_epi32(*idx, lt, _mm512_set1_epi32((j0 + t) as i32));
        }
    }

    #[target_feature(enable = "avx512f")]
    pub(super) fn nearest512(
        xb: &[f32],
        nb: &[f32],
        c: &Centroids,
        best: &mut [f32; LANES],
        idx: &mut [u32; LANES],
    ) {
        assert!(nb.len() >= LANES);
        // SAFETY: `nb` holds at least 16 floats (asserted).
        let norms = unsafe { _mm512_loadu_ps(nb.as_ptr()) };
        let mut bv = _mm512_set1_ps(f32::INFINITY);
        let mut iv = _mm512_setzero_si512();
        for &(j0, size) in &c.tiles {
            by_tile!(size, tile_nearest512(xb, norms, c, j0, &mut bv, &mut iv));
        }
        // SAFETY: `best` and `idx` hold 16 values each.
        unsafe {
            _mm512_storeu_ps(best.as_mut_ptr(), bv);
            _mm512_storeu_si512(idx.as_mut_ptr().cast(), iv);
        }
    }

    #[target_feature(enable = "avx512f")]
    fn tile_distances512<const N: usize>(
        xb: &[f32],
        norms: __m512,
        c: &Centroids,
        j0: usize,
        all: &mut [f32],
    ) {
        let acc = dots512::<N>(xb, c, j0);
        assert!(all.len() >= (j0 + N) * LANES);
        for (t, &a) in acc.iter().enumerate() {
            // SAFETY: (j0 + t + 1)·16 ≤ all.len() (asserted).
            unsafe {
                _mm512_storeu_ps(
                    all.as_mut_ptr().add((j0 + t) * LANES),
                    dist512(a, norms, c.cn[j0 + t]),
                )
            };
        }
    }

    #[target_feature(enable = "avx512f")]
    pub(super) fn distances512(xb: &[f32], nb: &[f32], c: &Centroids, all: &mut [f32]) {
        assert!(nb.len() >= LANES);
        // SAFETY: `nb` holds at least 16 floats (asserted).
        let norms = unsafe { _mm512_loadu_ps(nb.as_ptr()) };
        for &(j0, size) in &c.tiles {
            by_tile!(size, tile_distances512(xb, norms, c, j0, all));
        }
    }

    #[target_feature(enable = "avx512f")]
    pub(super) fn norms512(blk: &[f32], out: &mut [f32]) {
        assert!(blk.len().is_multiple_of(LANES) && out.len() >= LANES);
        let mut acc = _mm512_setzero_ps();
        for v in blk.chunks_exact(LANES) {
            // SAFETY: `v` holds 16 floats.
            let v = unsafe { _mm512_loadu_ps(v.as_ptr()) };
            acc = _mm512_fmadd_ps(v, v, acc);
        }
        // SAFETY: `out` holds at least 16 floats (asserted).
        unsafe { _mm512_storeu_ps(out.as_mut_ptr(), acc) };
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn norms256(blk: &[f32], out: &mut [f32]) {
        assert!(blk.len().is_multiple_of(LANES) && out.len() >= LANES);
        let (mut lo, mut hi) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        for v in blk.chunks_exact(LANES) {
            // SAFETY: `v` holds 16 floats.
            let (a, b) = unsafe {
                (
                    _mm256_loadu_ps(v.as_ptr()),
                    _mm256_loadu_ps(v.as_ptr().add(8)),
                )
            };
            lo = _mm256_fmadd_ps(a, a, lo);
            hi = _mm256_fmadd_ps(b, b, hi);
        }
        // SAFETY: `out` holds at least 16 floats (asserted).
        unsafe {
            _mm256_storeu_ps(out.as_mut_ptr(), lo);
            _mm256_storeu_ps(out.as_mut_ptr().add(8), hi);
        }
    }

    /// The dot products of lanes `h * 8..h * 8 + 8` of a block with centroids `j0..j0 + N`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn dots256<const N: usize>(xb: &[f32], c: &Centroids, j0: usize, h: usize) -> [__m256; N] {
        let (d, kp) = (c.d, c.kp);
        assert!(xb.len() >= d * LANES && c.ct.len() >= d * kp && j0 + N <= kp && h < 2);
        let mut acc = [_mm256_setzero_ps(); N];
        for p in 0..d {
            // SAFETY: as in `dots512`; lanes h·8..h·8 + 8 lie within the 16 of dimension p.
            unsafe {
                let xv = _mm256_loadu_ps(xb.as_ptr().add(p * LANES + h * 8));
                let cp = c.ct.as_ptr().add(p * kp + j0);
                for (t, a) in acc.iter_mut().enumerate() {
                    *a = _mm256_fmadd_ps(xv, _mm256_set1_ps(*cp.add(t)), *a);
                }
            }
        }
        acc
    }

    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn dist256(dot: __m256, norms: __m256, cnorm: f32) -> __m256 {
        let v = _mm256_fnmadd_ps(
            _mm256_set1_ps(2.0),
            dot,
            _mm256_add_ps(norms, _mm256_set1_ps(cnorm)),
        );
        let pos = _mm256_cmp_ps::<_CMP_GT_OQ>(v, _mm256_setzero_ps());
        _mm256_and_ps(v, pos)
    }

    #[target_feature(enable = "avx2,fma")]
    fn tile_nearest256<const N: usize>(
        xb: &[f32],
        norms: __m256,
        c: &Centroids,
        j0: usize,
        h: usize,
        best: &mut __m256,
        idx: &mut __m256,
    ) {
        let acc = dots256::<N>(xb, c, j0, h);
        for (t, &a) in acc.iter().enumerate() {
            let dv = dist256(a, norms, c.cn[j0 + t]);
            let lt = _mm256_cmp_ps::<_CMP_LT_OQ>(dv, *best);
            *best = _mm256_blendv_ps(*best, dv, lt);
            let j = _mm256_castsi256_ps(_mm256_set1_epi32((j0 + t) as i32));
            *idx = _mm256_blendv_ps(*idx, j, lt);
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn nearest256(
        xb: &[f32],
        nb: &[f32],
        c: &Centroids,
        best: &mut [f32; LANES],
        idx: &mut [u32; LANES],
    ) {
        assert!(nb.len() >= LANES);
        for h in 0..2 {
            // SAFETY: `nb` holds at least 16 floats (asserted), h < 2.
            let norms = unsafe { _mm256_loadu_ps(nb.as_ptr().add(h * 8)) };
            let mut bv = _mm256_set1_ps(f32::INFINITY);
            let mut iv = _mm256_setzero_ps();
            for &(j0, size) in &c.tiles {
                by_tile!(size, tile_nearest256(xb, norms, c, j0, h, &mut bv, &mut iv));
            }
            // SAFETY: `best` and `idx` hold 16 values each; h·8 + 8 ≤ 16.
            unsafe {
                _mm256_storeu_ps(best.as_mut_ptr().add(h * 8), bv);
                _mm256_storeu_ps(idx.as_mut_ptr().add(h * 8).cast(), iv);
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    fn tile_distances256<const N: usize>(
        xb: &[f32],
        norms: __m256,
        c: &Centroids,
        j0: usize,
        h: usize,
        all: &mut [f32],
    ) {
        let acc = dots256::<N>(xb, c, j0, h);
        assert!(all.len() >= (j0 + N) * LANES);
        for (t, &a) in acc.iter().enumerate() {
            // SAFETY: (j0 + t)·16 + h·8 + 8 ≤ all.len() (asserted, h < 2).
            unsafe {
                _mm256_storeu_ps(
                    all.as_mut_ptr().add((j0 + t) * LANES + h * 8),
                    dist256(a, norms, c.cn[j0 + t]),
                )
            };
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn distances256(xb: &[f32], nb: &[f32], c: &Centroids, all: &mut [f32]) {
        assert!(nb.len() >= LANES);
        for h in 0..2 {
            // SAFETY: `nb` holds at least 16 floats (asserted), h < 2.
            let norms = unsafe { _mm256_loadu_ps(nb.as_ptr().add(h * 8)) };
            for &(j0, size) in &c.tiles {
                by_tile!(size, tile_distances256(xb, norms, c, j0, h, all));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// The instruction sets this CPU can run, the portable code first.
    fn isas() -> Vec<Isa> {
        let mut v = vec![Isa::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                v.push(Isa::Avx2);
            }
            if std::is_x86_feature_detected!("avx512f") {
                v.push(Isa::Avx512);
            }
        }
        v
    }

    /// The definition, written out one row and centroid at a time.
    fn reference(x: &Array2<f32>, c: &Array2<f32>) -> Vec<Vec<f32>> {
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).fold(0f32, |s, (&p, &q)| p.mul_add(q, s));
        x.rows()
            .into_iter()
            .map(|xi| {
                let xi = xi.to_vec();
                c.rows()
                    .into_iter()
                    .map(|cj| {
                        let cj = cj.to_vec();
                        let v = (-2f32).mul_add(dot(&xi, &cj), dot(&xi, &xi) + dot(&cj, &cj));
                        if v > 0.0 { v } else { 0.0 }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn every_kernel_gives_the_bits_of_the_definition() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        // Dimensions around the vector widths; k around the tile sizes (4 to 24 a tile, AVX2
        // 12) and padding; rows around the block of 16.
        for &d in &[0usize, 1, 3, 16, 37, 100] {
            for &k in &[1usize, 3, 4, 5, 12, 13, 20, 24, 25, 33, 50] {
                for &n in &[1usize, 15, 16, 17, 40] {
                    let x = Array2::from_shape_fn((n, d), |_| rng.gen_range(-1.0f32..1.0));
                    // Centroids: some rows of x (distance exactly 0), the rest random; one
                    // duplicate so ties happen.
                    let mut c = Array2::from_shape_fn((k, d), |_| rng.gen_range(-1.0f32..1.0));
                    c.row_mut(0).assign(&x.row(n - 1));
                    if k > 2 {
                        let dup = c.row(1).to_owned();
                        c.row_mut(k - 1).assign(&dup);
                    }
                    let want = reference(&x, &c);
                    for &isa in &isas() {
                        let (xb, cc) = (
                            RowBlocks::with_isa(x.view(), isa),
                            Centroids::with_isa(c.view(), isa),
                        );
                        let all = distances(&xb, &cc);
                        let mut labels = vec![usize::MAX; n];
                        let mut dists = vec![f32::NAN; n];
                        let total = nearest(&xb, &cc, &mut labels, &mut dists);
                        let mut sum = 0f64;
                        for i in 0..n {
                            for j in 0..k {
                                assert_eq!(
                                    all[i * k + j].to_bits(),
                                    want[i][j].to_bits(),
                                    "{isa:?} d {d} k {k} n {n} row {i} centroid {j}"
                                );
                            }
                            // Lowest distance, lowest index among equals.
                            let best =
                                (0..k).fold(0, |b, j| if want[i][j] < want[i][b] { j } else { b });
                            assert_eq!(labels[i], best, "{isa:?} d {d} k {k} n {n} row {i}");
                            assert_eq!(dists[i].to_bits(), want[i][best].to_bits());
                            sum += dists[i] as f64;
                        }
                        assert_eq!(total, sum, "{isa:?} d {d} k {k} n {n}");
                        assert_eq!(all[(n - 1) * k], 0.0, "a row is at distance 0 from itself");
                    }
                }
            }
        }
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        // Several chunks of rows, the last one short.
        let n = 3 * ROW_CHUNK + 100;
        let x = Array2::from_shape_fn((n, 24), |_| rng.gen_range(-1.0f32..1.0));
        let c = Array2::from_shape_fn((7, 24), |_| rng.gen_range(-1.0f32..1.0));
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let xb = RowBlocks::new(x.view());
                let mut labels = vec![0usize; n];
                let mut dists = vec![0f32; n];
                let total = nearest(&xb, &Centroids::new(c.view()), &mut labels, &mut dists);
                (
                    labels,
                    dists.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    total.to_bits(),
                )
            })
        };
        assert_eq!(run(1), run(3));
    }
}
