//! Fuzzes the csv reader (with cleaning and unit splitting) through `ingest::load_bytes`.
#![no_main]

#[path = "../common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::check("input.csv", data);
    common::check("input.tsv", data);
});
