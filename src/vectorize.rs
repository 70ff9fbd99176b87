//! The vectorizer stage: units' text in, a TF-IDF matrix (CSR, one row per unit, one column per
//! term) and its vocabulary out.
//!
//! The semantics are scikit-learn 1.x's `TfidfVectorizer` (and, with [`TfidfParams::hashing`],
//! its `HashingVectorizer` followed by `TfidfTransformer`), to within f32 rounding: the same
//! tokens, the same vocabulary in the same (sorted) column order, the same `min_df` / `max_df` /
//! `max_features` pruning, idf, sublinear tf and row norms. Work is split into chunks of
//! consecutive documents that are tokenised and counted in parallel, each interning its terms to
//! `u32` ids; chunk vocabularies are then merged in chunk order and the final columns sorted by
//! term, so the output is bit-identical whatever the number of threads. Memory is linear in the
//! number of stored entries; no dense documents × terms array is ever built.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::sparse::Csr;
use crate::{Error, Result};

mod count;
pub mod hashing;
pub mod stop_words;
mod tokenize;

pub use tokenize::{Analyzer, DEFAULT_TOKEN_PATTERN, is_word_char, scan_words, tokenize};

/// Which stop words to remove. In config files: `"english"`, `"none"`, or a path to a file with
/// one word per line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(from = "String", into = "String")]
pub enum StopWords {
    /// scikit-learn's built-in English list (318 words).
    English,
    /// Keep every token (scikit-learn's `stop_words=None`, its default).
    #[default]
    None,
    /// Words read from this file, one per line.
    File(PathBuf),
}

impl From<String> for StopWords {
    fn from(s: String) -> Self {
        match s.as_str() {
            "english" => StopWords::English,
            "none" => StopWords::None,
            _ => StopWords::File(PathBuf::from(s)),
        }
    }
}

impl From<StopWords> for String {
    fn from(s: StopWords) -> Self {
        match s {
            StopWords::English => "english".into(),
            StopWords::None => "none".into(),
            StopWords::File(p) => p.to_string_lossy().into_owned(),
        }
    }
}

/// The per-row normalisation applied last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    /// Rows scaled to unit Euclidean length (scikit-learn's default).
    #[default]
    L2,
    /// Rows scaled so their absolute values sum to 1.
    L1,
    /// No normalisation.
    None,
}

/// Parameters of the vectorizer; the defaults are scikit-learn's `TfidfVectorizer` defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TfidfParams {
    /// Lowercase the text (full Unicode lowercasing, as Python's `str.lower`) before tokenising.
    pub lowercase: bool,
    /// The token regex; the default `(?u)\b\w\w+\b` takes runs of two or more word characters.
    pub token_pattern: String,
    /// Stop words removed before n-grams are formed.
    pub stop_words: StopWords,
    /// Smallest and largest n-gram length, e.g. `[1, 2]` for words and word pairs.
    pub ngram_range: (usize, usize),
    /// Drop terms in fewer documents than this: a whole number ≥ 1 is a count, a value in
    /// `[0, 1)` a fraction of the documents (`1.0` means a count of 1, as in scikit-learn).
    pub min_df: f64,
    /// Drop terms in more documents than this: a value in `[0, 1]` is a fraction of the
    /// documents, a whole number > 1 a count.
    pub max_df: f64,
    /// Keep only the terms with the highest total count across the corpus (ties go to the term
    /// that sorts first).
    pub max_features: Option<usize>,
    /// Count each term at most once per document.
    pub binary: bool,
    /// Row normalisation.
    pub norm: Norm,
    /// Multiply by inverse document frequency.
    pub use_idf: bool,
    /// Add one to every document frequency, as if one extra document held every term.
    pub smooth_idf: bool,
    /// Use `1 + ln(tf)` instead of `tf`.
    pub sublinear_tf: bool,
    /// Stem words (Snowball English) after stop-word removal; not in scikit-learn.
    pub stem: bool,
    /// `Some(n)`: hash terms into `n` signed columns (scikit-learn's `HashingVectorizer` with
    /// `alternate_sign=True`) instead of building a vocabulary; `min_df`, `max_df` and
    /// `max_features` are then ignored.
    pub hashing: Option<usize>,
}

impl Default for TfidfParams {
    fn default() -> Self {
        TfidfParams {
            lowercase: true,
            token_pattern: DEFAULT_TOKEN_PATTERN.to_owned(),
            stop_words: StopWords::None,
            ngram_range: (1, 1),
            min_df: 1.0,
            max_df: 1.0,
            max_features: None,
            binary: false,
            norm: Norm::L2,
            use_idf: true,
            smooth_idf: true,
            sublinear_tf: false,
            stem: false,
            hashing: None,
        }
    }
}

/// Longest n-gram `ngram_range` may ask for. Nearly every n-gram of three or more words is new,
/// so each length up to the maximum adds about one counted term per token, holding its `n` word
/// ids: `themata vectorize` on 20 Newsgroups (23 MB of text) peaked at 117 MiB with words alone,
/// 295 MiB with `[1, 2]`, 1.0 GiB with `[1, 4]` and 2.6 GiB with `[1, 8]`. Eight words already
/// span a clause; the old bound of 64 let one key ask for many times that.
pub const MAX_NGRAM: usize = 8;

/// Most columns `hashing` may ask for: 2²⁴, 16 times scikit-learn's default of 2²⁰. Every column
/// costs 16 bytes in the vectorizer (document frequency and idf) and, being a column of the
/// matrix, a row of each of the LSA's dense column-side matrices of `dims + oversample` values:
/// with the defaults (110) about 7 GiB for one of them at 2²⁴ (440 MiB at 2²⁰), which still fits
/// a 24 GiB machine; the old bound of 2³¹ let one key ask for 0.9 TB.
pub const MAX_HASHING: usize = 1 << 24;

/// A document-frequency bound resolved against the corpus size.
#[derive(Debug, Clone, Copy)]
enum DfBound {
    Count(f64),
    Fraction(f64),
}

impl DfBound {
    fn docs(self, n_docs: usize) -> f64 {
        match self {
            DfBound::Count(c) => c,
            DfBound::Fraction(f) => f * n_docs as f64,
        }
    }
}

