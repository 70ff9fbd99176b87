//! Compressed sparse row matrices: the currency between the vectorizer and every later stage.
//!
//! themata keeps its own small CSR type rather than `sprs::CsMat` because it needs exactly three
//! things sprs does not make cheap: f32 values built row-block by row-block in parallel and
//! concatenated without re-validation, row-parallel products with dense blocks (the randomized
//! SVD's hot loop), and a Matrix Market writer that matches scipy's. Everything else (transpose,
//! dense products) is a few lines on top.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

/// A sparse matrix in compressed sparse row form with `f32` values.
///
/// Invariants (checked by [`Csr::new`]): `indptr.len() == rows + 1`, `indptr` is non-decreasing,
/// `indptr[rows] == indices.len() == data.len()`, every column index is `< cols`, and within a
/// row column indices are strictly increasing.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    rows: usize,
    cols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    data: Vec<f32>,
}

impl Csr {
    /// Builds a matrix from raw CSR arrays, checking every invariant.
    ///
    /// # Panics
    /// Panics if the arrays break an invariant: that is a bug in the caller, never bad input.
    pub fn new(
        rows: usize,
        cols: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        data: Vec<f32>,
    ) -> Self {
        assert_eq!(indptr.len(), rows + 1, "indptr length");
        assert_eq!(indices.len(), data.len(), "indices/data length");
        assert_eq!(indptr[rows], indices.len(), "indptr end");
        // Rows checked in parallel: a pass over every index, serial it took 3 ms of a 20
        // Newsgroups run's critical path.
        (0..rows).into_par_iter().with_min_len(1024).for_each(|r| {
            let (a, b) = (indptr[r], indptr[r + 1]);
            assert!(a <= b, "indptr decreasing at row {r}");
            let row = &indices[a..b];
            assert!(
                row.windows(2).all(|w| w[0] < w[1]),
                "unsorted columns in row {r}"
            );
            assert!(
                row.iter().all(|&c| (c as usize) < cols),
                "column out of range"
            );
        });
        Csr {
            rows,
            cols,
            indptr,
            indices,
            data,
        }
    }

    /// An empty `rows × cols` matrix.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Csr {
            rows,
            cols,
            indptr: vec![0; rows + 1],
            indices: Vec::new(),
            data: Vec::new(),
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Number of stored (nonzero) entries.
    pub fn nnz(&self) -> usize {
        self.data.len()
    }

