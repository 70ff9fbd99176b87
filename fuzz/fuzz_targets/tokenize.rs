//! Fuzzes the tokenizer: the default analyzer, and one with stop words, stemming and 1–3-grams.
#![no_main]

use std::sync::OnceLock;

use themata::vectorize::{Analyzer, StopWords, TfidfParams};

/// Built once: compiling a pattern and a stop-word set per input would dominate the run.
fn analyzers() -> &'static (Analyzer, Analyzer) {
    static A: OnceLock<(Analyzer, Analyzer)> = OnceLock::new();
    A.get_or_init(|| {
        let plain = Analyzer::new(&TfidfParams::default()).expect("default params are valid");
        let full = Analyzer::new(&TfidfParams {
            stop_words: StopWords::English,
            stem: true,
            ngram_range: (1, 3),
            ..TfidfParams::default()
        })
        .expect("these params are valid");
        (plain, full)
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (plain, full) = analyzers();
    let _ = plain.terms(&text);
    for t in full.terms(&text) {
        assert!(!t.is_empty());
    }
    // The one-call entry point builds its own analyzer; exercise it on short inputs only.
    if data.len() < 64 {
        let _ = themata::vectorize::tokenize(&text, &TfidfParams::default());
    }
});