impl TfidfParams {
    /// Checks every parameter, returning an [`Error::Param`] naming the first bad one and the
    /// allowed range.
    pub fn check(&self) -> Result<()> {
        let (lo, hi) = self.ngram_range;
        if lo < 1 || lo > hi {
            return Err(Error::param(
                "ngram_range",
                format!("[{lo}, {hi}] is not a range of n-gram lengths; need 1 ≤ min ≤ max"),
            ));
        }
        if hi > MAX_NGRAM {
            return Err(Error::param(
                "ngram_range",
                format!("max n-gram length {hi} is above {MAX_NGRAM}; allowed are 1..={MAX_NGRAM}"),
            ));
        }
        if !self.min_df.is_finite()
            || self.min_df < 0.0
            || (self.min_df > 1.0 && self.min_df.fract() != 0.0)
        {
            return Err(Error::param(
                "min_df",
                format!(
                    "{} is neither a fraction in [0, 1) nor a whole number of documents ≥ 1",
                    self.min_df
                ),
            ));
        }
        if !self.max_df.is_finite()
            || self.max_df < 0.0
            || (self.max_df > 1.0 && self.max_df.fract() != 0.0)
        {
            return Err(Error::param(
                "max_df",
                format!(
                    "{} is neither a fraction in [0, 1] nor a whole number of documents > 1",
                    self.max_df
                ),
            ));
        }
        if self.max_features == Some(0) {
            return Err(Error::param(
                "max_features",
                "must be at least 1 (or unset)",
            ));
        }
        if let Some(n) = self.hashing {
            if n == 0 || n > MAX_HASHING {
                return Err(Error::param(
                    "hashing",
                    format!(
                        "{n} columns is outside the allowed range 1..={MAX_HASHING} (2^24; \
                         scikit-learn's default is 2^20 = 1048576)"
                    ),
                ));
            }
            if self.sublinear_tf {
                return Err(Error::param(
                    "sublinear_tf",
                    "cannot be combined with `hashing`: signed hashed counts can be negative",
                ));
            }
        }
        tokenize::compile_pattern(&self.token_pattern)?;
        Ok(())
    }

    fn min_df_bound(&self) -> DfBound {
        // scikit-learn: an int is a count, a float a fraction; 1.0 reaches it as the int 1.
        if self.min_df >= 1.0 {
            DfBound::Count(self.min_df)
        } else {
            DfBound::Fraction(self.min_df)
        }
    }

    fn max_df_bound(&self) -> DfBound {
        if self.max_df > 1.0 {
            DfBound::Count(self.max_df)
        } else {
            DfBound::Fraction(self.max_df)
        }
    }
}

/// A fitted TF-IDF model and the matrix of the documents it was fitted on.
#[derive(Debug, Clone, PartialEq)]
pub struct Tfidf {
    /// The TF-IDF values: one row per document, one column per term.
    pub matrix: Csr,
    /// The terms, in column order (sorted by byte order, as scikit-learn's
    /// `get_feature_names_out`); empty in hashing mode.
    pub vocab: Vec<String>,
    /// The idf of each column (all ones when `use_idf` is off).
    pub idf: Vec<f32>,
    /// The number of documents each column occurs in.
    pub df: Vec<u32>,
    /// What each row's weighted counts were divided by (its L2 or L1 norm; 1 with `norm =
    /// "none"` or an empty row): with the idf it turns a stored value back into the count it came
    /// from ([`Tfidf::for_each_count`]).
    pub row_scale: Vec<f64>,
}

/// scikit-learn's idf: `ln((1 + n) / (1 + df)) + 1` when smoothed, else `ln(n / df) + 1`.
fn idf_values(df: &[u32], n_docs: usize, params: &TfidfParams) -> Vec<f64> {
    if !params.use_idf {
        return vec![1.0; df.len()];
    }
    let s = if params.smooth_idf { 1.0 } else { 0.0 };
    let n = n_docs as f64 + s;
    df.iter()
        .map(|&d| (n / (f64::from(d) + s)).ln() + 1.0)
        .collect()
}

/// The TF-IDF weights of one row of `(column, raw count)` pairs, in f64, into `vals` (cleared
/// first); returns what the row is to be divided by (its norm, or 1).
fn row_weights(row: &[(u32, f64)], idf: &[f64], params: &TfidfParams, vals: &mut Vec<f64>) -> f64 {
    vals.clear();
    for &(c, count) in row {
        let mut v = if params.binary { 1.0 } else { count };
        if params.sublinear_tf {
            v = 1.0 + v.ln();
        }
        v *= idf[c as usize];
        vals.push(v);
    }
    let scale = match params.norm {
        Norm::L2 => vals.iter().map(|v| v * v).sum::<f64>().sqrt(),
        Norm::L1 => vals.iter().map(|v| v.abs()).sum::<f64>(),
        Norm::None => 1.0,
    };
    if scale == 0.0 { 1.0 } else { scale }
}

/// Turns one row of `(column, raw count)` pairs, sorted by column, into TF-IDF values appended
/// to `out` (f64 for the arithmetic, f32 stored); returns what the row was divided by.
fn weigh_row(
    row: &[(u32, f64)],
    idf: &[f64],
    params: &TfidfParams,
    out_idx: &mut Vec<u32>,
    out_val: &mut Vec<f32>,
) -> f64 {
    let mut vals = Vec::with_capacity(row.len());
    let scale = row_weights(row, idf, params, &mut vals);
    out_idx.extend(row.iter().map(|&(c, _)| c));
    out_val.extend(vals.iter().map(|v| (v / scale) as f32));
    scale
}

/// One chunk's rows: their lengths, column indices, values and scales (see [`weigh_row`]).
type Block = (Vec<usize>, Vec<u32>, Vec<f32>, Vec<f64>);

/// Assembles per-chunk row blocks (in order) into one CSR matrix and the rows' scales. The
/// blocks are copied in parallel, each into its own part of the output, so the first touch of
/// the output's fresh pages (most of the copy's cost) is shared between the threads.
fn concat_blocks(blocks: Vec<Block>, cols: usize) -> (Csr, Vec<f64>) {
    let nnz: usize = blocks.iter().map(|b| b.1.len()).sum();
    let rows: usize = blocks.iter().map(|b| b.0.len()).sum();
    let mut indptr = Vec::with_capacity(rows + 1);
    indptr.push(0);
    let mut scales = Vec::with_capacity(rows);
    for (lens, _, _, sc) in &blocks {
        for l in lens {
            let last = *indptr.last().expect("indptr starts with 0");
            indptr.push(last + l);
        }
        scales.extend_from_slice(sc);
    }
    let mut indices = vec![0u32; nnz];
    let mut data = vec![0f32; nnz];
    let mut parts = Vec::with_capacity(blocks.len());
    let (mut idx_rest, mut val_rest) = (&mut indices[..], &mut data[..]);
    for b in &blocks {
        let (i, ir) = idx_rest.split_at_mut(b.1.len());
        let (v, vr) = val_rest.split_at_mut(b.2.len());
        parts.push((b, i, v));
        (idx_rest, val_rest) = (ir, vr);
    }
    parts.into_par_iter().for_each(|(b, i, v)| {
        i.copy_from_slice(&b.1);
        v.copy_from_slice(&b.2);
    });
    (Csr::new(rows, cols, indptr, indices, data), scales)
}