    /// Row pointer array (`rows + 1` entries).
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }

    /// Column indices of all stored entries, row by row.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// Values of all stored entries, row by row.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The column indices and values of row `r`.
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[r], self.indptr[r + 1]);
        (&self.indices[a..b], &self.data[a..b])
    }

    /// The transpose, also in CSR form (equivalently: this matrix in CSC form).
    ///
    /// In parallel over ranges of columns holding about equal numbers of non-zeros: each task
    /// owns its columns' stretch of the output and walks every row, taking the row's entries in
    /// its range (found by binary search, since a row's columns are sorted) in row order. So each
    /// output row lists its entries in the same order as a serial counting sort, whatever the
    /// thread count. (Serial, it was the critical path of the reduce stage's first 30 ms on 20
    /// Newsgroups, beside the test matrix.)
    pub fn transpose(&self) -> Csr {
        let mut indptr = vec![0usize; self.cols + 1];
        for &c in &self.indices {
            indptr[c as usize + 1] += 1;
        }
        for i in 0..self.cols {
            indptr[i + 1] += indptr[i];
        }
        let nnz = self.nnz();
        let mut indices = vec![0u32; nnz];
        let mut data = vec![0f32; nnz];
        // Column ranges: one per thread (each task walks all the rows, so no more than that),
        // split where the non-zeros before them reach an equal share.
        let tasks = if nnz < 1 << 16 {
            1
        } else {
            rayon::current_num_threads().max(1)
        };
        // (`indptr[cols]` is `nnz`, above every inner share, so each split is a column index.)
        let mut bounds = vec![0];
        bounds.extend((1..tasks).map(|t| indptr.partition_point(|&p| p < nnz * t / tasks)));
        bounds.push(self.cols);
        bounds.dedup();
        let mut parts = Vec::with_capacity(bounds.len());
        let (mut idx_rest, mut val_rest) = (&mut indices[..], &mut data[..]);
        for w in bounds.windows(2) {
            let len = indptr[w[1]] - indptr[w[0]];
            let (idx, i_tail) = std::mem::take(&mut idx_rest).split_at_mut(len);
            let (val, v_tail) = std::mem::take(&mut val_rest).split_at_mut(len);
            (idx_rest, val_rest) = (i_tail, v_tail);
            parts.push((w[0], w[1], idx, val));
        }
        parts.into_par_iter().for_each(|(c0, c1, idx, val)| {
            let base = indptr[c0];
            let mut next: Vec<usize> = indptr[c0..c1].iter().map(|&p| p - base).collect();
            for r in 0..self.rows {
                let (cols, vals) = self.row(r);
                let a = cols.partition_point(|&c| (c as usize) < c0);
                let b = a + cols[a..].partition_point(|&c| (c as usize) < c1);
                for (&c, &v) in cols[a..b].iter().zip(&vals[a..b]) {
                    let slot = &mut next[c as usize - c0];
                    idx[*slot] = r as u32;
                    val[*slot] = v;
                    *slot += 1;
                }
            }
        });
        Csr {
            rows: self.cols,
            cols: self.rows,
            indptr,
            indices,
            data,
        }
    }

    /// `self · b` for a dense `b` of shape `cols × m`, row-parallel; each output row is summed in
    /// the same order whatever the thread count.
    pub fn dot_dense(&self, b: ArrayView2<'_, f32>) -> Array2<f32> {
        assert_eq!(b.nrows(), self.cols, "inner dimensions");
        let m = b.ncols();
        let mut out = Array2::<f32>::zeros((self.rows, m));
        let b_std = b.as_standard_layout();
        let b_slice = b_std.as_slice().expect("standard layout is contiguous");
        out.as_slice_mut()
            .expect("fresh array is contiguous")
            .par_chunks_mut(m.max(1))
            .enumerate()
            .for_each(|(r, out_row)| {
                let (cols, vals) = self.row(r);
                for (&c, &v) in cols.iter().zip(vals) {
                    let brow = &b_slice[c as usize * m..(c as usize + 1) * m];
                    for (o, &x) in out_row.iter_mut().zip(brow) {
                        *o += v * x;
                    }
                }
            });
        out
    }

    /// Keeps only the given rows, in the given order.
    pub fn select_rows(&self, rows: &[usize]) -> Csr {
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        indptr.push(0);
        let mut indices = Vec::new();
        let mut data = Vec::new();
        for &r in rows {
            let (c, v) = self.row(r);
            indices.extend_from_slice(c);
            data.extend_from_slice(v);
            indptr.push(indices.len());
        }
        Csr {
            rows: rows.len(),
            cols: self.cols,
            indptr,
            indices,
            data,
        }
    }

    /// Writes the matrix in Matrix Market coordinate format (1-based, `real general`), the form
    /// scipy's `mmread`, R's `Matrix::readMM` and Julia's `MatrixMarket` read.
    pub fn write_matrix_market<W: std::io::Write>(&self, mut w: W) -> std::io::Result<()> {
        writeln!(w, "%%MatrixMarket matrix coordinate real general")?;
        writeln!(w, "% written by themata")?;
        writeln!(w, "{} {} {}", self.rows, self.cols, self.nnz())?;
        for r in 0..self.rows {
            let (cols, vals) = self.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                writeln!(w, "{} {} {:.9e}", r + 1, c + 1, v)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn small() -> Csr {
        // [[1, 0, 2], [0, 0, 0], [0, 3, 0]]
        Csr::new(3, 3, vec![0, 2, 2, 3], vec![0, 2, 1], vec![1.0, 2.0, 3.0])
    }

    #[test]
    fn transpose_moves_entries() {
        let t = small().transpose();
        assert_eq!(t.row(0), (&[0u32][..], &[1.0f32][..]));
        assert_eq!(t.row(1), (&[2u32][..], &[3.0f32][..]));
        assert_eq!(t.row(2), (&[0u32][..], &[2.0f32][..]));
    }

    #[test]
    fn parallel_transpose_equals_a_serial_one_whatever_the_thread_count() {
        use rand::{Rng, SeedableRng};
        // Large enough to be split among tasks (≥ 2¹⁶ non-zeros), with empty rows and columns
        // at both ends and a few dense columns, as a vocabulary has.
        let (rows, cols) = (3000, 700);
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        let (mut indptr, mut indices, mut data) = (vec![0], Vec::new(), Vec::new());
        for r in 0..rows {
            if r % 97 != 0 {
                for c in 1..cols - 1 {
                    if c % 50 == 0 || rng.gen_range(0.0..1.0) < 0.03 {
                        indices.push(c as u32);
                        data.push(rng.gen_range(-1.0f32..1.0));
                    }
                }
            }
            indptr.push(indices.len());
        }
        let x = Csr::new(rows, cols, indptr, indices, data);
        assert!(x.nnz() >= 1 << 16, "{} non-zeros", x.nnz());
        // The serial counting sort the parallel one replaced.
        let mut serial: Vec<Vec<(u32, f32)>> = vec![Vec::new(); cols];
        for r in 0..rows {
            let (cs, vs) = x.row(r);
            for (&c, &v) in cs.iter().zip(vs) {
                serial[c as usize].push((r as u32, v));
            }
        }
        for threads in [1, 2, 3, 7] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let t = pool.install(|| x.transpose());
            assert_eq!((t.rows(), t.cols(), t.nnz()), (cols, rows, x.nnz()));
            for (c, want) in serial.iter().enumerate() {
                let (rs, vs) = t.row(c);
                let got: Vec<(u32, f32)> = rs.iter().copied().zip(vs.iter().copied()).collect();
                assert_eq!(&got, want, "column {c} with {threads} threads");
            }
        }
    }

    #[test]
    fn dot_dense_matches_hand_product() {
        let b = array![[1.0f32, 0.0], [0.0, 1.0], [1.0, 1.0]];
        let p = small().dot_dense(b.view());
        assert_eq!(p, array![[3.0f32, 2.0], [0.0, 0.0], [0.0, 3.0]]);
    }

    #[test]
    #[should_panic(expected = "unsorted")]
    fn new_rejects_unsorted_row() {
        Csr::new(1, 3, vec![0, 2], vec![2, 0], vec![1.0, 1.0]);
    }
}
