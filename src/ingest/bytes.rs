//! Ingest of one file already in memory: the same readers as [`super::load`] (format chosen by the
//! name's extension, the same warnings and errors), fed from a byte slice instead of the disk.
//!
//! In: a file name and its bytes. Out: a [`Corpus`]. The fuzz targets in `fuzz/` drive the
//! parsers through it, and callers that already hold the bytes (an upload, a test) need no
//! temporary file.

use std::path::{Path, PathBuf};

use super::{CleanParams, Cleaner, Corpus, Format, IngestParams, Reader, cleaner_for, format_of};
use crate::error::Result;

/// Reads one file's bytes as [`super::load`] would read the file `name` (`.jsonl[.gz]`/`.ndjson`
/// are JSON Lines, `.csv`/`.tsv` have a header row, anything else is one plain-text article).
///
/// ```
/// use themata::ingest::{load_bytes, CleanParams, IngestParams};
/// let corpus = load_bytes(
///     "notes.jsonl",
///     b"{\"id\": \"a\", \"text\": \"Bees visit the clover.\"}\n",
///     &IngestParams::default(),
///     &CleanParams::default(),
/// )?;
/// assert_eq!(corpus.articles[0].text, "Bees visit the clover.");
/// # Ok::<(), themata::Error>(())
/// ```
pub fn load_bytes(
    name: &str,
    bytes: &[u8],
    params: &IngestParams,
    clean: &CleanParams,
) -> Result<Corpus> {
    load_bytes_using(name, bytes, params, cleaner_for(params, clean)?.as_ref())
}

/// [`load_bytes`] with the cleaning rules already compiled, for callers that read many files
/// (the fuzz targets compile them once, not once per input).
pub fn load_bytes_with(
    name: &str,
    bytes: &[u8],
    params: &IngestParams,
    cleaner: &Cleaner,
) -> Result<Corpus> {
    load_bytes_using(name, bytes, params, Some(cleaner))
}

fn load_bytes_using(
    name: &str,
    bytes: &[u8],
    params: &IngestParams,
    cleaner: Option<&Cleaner>,
) -> Result<Corpus> {
    let date_rules = super::date_rules_for(params)?;
    let mut reader = Reader::new(params, cleaner, date_rules.as_ref());
    let path = PathBuf::from(name);
    read(&mut reader, &path, bytes)?;
    reader.finish(&[path])
}

fn read(reader: &mut Reader<'_>, path: &Path, bytes: &[u8]) -> Result<()> {
    match format_of(path) {
        Format::Text => reader.read_text(path, bytes.to_vec()),
        Format::JsonLines { gz: false } => reader.read_jsonl_from(path, bytes, false),
        Format::JsonLines { gz: true } => reader.read_jsonl_from(
            path,
            super::capped::gunzip(bytes, reader.params.max_decompressed_bytes),
            true,
        ),
        Format::Csv { delimiter } => reader.read_csv_from(path, delimiter, bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_bytes_reads_as_load_does() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jsonl/articles.jsonl");
        let params = IngestParams {
            label_field: "label".into(),
            ..IngestParams::default()
        };
        let from_disk = super::super::load(
            std::slice::from_ref(&path),
            &params,
            &CleanParams::default(),
        )
        .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        let in_memory = load_bytes(&name, &bytes, &params, &CleanParams::default()).unwrap();
        assert_eq!(in_memory, from_disk);
    }

    #[test]
    fn gz_bytes_past_max_decompressed_bytes_are_refused() {
        use std::io::Write;
        let record = b"{\"text\": \"Bees visit the clover.\"}\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for _ in 0..100 {
            gz.write_all(record).unwrap();
        }
        let gz = gz.finish().unwrap();
        let capped = |max| IngestParams {
            max_decompressed_bytes: max,
            ..IngestParams::default()
        };
        // Each record counts its bytes plus RECORD_COST, so a bomb of tiny records is bounded
        // by what it costs in memory, not by its few bytes.
        let bytes = 100 * record.len() as u64;
        let whole = bytes + 100 * super::super::capped::RECORD_COST;
        let clean = CleanParams::default();
        for max in [bytes, whole - 1] {
            let e = load_bytes("b.jsonl.gz", &gz, &capped(max), &clean).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(
                e.to_string().contains("ingest.max_decompressed_bytes"),
                "{e}"
            );
        }
        for max in [whole, 0] {
            let c = load_bytes("b.jsonl.gz", &gz, &capped(max), &clean).unwrap();
            assert_eq!(c.articles.len(), 100);
        }
    }
}