/// Fits TF-IDF on `docs` and returns the matrix (one row per document) with its vocabulary.
///
/// Errors: [`Error::Param`] for bad parameters (see [`TfidfParams::check`]), [`Error::Io`] for an
/// unreadable stop-word file, [`Error::Usage`] when no term survives (the corpus is empty, holds
/// only stop words, or `min_df`/`max_df` prune everything).
///
/// ```
/// use themata::vectorize::{fit_transform, TfidfParams};
/// let t = fit_transform(&["the cat sat", "the dog sat", "a cat"], &TfidfParams::default()).unwrap();
/// assert_eq!(t.vocab, ["cat", "dog", "sat", "the"]);
/// assert_eq!(t.matrix.rows(), 3);
/// ```
pub fn fit_transform(docs: &[&str], params: &TfidfParams) -> Result<Tfidf> {
    fit_chunked(docs, params, count::chunk_bytes(docs))
}

/// [`fit_transform`] counting chunks of about `chunk_bytes` of text (the result does not depend
/// on it).
fn fit_chunked(docs: &[&str], params: &TfidfParams, chunk_bytes: usize) -> Result<Tfidf> {
    let analyzer = Analyzer::new(params)?;
    let chunks = count::count_chunks(docs, &analyzer, params.hashing, chunk_bytes);
    match params.hashing {
        Some(n) => Ok(fit_hashed(docs.len(), chunks, n, params)),
        None => fit_vocab(docs.len(), chunks, params),
    }
}

fn fit_vocab(
    n_docs: usize,
    chunks: Vec<count::ChunkCounts>,
    params: &TfidfParams,
) -> Result<Tfidf> {
    let merged = count::merge(&chunks, params.ngram_range);
    if merged.df.is_empty() {
        return Err(Error::Usage(
            "empty vocabulary: the documents hold no terms (perhaps only stop words)".into(),
        ));
    }
    let max_docs = params.max_df_bound().docs(n_docs);
    let min_docs = params.min_df_bound().docs(n_docs);
    if max_docs < min_docs {
        return Err(Error::param(
            "max_df",
            format!(
                "max_df = {} allows at most {max_docs} documents, fewer than the {min_docs} min_df = {} requires",
                params.max_df, params.min_df
            ),
        ));
    }
    // Surviving features with their names, sorted by name (UTF-8 byte order = code point order,
    // Python's string order).
    // The sort compares the names' first eight bytes as one big-endian integer first (the same
    // order as comparing those bytes), so most comparisons never reach memcmp.
    let prefix = |s: &str| {
        let mut b = [0u8; 8];
        let n = s.len().min(8);
        b[..n].copy_from_slice(&s.as_bytes()[..n]);
        u64::from_be_bytes(b)
    };
    let mut keyed: Vec<(u64, String, u32)> = (0..merged.df.len() as u32)
        .into_par_iter()
        .filter(|&g| {
            let d = f64::from(merged.df[g as usize]);
            d >= min_docs && d <= max_docs
        })
        .map(|g| {
            let name = merged.name(g);
            (prefix(&name), name, g)
        })
        .collect();
    keyed.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let mut kept: Vec<(String, u32)> = keyed.into_iter().map(|(_, name, g)| (name, g)).collect();
    if let Some(limit) = params.max_features
        && kept.len() > limit
    {
        // Most frequent by total count; ties by term order (scikit-learn's argsort leaves tie
        // order unspecified). With `binary` the count is the document frequency, as there.
        let total = |g: u32| {
            if params.binary {
                u64::from(merged.df[g as usize])
            } else {
                merged.tf[g as usize]
            }
        };
        let mut order: Vec<usize> = (0..kept.len()).collect();
        order.sort_by(|&a, &b| total(kept[b].1).cmp(&total(kept[a].1)).then(a.cmp(&b)));
        let mut keep = vec![false; kept.len()];
        for &i in &order[..limit] {
            keep[i] = true;
        }
        let mut i = 0;
        kept.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }
    if kept.is_empty() {
        return Err(Error::Usage(
            "after pruning, no terms remain; try a lower min_df or a higher max_df".into(),
        ));
    }
    let mut column = vec![u32::MAX; merged.df.len()];
    for (c, (_, g)) in kept.iter().enumerate() {
        column[*g as usize] = c as u32;
    }
    let df: Vec<u32> = kept.iter().map(|(_, g)| merged.df[*g as usize]).collect();
    let vocab: Vec<String> = kept.into_iter().map(|(name, _)| name).collect();
    let idf = idf_values(&df, n_docs, params);
    let (matrix, row_scale) =
        weigh_chunks(&chunks, &merged.remap, &column, vocab.len(), &idf, params);
    debug_assert_eq!(matrix.rows(), n_docs);
    Ok(Tfidf {
        matrix,
        vocab,
        idf: idf.iter().map(|&v| v as f32).collect(),
        df,
        row_scale,
    })
}

