//! Fuzzes what `themata chart` and `themata eval` read back: bytes → run.json → validate →
//! themes.md, assignments.csv, report.html, every chart as SVG, and the eval scores. A report
//! that validates must render without a panic; one that doesn't is refused, never indexed.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use themata::chart::{ChartFormat, draw_all};
use themata::eval::Contingency;
use themata::report::{self, RunReport};

/// One scratch folder per process for the charts (libFuzzer runs inputs one at a time).
fn charts_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| std::env::temp_dir().join(format!("themata-fuzz-{}", std::process::id())))
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(r) = serde_json::from_slice::<RunReport>(data) else {
        return;
    };
    if r.validate().is_err() {
        return;
    }
    let _ = report::markdown::render(&r);
    let _ = report::to_csv(&r);
    // A fresh folder per input, so report.html never embeds an earlier input's chart.
    let _ = std::fs::remove_dir_all(charts_dir());
    let _ = draw_all(&r, charts_dir(), &[ChartFormat::Svg]);
    let _ = report::html::render(&r, charts_dir());
    // What `themata eval` scores: the units' themes against their articles' labels.
    let truth: Vec<Option<&str>> = r
        .units
        .iter()
        .map(|u| r.articles[u.article].label.as_deref())
        .collect();
    let pred: Vec<usize> = r.units.iter().map(|u| u.theme).collect();
    let c = Contingency::new(&truth, &pred);
    let _ = (c.nmi(), c.ari(), c.v_measure(), c.purity());
});
