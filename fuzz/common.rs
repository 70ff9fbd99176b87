//! What every ingest target checks after a successful read: the corpus cuts into units of each
//! kind, and every unit's span slices its article's text on character boundaries.

use std::sync::OnceLock;

use themata::ingest::{CleanParams, Cleaner, Corpus, IngestParams, load_bytes_with};
use themata::units::{UnitKind, UnitParams, split};

/// Options picked by the first input byte, so one target covers strict/lossy, cleaning on/off
/// and skipping bad records.
pub fn params(flags: u8) -> IngestParams {
    IngestParams {
        strict: flags & 1 != 0,
        clean: flags & 2 == 0,
        skip_bad_records: flags & 4 != 0,
        label_field: if flags & 8 != 0 {
            "label".into()
        } else {
            String::new()
        },
        ..IngestParams::default()
    }
}

/// Reads `data[1..]` as the file `name` and checks the units; errors are fine, panics are not.
pub fn check(name: &str, data: &[u8]) {
    let Some((&flags, bytes)) = data.split_first() else {
        return;
    };
    // Compiling the cleaning rules dominates a small input's cost: do it once.
    static CLEANER: OnceLock<Cleaner> = OnceLock::new();
    let cleaner = CLEANER
        .get_or_init(|| Cleaner::new(&CleanParams::default()).expect("default rules compile"));
    if let Ok(corpus) = load_bytes_with(name, bytes, &params(flags), cleaner) {
        check_units(&corpus);
    }
}

fn check_units(corpus: &Corpus) {
    for unit in [UnitKind::Paragraph, UnitKind::Document, UnitKind::Window] {
        let p = UnitParams {
            unit,
            ..UnitParams::default()
        };
        let units = split(corpus, &p).expect("default unit params are valid");
        for u in &units.units {
            let text = &corpus.articles[u.article].text;
            assert!(u.start <= u.end && u.end <= text.len());
            assert!(text.is_char_boundary(u.start) && text.is_char_boundary(u.end));
        }
    }
}