/// The TF-IDF matrix (`cols` columns) of the counted chunks, with each row's scale: `column`
/// maps a global feature to its column (`u32::MAX` if pruned), `remap` each chunk's features
/// to global ones.
///
/// Each row's length is counted first, so every chunk weighs its rows straight into its own
/// part of the final arrays, in parallel: no per-chunk copies to grow and then concatenate
/// (on 20 Newsgroups, 10 MB less memory touched).
fn weigh_chunks(
    chunks: &[count::ChunkCounts],
    remap: &[Vec<u32>],
    column: &[u32],
    cols: usize,
    idf: &[f64],
    params: &TfidfParams,
) -> (Csr, Vec<f64>) {
    // Per chunk: its features' columns and its rows' lengths after pruning.
    let plans: Vec<(Vec<u32>, Vec<usize>)> = chunks
        .par_iter()
        .zip(remap.par_iter())
        .map(|(chunk, remap)| {
            let local_col: Vec<u32> = remap.iter().map(|&g| column[g as usize]).collect();
            let lens = (0..chunk.docs())
                .map(|d| {
                    let kept = |&&(f, _): &&(u32, u32)| local_col[f as usize] != u32::MAX;
                    chunk.doc(d).iter().filter(kept).count()
                })
                .collect();
            (local_col, lens)
        })
        .collect();
    let rows: usize = plans.iter().map(|p| p.1.len()).sum();
    let mut indptr = Vec::with_capacity(rows + 1);
    indptr.push(0);
    for (_, lens) in &plans {
        for l in lens {
            let last = *indptr.last().expect("indptr starts with 0");
            indptr.push(last + l);
        }
    }
    let nnz = indptr[rows];
    let mut indices: Vec<u32> = Vec::with_capacity(nnz);
    let mut data: Vec<f32> = Vec::with_capacity(nnz);
    let mut parts = Vec::with_capacity(chunks.len());
    let (mut idx_rest, mut val_rest) = (
        &mut indices.spare_capacity_mut()[..nnz],
        &mut data.spare_capacity_mut()[..nnz],
    );
    for (chunk, plan) in chunks.iter().zip(&plans) {
        let len: usize = plan.1.iter().sum();
        let (i, ir) = idx_rest.split_at_mut(len);
        let (v, vr) = val_rest.split_at_mut(len);
        parts.push((chunk, plan, i, v));
        (idx_rest, val_rest) = (ir, vr);
    }
    let scales: Vec<Vec<f64>> = parts
        .into_par_iter()
        .map(|(chunk, (local_col, lens), out_idx, out_val)| {
            let mut row: Vec<(u32, f64)> = Vec::new();
            let mut vals: Vec<f64> = Vec::new();
            let mut scales = Vec::with_capacity(chunk.docs());
            let mut at = 0;
            for (d, &len) in lens.iter().enumerate() {
                row.clear();
                row.extend(chunk.doc(d).iter().filter_map(|&(f, cnt)| {
                    let c = local_col[f as usize];
                    (c != u32::MAX).then_some((c, f64::from(cnt)))
                }));
                row.sort_unstable_by_key(|e| e.0);
                assert_eq!(row.len(), len, "row length counted before weighing");
                let scale = row_weights(&row, idf, params, &mut vals);
                assert_eq!(vals.len(), len, "one weight per entry");
                let (oi, ov) = (&mut out_idx[at..at + len], &mut out_val[at..at + len]);
                for (((&(c, _), &w), oi), ov) in row.iter().zip(&vals).zip(oi).zip(ov) {
                    oi.write(c);
                    ov.write((w / scale) as f32);
                }
                at += len;
                scales.push(scale);
            }
            assert_eq!(at, out_idx.len(), "chunk's part filled");
            scales
        })
        .collect();
    // SAFETY: the parts split `[..nnz]` of both spare capacities without gaps, and each part was
    // written in full: each row wrote `len` indices and values (the row, its weights and its
    // slice of the part all have that length, asserted), and the rows filled the part exactly
    // (asserted). Had any assert failed, the collect would have panicked before this point.
    unsafe {
        indices.set_len(nnz);
        data.set_len(nnz);
    }
    (Csr::new(rows, cols, indptr, indices, data), scales.concat())
}

/// Sums signed hashed counts per column; entries that cancel to zero are kept (as scipy's
/// `sum_duplicates` in scikit-learn's `FeatureHasher` keeps them) so they count towards df.
fn hashed_row(entries: impl Iterator<Item = (u32, f64)>, row: &mut Vec<(u32, f64)>) {
    row.clear();
    row.extend(entries);
    row.sort_by_key(|e| e.0);
    row.dedup_by(|b, a| {
        if a.0 == b.0 {
            a.1 += b.1;
            true
        } else {
            false
        }
    });
}

fn fit_hashed(
    n_docs: usize,
    chunks: Vec<count::ChunkCounts>,
    n_cols: usize,
    params: &TfidfParams,
) -> Tfidf {
    let rows = hashed_rows(&chunks);
    let mut df = vec![0u32; n_cols];
    for row in rows.iter().flatten() {
        for &(c, _) in row {
            df[c as usize] += 1;
        }
    }
    let idf = idf_values(&df, n_docs, params);
    let (matrix, row_scale) = weigh_hashed(&rows, &idf, params, n_cols);
    Tfidf {
        matrix,
        vocab: Vec::new(),
        idf: idf.iter().map(|&v| v as f32).collect(),
        df,
        row_scale,
    }
}

/// Rows of summed signed hashed counts, chunk by chunk.
fn hashed_rows(chunks: &[count::ChunkCounts]) -> Vec<Vec<Vec<(u32, f64)>>> {
    chunks
        .par_iter()
        .map(|chunk| {
            let hashed = chunk.hashed.as_ref().expect("hashing mode records columns");
            (0..chunk.docs())
                .map(|d| {
                    let mut row = Vec::new();
                    hashed_row(
                        chunk.doc(d).iter().map(|&(f, cnt)| {
                            let (c, s) = hashed[f as usize];
                            (c, s * f64::from(cnt))
                        }),
                        &mut row,
                    );
                    row
                })
                .collect()
        })
        .collect()
}

/// The TF-IDF matrix of [`hashed_rows`] with `idf`, and each row's scale.
fn weigh_hashed(
    rows: &[Vec<Vec<(u32, f64)>>],
    idf: &[f64],
    params: &TfidfParams,
    n_cols: usize,
) -> (Csr, Vec<f64>) {
    let blocks: Vec<_> = rows
        .par_iter()
        .map(|chunk_rows| {
            let mut lens = Vec::with_capacity(chunk_rows.len());
            let mut idx = Vec::new();
            let mut val = Vec::new();
            let mut scales = Vec::with_capacity(chunk_rows.len());
            for row in chunk_rows {
                scales.push(weigh_row(row, idf, params, &mut idx, &mut val));
                lens.push(row.len());
            }
            (lens, idx, val, scales)
        })
        .collect();
    concat_blocks(blocks, n_cols)
}

/// How much of a corpus a fixed vocabulary covers: term occurrences (after stop words and
/// n-grams, as the vectorizer counts them) and how many of them are vocabulary terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Coverage {
    /// Term occurrences in the documents.
    pub terms: u64,
    /// Occurrences of terms the vocabulary holds (all of them in hashing mode).
    pub known: u64,
}

impl Coverage {
    /// Share of occurrences the vocabulary lacks (0 when there are none).
    pub fn unknown_share(&self) -> f64 {
        if self.terms == 0 {
            0.0
        } else {
            (self.terms - self.known) as f64 / self.terms as f64
        }
    }
}

