//! Property tests of the vectorizer: tokenising never panics, and l2 rows have unit length.

use proptest::prelude::*;
use themata::vectorize::{StopWords, TfidfParams, fit_transform, tokenize};

fn params() -> impl Strategy<Value = TfidfParams> {
    (
        any::<bool>(),
        1usize..3,
        0usize..2,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(1usize..64),
    )
        .prop_map(
            |(lowercase, lo, extra, english, stem, sublinear, hashing)| TfidfParams {
                lowercase,
                ngram_range: (lo, lo + extra),
                stop_words: if english {
                    StopWords::English
                } else {
                    StopWords::None
                },
                stem,
                sublinear_tf: sublinear && hashing.is_none(),
                hashing,
                ..Default::default()
            },
        )
}

proptest! {
    #[test]
    fn tokenising_never_panics(text in any::<String>(), p in params()) {
        let terms = tokenize(&text, &p).expect("valid params");
        prop_assert!(terms.iter().all(|t| !t.is_empty()));
    }

    #[test]
    fn tokenising_unicode_heavy_text_never_panics(text in "[\\PC\\p{M}\\p{Lu}İΣς_ ]{0,200}", p in params()) {
        tokenize(&text, &p).expect("valid params");
    }

    #[test]
    fn l2_rows_have_unit_norm_or_are_empty(
        docs in prop::collection::vec("[a-dA-D İé_0-9]{0,40}", 1..12),
        p in params(),
    ) {
        let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
        match fit_transform(&refs, &p) {
            Ok(t) => {
                for r in 0..t.matrix.rows() {
                    let (_, vals) = t.matrix.row(r);
                    let norm: f64 = vals.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>().sqrt();
                    // Hashed entries can cancel to all-zero rows, which stay zero.
                    prop_assert!(vals.is_empty() || (norm - 1.0).abs() < 1e-5 || norm == 0.0, "row {r} norm {norm}");
                }
            }
            // A corpus with no terms at all is an error, not a panic.
            Err(themata::Error::Usage(_)) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}
