//! run.json's bytes: the writer that renders the long lists in parallel gives exactly the
//! whole report serialised in one pass with the same layout.

mod common;

use serde::Serialize;
use themata::report::{self, Outline, RunReport};

fn one_pass(r: &RunReport) -> String {
    let mut out = Vec::new();
    r.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out,
        Outline::default(),
    ))
    .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn parallel_lists_give_the_bytes_of_one_pass() {
    // More units than one parallel batch, fewer articles than one chunk.
    let mut r = common::synthetic(4, 300, 20_000);
    // Text that looks like the layout's own keys must not be taken for them.
    r.articles[0].title = Some("\n  \"units\": []".into());
    r.name = "\n  \"articles\": []".into();
    same(&report::to_json(&r).unwrap(), &one_pass(&r));
}

/// Equal texts, or a panic naming where they first differ (not printing megabytes).
fn same(got: &str, want: &str) {
    if let Some(i) = got.bytes().zip(want.bytes()).position(|(a, b)| a != b) {
        let at = |s: &str| s[i.saturating_sub(40)..(i + 40).min(s.len())].to_string();
        panic!("differ at byte {i}: {:?} vs {:?}", at(got), at(want));
    }
    assert_eq!(got.len(), want.len(), "one text is a prefix of the other");
}

#[test]
fn empty_lists_are_written_as_one_pass_writes_them() {
    let mut r = common::synthetic(2, 5, 5);
    r.units.clear();
    same(&report::to_json(&r).unwrap(), &one_pass(&r));
    r.articles.clear();
    same(&report::to_json(&r).unwrap(), &one_pass(&r));
}