/// TF-IDF of new documents over a fitted vocabulary and document frequencies (a saved model's):
/// the rows [`fit_transform`] would have given these documents had they been among the `n_docs`
/// it was fitted on, counted by the same tokeniser path, so a fitted document comes back
/// bit-identical. Terms outside `vocab` are ignored and counted in the [`Coverage`]. With
/// `params.hashing`, `vocab` is empty and `df` has one entry per hashed column.
///
/// ```
/// use themata::vectorize::{fit_transform, transform_fixed, TfidfParams};
/// let p = TfidfParams { min_df: 1.0, max_df: 1.0, ..TfidfParams::default() };
/// let fit = fit_transform(&["the cat sat", "the dog sat"], &p).unwrap();
/// let (m, cov) = transform_fixed(&["a cat sat", "the bird"], &fit.vocab, &fit.df, 2, &p).unwrap();
/// assert_eq!(m.rows(), 2);
/// // "cat", "sat", "the" are known, "bird" is new ("a" is too short to be a token).
/// assert_eq!((cov.terms, cov.known), (4, 3));
/// ```
pub fn transform_fixed(
    docs: &[&str],
    vocab: &[String],
    df: &[u32],
    n_docs: usize,
    params: &TfidfParams,
) -> Result<(Csr, Coverage)> {
    let n_cols = params.hashing.unwrap_or(vocab.len());
    if df.len() != n_cols {
        return Err(Error::param(
            "hashing",
            format!(
                "the vocabulary has {n_cols} columns but {} document frequencies",
                df.len()
            ),
        ));
    }
    let analyzer = Analyzer::new(params)?;
    let chunks = count::count_chunks(docs, &analyzer, params.hashing, count::chunk_bytes(docs));
    let idf = idf_values(df, n_docs, params);
    let total = |chunk: &count::ChunkCounts, known: &dyn Fn(u32) -> bool| {
        let mut c = Coverage::default();
        for d in 0..chunk.docs() {
            for &(f, n) in chunk.doc(d) {
                c.terms += u64::from(n);
                if known(f) {
                    c.known += u64::from(n);
                }
            }
        }
        c
    };
    let sum = |parts: Vec<Coverage>| {
        parts
            .into_iter()
            .fold(Coverage::default(), |a, b| Coverage {
                terms: a.terms + b.terms,
                known: a.known + b.known,
            })
    };
    if params.hashing.is_some() {
        let coverage = sum(chunks.par_iter().map(|c| total(c, &|_| true)).collect());
        let rows = hashed_rows(&chunks);
        return Ok((weigh_hashed(&rows, &idf, params, n_cols).0, coverage));
    }
    let index: FxHashMap<&str, u32> = vocab
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i as u32))
        .collect();
    // Each chunk's features map to their columns, or to one past the last column (unknown),
    // which `column` maps to "pruned".
    let unknown = n_cols as u32;
    let remap: Vec<Vec<u32>> = chunks
        .par_iter()
        .map(|chunk| {
            let mut buf = String::new();
            (0..chunk.features() as u32)
                .map(|f| {
                    let name = chunk.name_in(f, &mut buf);
                    index.get(name).copied().unwrap_or(unknown)
                })
                .collect()
        })
        .collect();
    let coverage = sum(chunks
        .par_iter()
        .zip(&remap)
        .map(|(c, r)| total(c, &|f| r[f as usize] != unknown))
        .collect());
    let column: Vec<u32> = (0..unknown).chain([u32::MAX]).collect();
    let (matrix, _) = weigh_chunks(&chunks, &remap, &column, n_cols, &idf, params);
    Ok((matrix, coverage))
}

impl Tfidf {
    /// Writes `matrix.mtx` (Matrix Market coordinate) and `vocab.txt` (one term per line, in
    /// column order) into `dir`, creating it if needed.
    pub fn write(&self, dir: &Path) -> Result<()> {
        use std::io::Write;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mtx = dir.join("matrix.mtx");
        let file = std::fs::File::create(&mtx).map_err(|e| Error::io(&mtx, e))?;
        let mut w = std::io::BufWriter::new(file);
        self.matrix
            .write_matrix_market(&mut w)
            .and_then(|_| w.flush())
            .map_err(|e| Error::io(&mtx, e))?;
        let voc = dir.join("vocab.txt");
        let file = std::fs::File::create(&voc).map_err(|e| Error::io(&voc, e))?;
        let mut w = std::io::BufWriter::new(file);
        self.vocab
            .iter()
            .try_for_each(|t| writeln!(w, "{t}"))
            .and_then(|_| w.flush())
            .map_err(|e| Error::io(&voc, e))?;
        Ok(())
    }

    /// Projects new documents (e.g. a theme's seed terms) onto the fitted columns with the fitted
    /// idf; terms outside the vocabulary are ignored. `params` must be the ones used to fit.
    pub fn transform(&self, docs: &[&str], params: &TfidfParams) -> Result<Csr> {
        let analyzer = Analyzer::new(params)?;
        let n_cols = self.matrix.cols();
        let expected = params.hashing.unwrap_or(self.vocab.len());
        if expected != n_cols || self.df.len() != n_cols {
            return Err(Error::param(
                "hashing",
                format!(
                    "does not match the fitted model ({n_cols} columns); pass the params used to fit"
                ),
            ));
        }
        // Recomputing idf from df in f64 keeps projected values as exact as the fitted ones.
        let idf = idf_values(&self.df, self.matrix.rows(), params);
        let blocks: Vec<_> = docs
            .par_chunks(256)
            .map(|chunk| {
                let mut lens = Vec::with_capacity(chunk.len());
                let mut idx = Vec::new();
                let mut val = Vec::new();
                let mut scales = Vec::with_capacity(chunk.len());
                let mut row = Vec::new();
                for doc in chunk {
                    let terms = analyzer.terms(doc);
                    match params.hashing {
                        Some(n) => hashed_row(
                            terms.iter().map(|t| hashing::column_and_sign(t, n)),
                            &mut row,
                        ),
                        None => {
                            let mut counts: FxHashMap<u32, f64> = FxHashMap::default();
                            for t in &terms {
                                if let Ok(c) = self.vocab.binary_search_by(|v| v.as_str().cmp(t)) {
                                    *counts.entry(c as u32).or_insert(0.0) += 1.0;
                                }
                            }
                            row.clear();
                            row.extend(counts);
                            row.sort_unstable_by_key(|e| e.0);
                        }
                    }
                    scales.push(weigh_row(&row, &idf, params, &mut idx, &mut val));
                    lens.push(row.len());
                }
                (lens, idx, val, scales)
            })
            .collect();
        Ok(concat_blocks(blocks, n_cols).0)
    }

    /// Calls `f(row, column, count)` for every stored entry of `rows`, in the order given and in
    /// column order within a row, with the count of the term in that row as the vectorizer saw it
    /// (1 with `binary`), recovered from the stored value, the row's scale and the idf. Counts are
    /// whole numbers, so rounding removes the f32 error exactly for any count below a million
    /// (below about 100,000 with `sublinear_tf`, where the count comes back through `exp`).
    /// `params` must be the ones used to fit; not meaningful in hashing mode (signed sums).
    /// To read several groups of rows, make one [`Tfidf::counts`] and call it per group.
    pub fn for_each_count(
        &self,
        rows: impl IntoIterator<Item = usize>,
        params: &TfidfParams,
        f: impl FnMut(usize, u32, f64),
    ) {
        self.counts(params).for_each(rows, f);
    }

    /// The raw counts of this matrix's entries (see [`Tfidf::for_each_count`]), with the idf
    /// computed once for every call.
    pub fn counts<'a>(&'a self, params: &'a TfidfParams) -> Counts<'a> {
        debug_assert_eq!(
            self.row_scale.len(),
            self.matrix.rows(),
            "one scale per row"
        );
        debug_assert!(
            params.hashing.is_none(),
            "hashed columns have no counts to recover"
        );
        Counts {
            tfidf: self,
            params,
            inv_idf: idf_values(&self.df, self.matrix.rows(), params)
                .into_iter()
                .map(|v| 1.0 / v)
                .collect(),
        }
    }
}

