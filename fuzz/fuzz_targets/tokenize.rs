//! Fuzzes the tokenizer: the default analyzer, and one with stop words, stemming and bigrams.
#![no_main]

use themata::vectorize::{Analyzer, StopWords, TfidfParams};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let plain = Analyzer::new(&TfidfParams::default()).expect("default params are valid");
    let _ = plain.terms(&text);
    let full = Analyzer::new(&TfidfParams {
        stop_words: StopWords::English,
        stem: true,
        ngram_range: (1, 3),
        ..TfidfParams::default()
    })
    .expect("these params are valid");
    for t in full.terms(&text) {
        assert!(!t.is_empty());
    }
    let _ = themata::vectorize::tokenize(&text, &TfidfParams::default());
});
