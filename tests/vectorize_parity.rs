//! Parity with scikit-learn on the five seed documents: vocabulary equal, every value within 1e-6.
//! Fixtures come from `tools/sklearn_fixtures.sh`; these tests need no Python.

use std::collections::BTreeMap;
use std::path::Path;

use themata::sparse::Csr;
use themata::vectorize::{Norm, StopWords, TfidfParams, fit_transform};

fn seeds() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("seeds/ exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("seed is UTF-8"))
        .collect()
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sklearn")
        .join(name)
}

/// Parses a Matrix Market coordinate file into its shape and a map of (row, col) → value.
fn read_mtx(path: &Path) -> ((usize, usize), BTreeMap<(usize, usize), f64>) {
    let text = std::fs::read_to_string(path).expect("fixture readable");
    let mut lines = text
        .lines()
        .filter(|l| !l.starts_with('%') && !l.trim().is_empty());
    let head: Vec<usize> = lines
        .next()
        .expect("size line")
        .split_whitespace()
        .map(|x| x.parse().expect("size"))
        .collect();
    let mut m = BTreeMap::new();
    for l in lines {
        let f: Vec<&str> = l.split_whitespace().collect();
        let (r, c): (usize, usize) = (f[0].parse().expect("row"), f[1].parse().expect("col"));
        m.insert((r - 1, c - 1), f[2].parse::<f64>().expect("value"));
    }
    assert_eq!(m.len(), head[2], "nnz line");
    ((head[0], head[1]), m)
}

fn max_abs_diff(ours: &Csr, theirs: &BTreeMap<(usize, usize), f64>) -> f64 {
    let mut mine = BTreeMap::new();
    for r in 0..ours.rows() {
        let (cols, vals) = ours.row(r);
        for (&c, &v) in cols.iter().zip(vals) {
            mine.insert((r, c as usize), f64::from(v));
        }
    }
    let keys: std::collections::BTreeSet<_> = mine.keys().chain(theirs.keys()).copied().collect();
    keys.iter()
        .map(|k| {
            (mine.get(k).copied().unwrap_or(0.0) - theirs.get(k).copied().unwrap_or(0.0)).abs()
        })
        .fold(0.0, f64::max)
}

fn check(name: &str, params: &TfidfParams) {
    let docs = seeds();
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let t = fit_transform(&refs, params).expect("fit");
    let vocab: Vec<String> = std::fs::read_to_string(fixture(name).join("vocab.txt"))
        .expect("vocab fixture")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(t.vocab, vocab, "vocabulary differs from scikit-learn's");
    let (shape, m) = read_mtx(&fixture(name).join("matrix.mtx"));
    assert_eq!((t.matrix.rows(), t.matrix.cols()), shape);
    let d = max_abs_diff(&t.matrix, &m);
    assert!(d <= 1e-6, "max abs diff {d}");
}

#[test]
fn seeds_match_sklearn_defaults() {
    check("defaults", &TfidfParams::default());
}

#[test]
fn seeds_match_sklearn_bigram_settings() {
    check(
        "bigram",
        &TfidfParams {
            ngram_range: (1, 2),
            min_df: 2.0,
            max_df: 0.5,
            sublinear_tf: true,
            stop_words: StopWords::English,
            ..Default::default()
        },
    );
}

#[test]
fn seeds_match_sklearn_hashing_vectorizer() {
    let docs = seeds();
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let p = TfidfParams {
        hashing: Some(64),
        norm: Norm::None,
        use_idf: false,
        ..Default::default()
    };
    let t = fit_transform(&refs, &p).expect("fit");
    assert!(t.vocab.is_empty());
    let (shape, m) = read_mtx(&fixture("hashing").join("matrix.mtx"));
    assert_eq!((t.matrix.rows(), t.matrix.cols()), shape);
    assert_eq!(
        max_abs_diff(&t.matrix, &m),
        0.0,
        "hashed counts are integers and must be equal"
    );
}