/// Recovers the raw counts of a [`Tfidf`]'s entries; made by [`Tfidf::counts`].
#[derive(Debug)]
pub struct Counts<'a> {
    tfidf: &'a Tfidf,
    params: &'a TfidfParams,
    /// 1 / idf per column (a product per entry instead of a division: the rounding to a whole
    /// count absorbs the difference, which is a few units in the 16th digit).
    inv_idf: Vec<f64>,
}

impl Counts<'_> {
    /// [`Tfidf::for_each_count`] over `rows`.
    pub fn for_each(
        &self,
        rows: impl IntoIterator<Item = usize>,
        mut f: impl FnMut(usize, u32, f64),
    ) {
        let (t, params, inv_idf) = (self.tfidf, self.params, &self.inv_idf);
        for r in rows {
            let (cols, vals) = t.matrix.row(r);
            let scale = t.row_scale[r];
            for (&c, &v) in cols.iter().zip(vals) {
                let w = f64::from(v) * scale * inv_idf[c as usize];
                let n = if params.binary {
                    1.0
                } else if params.sublinear_tf {
                    round_count((w - 1.0).exp())
                } else {
                    round_count(w)
                };
                f(r, c, n.max(1.0));
            }
        }
    }
}

/// `w.round()` for `0 ≤ w < 2⁶³` (a count is never negative), without the libm call that
/// `f64::round` compiles to on baseline x86-64: the truncation is exact, and so is `w - r`.
#[inline]
fn round_count(w: f64) -> f64 {
    let r = w as i64 as f64;
    if w - r >= 0.5 { r + 1.0 } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(docs: &[&str], params: &TfidfParams) -> Tfidf {
        fit_transform(docs, params).expect("fit succeeds")
    }

    fn dense(m: &Csr) -> Vec<Vec<f64>> {
        (0..m.rows())
            .map(|r| {
                let mut row = vec![0.0; m.cols()];
                let (c, v) = m.row(r);
                for (&c, &v) in c.iter().zip(v) {
                    row[c as usize] = f64::from(v);
                }
                row
            })
            .collect()
    }

    fn close(a: &[Vec<f64>], b: &[Vec<f64>]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| (p - q).abs() < 1e-6)
            })
    }

    const DF_DOCS: [&str; 3] = ["aa bb cc", "aa bb", "aa"];

    fn vocab_with(min_df: f64, max_df: f64) -> Result<Vec<String>> {
        let p = TfidfParams {
            min_df,
            max_df,
            ..Default::default()
        };
        fit_transform(&DF_DOCS, &p).map(|t| t.vocab)
    }

    #[test]
    fn min_df_whole_numbers_are_counts_and_fractions_scale_with_corpus() {
        assert_eq!(vocab_with(1.0, 1.0).unwrap(), ["aa", "bb", "cc"]);
        assert_eq!(vocab_with(2.0, 1.0).unwrap(), ["aa", "bb"]);
        assert_eq!(vocab_with(3.0, 1.0).unwrap(), ["aa"]);
        // 0.5 of 3 documents = 1.5: df 2 and 3 pass.
        assert_eq!(vocab_with(0.5, 1.0).unwrap(), ["aa", "bb"]);
        assert_eq!(vocab_with(0.0, 1.0).unwrap(), ["aa", "bb", "cc"]);
    }

    #[test]
    fn max_df_fraction_and_count() {
        // 0.5 of 3 = 1.5 documents.
        assert_eq!(vocab_with(1.0, 0.5).unwrap(), ["cc"]);
        // A whole number above 1 is a count.
        assert_eq!(vocab_with(1.0, 2.0).unwrap(), ["bb", "cc"]);
        // 1.0 is the fraction "all documents".
        assert_eq!(vocab_with(1.0, 1.0).unwrap().len(), 3);
    }

    #[test]
    fn max_df_below_min_df_is_a_param_error() {
        assert!(matches!(
            vocab_with(3.0, 2.0),
            Err(Error::Param { name: "max_df", .. })
        ));
        assert!(matches!(
            vocab_with(4.0, 1.0),
            Err(Error::Param { name: "max_df", .. })
        ));
    }

    #[test]
    fn pruning_everything_is_a_usage_error() {
        // 2.7 ≤ df ≤ 2.85 holds for no term.
        let e = vocab_with(0.9, 0.95).unwrap_err();
        assert!(
            matches!(&e, Error::Usage(m) if m.contains("no terms remain")),
            "{e}"
        );
    }

    #[test]
    fn corpus_of_stop_words_or_nothing_is_a_usage_error() {
        let p = TfidfParams {
            stop_words: StopWords::English,
            ..Default::default()
        };
        assert!(matches!(
            fit_transform(&["the and of", "a"], &p),
            Err(Error::Usage(_))
        ));
        assert!(matches!(
            fit_transform(&[], &TfidfParams::default()),
            Err(Error::Usage(_))
        ));
    }

    #[test]
    fn max_features_keeps_most_frequent_and_breaks_ties_by_term_order() {
        let p = TfidfParams {
            max_features: Some(1),
            ..Default::default()
        };
        assert_eq!(fit(&DF_DOCS, &p).vocab, ["aa"]);
        // bb and aa tie (2 each); aa sorts first. cc is rarer.
        assert_eq!(fit(&["bb aa cc", "bb aa"], &p).vocab, ["aa"]);
        let p = TfidfParams {
            max_features: Some(2),
            ..Default::default()
        };
        assert_eq!(fit(&["zz zz zz yy", "yy xx"], &p).vocab, ["yy", "zz"]);
    }

    #[test]
    fn empty_documents_give_empty_rows() {
        let t = fit(&["", "aa bb", "!!"], &TfidfParams::default());
        assert_eq!(t.matrix.rows(), 3);
        assert_eq!(t.matrix.row(0).0.len(), 0);
        assert_eq!(t.matrix.row(2).0.len(), 0);
        assert_eq!(t.df, [1, 1]);
    }

    #[test]
    fn norms_and_weights_follow_scikit_learn() {
        let docs = ["aa aa bb", "bb cc"];
        // idf (smooth): aa, cc: ln(3/2)+1; bb: 1.
        let i1 = (1.5f64).ln() + 1.0;
        let none = TfidfParams {
            norm: Norm::None,
            ..Default::default()
        };
        assert!(close(
            &dense(&fit(&docs, &none).matrix),
            &[vec![2.0 * i1, 1.0, 0.0], vec![0.0, 1.0, i1]]
        ));
        let l1 = TfidfParams {
            norm: Norm::L1,
            ..Default::default()
        };
        let s = 2.0 * i1 + 1.0;
        assert!(close(
            &dense(&fit(&docs, &l1).matrix)[..1],
            &[vec![2.0 * i1 / s, 1.0 / s, 0.0]]
        ));
        let l2 = fit(&docs, &TfidfParams::default());
        let n = (4.0 * i1 * i1 + 1.0).sqrt();
        assert!(close(
            &dense(&l2.matrix)[..1],
            &[vec![2.0 * i1 / n, 1.0 / n, 0.0]]
        ));
        let sub = TfidfParams {
            sublinear_tf: true,
            use_idf: false,
            norm: Norm::None,
            ..Default::default()
        };
        assert!(close(
            &dense(&fit(&docs, &sub).matrix)[..1],
            &[vec![1.0 + 2f64.ln(), 1.0, 0.0]]
        ));
        let raw = TfidfParams {
            smooth_idf: false,
            norm: Norm::None,
            binary: true,
            ..Default::default()
        };
        // idf (not smooth): aa: ln(2/1)+1, binary tf 1.
        assert!(close(
            &dense(&fit(&docs, &raw).matrix)[..1],
            &[vec![2f64.ln() + 1.0, 1.0, 0.0]]
        ));
    }

    #[test]
    fn hashing_reproduces_hashing_vectorizer_signs_and_collisions() {
        // scikit-learn: HashingVectorizer(n_features=4, alternate_sign=True, norm=None / 'l2').
        let docs = ["foo bar foo baz", "hello world", "Bar bar", ""];
        let p = TfidfParams {
            hashing: Some(4),
            norm: Norm::None,
            use_idf: false,
            ..Default::default()
        };
        let t = fit(&docs, &p);
        assert!(t.vocab.is_empty());
        let want = [
            vec![-2.0, 1.0, -1.0, 0.0],
            vec![0.0, -1.0, 0.0, 1.0],
            vec![0.0, 2.0, 0.0, 0.0],
            vec![0.0, 0.0, 0.0, 0.0],
        ];
        assert!(close(&dense(&t.matrix), &want));
        assert_eq!(t.matrix.nnz(), 6);
        let p = TfidfParams {
            hashing: Some(4),
            use_idf: false,
            ..Default::default()
        };
        let r = 1.0 / 6f64.sqrt();
        assert!(close(
            &dense(&fit(&docs, &p).matrix)[..1],
            &[vec![-2.0 * r, r, -r, 0.0]]
        ));
    }

    #[test]
    fn hashing_keeps_cancelled_entries_as_scipy_does() {
        // "foo" (−) and "aj" (+) both hash to column 0 of 4: they cancel to an explicit zero.
        let p = TfidfParams {
            hashing: Some(4),
            norm: Norm::None,
            use_idf: false,
            ..Default::default()
        };
        let t = fit(&["foo aj", "foo"], &p);
        assert_eq!(t.matrix.row(0), (&[0u32][..], &[0.0f32][..]));
        assert_eq!(t.df[0], 2);
    }

    #[test]
    fn output_does_not_depend_on_thread_count_or_chunks() {
        // Enough text for several chunks.
        let words = [
            "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "the", "of",
        ];
        let mut state = 12345u64;
        let docs: Vec<String> = (0..2500)
            .map(|_| {
                (0..60)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        let w = words[(state >> 33) as usize % words.len()];
                        format!("{w}{}", (state >> 40) % 50)
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
        assert!(refs.iter().map(|d| d.len()).sum::<usize>() > 2 * 512 * 1024);
        for params in [
            TfidfParams {
                ngram_range: (1, 2),
                min_df: 2.0,
                max_df: 0.5,
                sublinear_tf: true,
                ..Default::default()
            },
            TfidfParams {
                ngram_range: (1, 3),
                max_features: Some(500),
                ..Default::default()
            },
            TfidfParams {
                hashing: Some(1 << 10),
                ..Default::default()
            },
            TfidfParams {
                stem: true,
                stop_words: StopWords::English,
                ..Default::default()
            },
        ] {
            let run = |threads| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .expect("thread pool")
                    .install(|| fit(&refs, &params))
            };
            let one = run(1);
            assert_eq!(one, run(2));
            // One chunk, and chunks of a few documents, give the same model.
            for bytes in [usize::MAX, 4096] {
                let chunked = fit_chunked(&refs, &params, bytes).expect("fit succeeds");
                assert_eq!(chunked, one, "chunks of {bytes} bytes");
            }
        }
    }

    #[test]
    fn transform_of_fitted_documents_reproduces_the_matrix() {
        let docs = [
            "the cat sat on the mat",
            "the dog sat",
            "a cat and a dog",
            "",
        ];
        for params in [
            TfidfParams {
                ngram_range: (1, 2),
                sublinear_tf: true,
                ..Default::default()
            },
            TfidfParams {
                hashing: Some(16),
                ..Default::default()
            },
        ] {
            let t = fit(&docs, &params);
            assert_eq!(t.transform(&docs, &params).expect("transform"), t.matrix);
        }
        let t = fit(&docs, &TfidfParams::default());
        let m = t
            .transform(&["cat unknownword"], &TfidfParams::default())
            .expect("transform");
        let cat = t
            .vocab
            .iter()
            .position(|v| v == "cat")
            .expect("cat in vocab") as u32;
        assert_eq!(m.row(0), (&[cat][..], &[1.0f32][..]));
    }

    #[test]
    fn transform_rejects_params_of_another_model() {
        let t = fit(&["aa bb"], &TfidfParams::default());
        let p = TfidfParams {
            hashing: Some(8),
            ..Default::default()
        };
        assert!(matches!(
            t.transform(&["aa"], &p),
            Err(Error::Param {
                name: "hashing",
                ..
            })
        ));
    }

    #[test]
    fn check_names_the_bad_parameter() {
        let bad = |p: TfidfParams| match p.check() {
            Err(Error::Param { name, .. }) => name,
            other => panic!("expected a param error, got {other:?}"),
        };
        let d = TfidfParams::default;
        assert_eq!(
            bad(TfidfParams {
                ngram_range: (2, 1),
                ..d()
            }),
            "ngram_range"
        );
        assert_eq!(
            bad(TfidfParams {
                ngram_range: (0, 1),
                ..d()
            }),
            "ngram_range"
        );
        assert_eq!(bad(TfidfParams { min_df: 1.5, ..d() }), "min_df");
        assert_eq!(
            bad(TfidfParams {
                min_df: f64::NAN,
                ..d()
            }),
            "min_df"
        );
        assert_eq!(
            bad(TfidfParams {
                max_df: -0.1,
                ..d()
            }),
            "max_df"
        );
        assert_eq!(bad(TfidfParams { max_df: 2.5, ..d() }), "max_df");
        assert_eq!(
            bad(TfidfParams {
                max_features: Some(0),
                ..d()
            }),
            "max_features"
        );
        assert_eq!(
            bad(TfidfParams {
                hashing: Some(0),
                ..d()
            }),
            "hashing"
        );
        assert_eq!(
            bad(TfidfParams {
                hashing: Some(MAX_HASHING + 1),
                ..d()
            }),
            "hashing"
        );
        assert!(
            TfidfParams {
                hashing: Some(MAX_HASHING),
                ngram_range: (1, MAX_NGRAM),
                ..d()
            }
            .check()
            .is_ok()
        );
        assert_eq!(
            bad(TfidfParams {
                ngram_range: (1, MAX_NGRAM + 1),
                ..d()
            }),
            "ngram_range"
        );
        assert_eq!(
            bad(TfidfParams {
                hashing: Some(8),
                sublinear_tf: true,
                ..d()
            }),
            "sublinear_tf"
        );
        assert_eq!(
            bad(TfidfParams {
                token_pattern: "(".into(),
                ..d()
            }),
            "token_pattern"
        );
        assert!(d().check().is_ok());
    }

    #[test]
    fn params_read_from_toml_with_sklearn_spellings() {
        let p: TfidfParams = toml::from_str(
            "ngram_range = [1, 2]\nstop_words = \"english\"\nnorm = \"none\"\nmin_df = 2\nmax_df = 0.5\n",
        )
        .expect("valid toml");
        assert_eq!(p.ngram_range, (1, 2));
        assert_eq!(p.stop_words, StopWords::English);
        assert_eq!(p.norm, Norm::None);
        assert_eq!(p.min_df, 2.0);
        assert!(p.use_idf && p.lowercase);
        let f: TfidfParams = toml::from_str("stop_words = \"my/stops.txt\"").expect("valid toml");
        assert_eq!(f.stop_words, StopWords::File("my/stops.txt".into()));
        assert!(toml::from_str::<TfidfParams>("bogus = 1").is_err());
        let back: TfidfParams =
            toml::from_str(&toml::to_string(&p).expect("serializes")).expect("round trip");
        assert_eq!(back, p);
    }

    #[test]
    fn missing_stop_word_file_is_an_io_error_naming_it() {
        let p = TfidfParams {
            stop_words: StopWords::File("/nonexistent/stops.txt".into()),
            ..Default::default()
        };
        let e = fit_transform(&["aa"], &p).unwrap_err();
        assert!(
            matches!(&e, Error::Io { path, .. } if path.ends_with("stops.txt")),
            "{e}"
        );
    }

    #[test]
    fn write_produces_matrix_market_and_vocab() {
        let t = fit(&["aa bb", "bb cc"], &TfidfParams::default());
        let dir = tempfile::tempdir().expect("temp dir");
        t.write(dir.path()).expect("write");
        let vocab = std::fs::read_to_string(dir.path().join("vocab.txt")).expect("vocab");
        assert_eq!(vocab, "aa\nbb\ncc\n");
        let mtx = std::fs::read_to_string(dir.path().join("matrix.mtx")).expect("mtx");
        assert!(mtx.starts_with("%%MatrixMarket matrix coordinate real general"));
        assert!(mtx.contains("\n2 3 4\n"));
    }

    #[test]
    fn round_count_is_round_for_non_negative_values() {
        let below_half = 0.5f64.next_down();
        let mut values = vec![
            0.0,
            below_half,
            0.5,
            1.5,
            2.5,
            3.0 - 1e-12,
            1e6 + 0.5,
            4.5e15 + 0.5,
        ];
        values.extend((0..2000).map(|i| f64::from(i) * 0.37));
        values.extend([2f64.powi(52) + 1.0, 2f64.powi(60) + 2048.0, 9.2e18]);
        for w in values {
            assert_eq!(round_count(w).to_bits(), w.round().to_bits(), "{w}");
        }
    }

    #[test]
    fn stems_of_different_words_are_one_term_with_summed_counts() {
        // Words only: each chunk-local feature is its (stemmed) word.
        let params = TfidfParams {
            stem: true,
            norm: Norm::None,
            use_idf: false,
            ..Default::default()
        };
        let docs = ["Running runs quickly", "run ran", "quick runner"];
        let t = fit(&docs, &params);
        let col = |w: &str| t.vocab.iter().position(|v| v == w).expect(w) as u32;
        let mut counts = vec![(0usize, 0u32, 0.0); 0];
        t.for_each_count(0..3, &params, |r, c, n| counts.push((r, c, n)));
        let (run, quick) = (col("run"), col("quick"));
        assert!(counts.contains(&(0, run, 2.0)), "{counts:?} {:?}", t.vocab);
        assert!(counts.contains(&(0, quick, 1.0)));
        assert!(counts.contains(&(1, run, 1.0)));
        let df: Vec<(&str, u32)> = t
            .vocab
            .iter()
            .map(String::as_str)
            .zip(t.df.clone())
            .collect();
        assert_eq!(df, [("quick", 2), ("ran", 1), ("run", 2), ("runner", 1)]);
    }

    #[test]
    fn counts_are_recovered_exactly_from_the_matrix() {
        // Counts from 1 to 4,000 in one row, under every weighting that changes the values.
        let big = vec!["zeta"; 4000].join(" ");
        let docs = [
            "alpha beta beta gamma gamma gamma",
            "beta delta delta delta delta delta delta delta",
            big.as_str(),
            "alpha zeta zeta",
        ];
        let analyzer = Analyzer::new(&TfidfParams::default()).unwrap();
        for (sublinear_tf, binary, norm, use_idf) in [
            (false, false, Norm::L2, true),
            (true, false, Norm::L2, true),
            (false, true, Norm::L2, true),
            (true, false, Norm::L1, false),
            (false, false, Norm::None, true),
        ] {
            let params = TfidfParams {
                sublinear_tf,
                binary,
                norm,
                use_idf,
                ..TfidfParams::default()
            };
            let t = fit(&docs, &params);
            let mut got: Vec<(usize, String, f64)> = Vec::new();
            t.for_each_count(0..docs.len(), &params, |r, c, n| {
                got.push((r, t.vocab[c as usize].clone(), n))
            });
            let mut want: Vec<(usize, String, f64)> = Vec::new();
            for (r, d) in docs.iter().enumerate() {
                let mut m: std::collections::BTreeMap<String, f64> = Default::default();
                for term in analyzer.terms(d) {
                    *m.entry(term).or_default() += 1.0;
                }
                want.extend(
                    m.into_iter()
                        .map(|(term, n)| (r, term, if binary { 1.0 } else { n })),
                );
            }
            assert_eq!(
                got, want,
                "sublinear {sublinear_tf} binary {binary} {norm:?}"
            );
        }
    }
}
