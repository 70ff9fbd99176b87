//! What every ingest target checks after a successful read: the corpus cuts into units of each
//! kind, and every unit's span slices its article's text on character boundaries.

use themata::ingest::{CleanParams, Corpus, IngestParams, load_bytes};
use themata::units::{UnitKind, UnitParams, split};

/// Options picked by the first input byte, so one target covers strict/lossy, cleaning on/off
/// and skipping bad records.
pub fn params(flags: u8) -> IngestParams {
    IngestParams {
        strict: flags & 1 != 0,
        clean: flags & 2 == 0,
        skip_bad_records: flags & 4 != 0,
        label_field: if flags & 8 != 0 { "label".into() } else { String::new() },
        ..IngestParams::default()
    }
}

/// Reads `data[1..]` as the file `name` and checks the units; errors are fine, panics are not.
pub fn check(name: &str, data: &[u8]) {
    let Some((&flags, bytes)) = data.split_first() else {
        return;
    };
    if let Ok(corpus) = load_bytes(name, bytes, &params(flags), &CleanParams::default()) {
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
