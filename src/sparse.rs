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
    pub fn transpose(&self) -> Csr {
        let mut counts = vec![0usize; self.cols + 1];
        for &c in &self.indices {
            counts[c as usize + 1] += 1;
        }
        for i in 0..self.cols {
            counts[i + 1] += counts[i];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; self.nnz()];
        let mut data = vec![0f32; self.nnz()];
        for r in 0..self.rows {
            let (cols, vals) = self.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                let slot = &mut next[c as usize];
                indices[*slot] = r as u32;
                data[*slot] = v;
                *slot += 1;
            }
        }
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
