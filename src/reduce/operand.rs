//! The range finder's vocabulary-side operand between two products, in f32 or rounded to IEEE
//! half precision where the CPU converts in hardware: [`Operand`], and the check that decides
//! whether a matrix's products stay inside half precision's range ([`HALF_SAFE_NORM`]).
//!
//! In go the test matrix's size and seed, or the sparse matrix's transpose and the current
//! orthonormal block `Y` (for `Xᵀ Y`); out come operands, and their products `X · Q` in f32.

use ndarray::Array2;
#[cfg(target_arch = "x86_64")]
use rayon::prelude::*;

use super::signs;
#[cfg(target_arch = "x86_64")]
use super::{fill_signs, random_rows};
use crate::kernels::spmm;
#[cfg(target_arch = "x86_64")]
use crate::kernels::{SPMM_ROWS, fill_row_blocks, spmm_half_fast, to_half, zeroed, zeros_huge};
use crate::sparse::Csr;

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
pub(super) enum Operand {
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
    pub(super) fn signs(rows: usize, cols: usize, seed: u64) -> Operand {
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
                    // SAFETY: the CPU has AVX2 and F16C (`halves`).
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
    pub(super) fn into_product(
        self,
        xt: &Csr,
        y: &Array2<f32>,
        halves: bool,
        yh: &mut Vec<u16>,
    ) -> Operand {
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
                    // SAFETY: the CPU has AVX2 and F16C (`halves`).
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
    pub(super) fn left_product(&self, x: &Csr) -> Array2<f32> {
        let mut out = Array2::zeros((0, 0));
        self.left_product_into(x, &mut out);
        out
    }

    /// [`Operand::left_product`] into `out`, written over when it has the product's shape
    /// (any contents), replaced otherwise.
    pub(super) fn left_product_into(&self, x: &Csr, out: &mut Array2<f32>) {
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
pub(super) const HALF_SAFE_NORM: f32 = 16_384.0;

/// The largest Euclidean norm of a row of `x`.
pub(super) fn max_row_norm(x: &Csr) -> f32 {
    (0..x.rows())
        .into_par_iter()
        .map(|r| x.row(r).1.iter().map(|v| v * v).sum::<f32>().sqrt())
        .reduce(|| 0.0, f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{gaussian, planted};

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
}
