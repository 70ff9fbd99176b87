//! Dense arrays: fresh zeroed buffers whose pages may be huge pages, rows scaled to unit norm,
//! and `a · b` for a tall `a` over fixed chunks of rows (one single-threaded faer product per
//! chunk), into a fresh array or over `a`'s own memory.
//!
//! In go ndarray matrices (or a length, for the buffers); out come new or rewritten matrices. The
//! chunks are fixed ([`ROW_CHUNK`] rows), so every result is the same for any number of threads.

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

use super::clear_upper;

/// Rows per chunk in the chunked dense products; fixed so sums never depend on the thread count.
pub(crate) const ROW_CHUNK: usize = 2048;

/// A zeroed `rows × cols` array whose pages the kernel may back with transparent huge pages
/// (see [`zeroed`]). The range finder's products gather one row of such a matrix per non-zero,
/// all over tens of megabytes: with 4 KiB pages most gathers miss the TLB.
pub(crate) fn zeros_huge(rows: usize, cols: usize) -> Array2<f32> {
    Array2::from_shape_vec((rows, cols), zeroed(rows * cols)).expect("rows × cols values")
}

/// `n` zeros (`T::default()`), written in parallel chunks.
///
/// A zeroed allocation (`vec![0; n]`, `Array2::zeros`) is zeroed by one thread: the allocator
/// clears reused memory with one `memset` before any worker starts, 230 MB of it in one LSA of
/// 20 Newsgroups, all of it then overwritten. Here each chunk is zeroed by a worker, and on
/// Linux the allocation is first advised `MADV_HUGEPAGE`, so pages faulted in by those writes
/// may be huge pages.
pub(crate) fn zeroed<T: Copy + Default + Send + Sync>(n: usize) -> Vec<T> {
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
            clear_upper();
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
pub(crate) fn matmul_rows_in_place(a: Array2<f32>, b: ArrayView2<'_, f32>) -> Array2<f32> {
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
            clear_upper();
        });
        v[w0 * ROW_CHUNK * k..(w0 * ROW_CHUNK * k + scratch.iter().map(Vec::len).sum::<usize>())]
            .par_chunks_mut(ROW_CHUNK * k)
            .zip(scratch.par_iter())
            .for_each(|(dst, out)| dst.copy_from_slice(out));
    }
    v.truncate(n * k);
    Array2::from_shape_vec((n, k), v).expect("n × k values")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::gaussian;

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
}
