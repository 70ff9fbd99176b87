//! Properties of the vectorizer: tokenising any text never panics, and every TF-IDF row that
//! holds a term has unit L2 norm.

use proptest::prelude::*;
use themata::vectorize::{Analyzer, Norm, StopWords, TfidfParams, fit_transform, tokenize};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn tokenising_never_panics(text in any::<String>(), stem in any::<bool>(), hi in 1usize..4) {
        let params = TfidfParams {
            stop_words: StopWords::English,
            stem,
            ngram_range: (1, hi),
            ..TfidfParams::default()
        };
        let terms = tokenize(&text, &params).unwrap();
        prop_assert!(terms.iter().all(|t| !t.is_empty()));
        let _ = Analyzer::new(&TfidfParams::default()).unwrap().terms(&text);
    }

    #[test]
    fn tfidf_rows_have_unit_l2_norm(
        docs in prop::collection::vec("([a-e]{2,4}[ .,\n]{1,2}){0,30}", 2..12),
        sublinear in any::<bool>(),
    ) {
        let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
        let params = TfidfParams {
            sublinear_tf: sublinear,
            norm: Norm::L2,
            ..TfidfParams::default()
        };
        // An empty vocabulary is an error, not a panic; otherwise every non-empty row is unit.
        let Ok(t) = fit_transform(&refs, &params) else { return Ok(()); };
        prop_assert_eq!(t.matrix.rows(), docs.len());
        for r in 0..t.matrix.rows() {
            let (_, vals) = t.matrix.row(r);
            if vals.is_empty() {
                continue;
            }
            let norm: f64 = vals.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>().sqrt();
            prop_assert!((norm - 1.0).abs() < 1e-4, "row {} has norm {}", r, norm);
        }
    }
}
