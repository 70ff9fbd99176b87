//! Report stage: the run's result as files a person or a program reads.
//!
//! In: the [`RunReport`] assembled by the pipeline. Out: `run.json`, `assignments.csv`,
//! `themes.md` (and, from [`html`], `report.html`), each an exporter over the same in-memory
//! result, written into a [`RunDir`](crate::rundir::RunDir).

pub mod html;
pub mod markdown;
pub mod model;
pub mod over_time;
pub mod validate;

use std::path::Path;

pub use model::*;

use crate::error::{Error, Result};

/// `run.json`: the whole report, laid out by [`Outline`].
pub fn to_json(report: &RunReport) -> Result<String> {
    let mut out = Vec::new();
    write_json(report, &mut out)?;
    String::from_utf8(out).map_err(json_error)
}

/// Streams `run.json` (laid out as [`to_json`]) into `w`, without building the text in memory
/// first: on a large corpus the unit texts alone are the size of the corpus.
///
/// The two lists as long as the corpus (articles and units, one line each) are rendered in
/// parallel, a bounded batch at a time, and spliced into the rest of the report where it holds
/// them empty; the bytes are exactly those of serialising the whole report with [`Outline`]
/// (`tests/run_json.rs`). (20 Newsgroups: 8.6 MB, most of the report stage's time on one
/// thread.)
pub fn write_json<W: std::io::Write>(report: &RunReport, mut w: W) -> Result<()> {
    use serde::Serialize;
    let RunReport {
        themata_version,
        name,
        inputs,
        config,
        corpus,
        articles,
        themes,
        units,
        similarity,
        hierarchy,
        k_selection,
        projection,
        scores,
        coherence,
        timings,
        warnings,
        named_themes,
        themes_over_time,
        cleaning: _,
        assignment,
    } = report;
    let rest = RunReport {
        themata_version: themata_version.clone(),
        name: name.clone(),
        inputs: inputs.clone(),
        config: config.clone(),
        corpus: corpus.clone(),
        articles: Vec::new(),
        themes: themes.clone(),
        units: Vec::new(),
        similarity: similarity.clone(),
        hierarchy: hierarchy.clone(),
        k_selection: k_selection.clone(),
        projection: projection.clone(),
        scores: scores.clone(),
        coherence: coherence.clone(),
        timings: timings.clone(),
        warnings: warnings.clone(),
        named_themes: named_themes.clone(),
        themes_over_time: themes_over_time.clone(),
        cleaning: Vec::new(),
        assignment: assignment.clone(),
    };
    let mut text = Vec::new();
    rest.serialize(&mut serde_json::Serializer::with_formatter(
        &mut text,
        Outline::default(),
    ))
    .map_err(json_error)?;
    // A top-level key is the only thing that follows a line break and two spaces (strings
    // escape their line breaks), so each pattern occurs exactly once.
    let at = |key: &str| {
        let pat = format!("\n  \"{key}\": []");
        text.windows(pat.len())
            .position(|w| w == pat.as_bytes())
            .map(|p| p + pat.len() - 2)
            .ok_or_else(|| json_error(format!("no empty `{key}` in the report's outline")))
    };
    let (a, u) = (at("articles")?, at("units")?);
    let (first, second) = if a < u { (a, u) } else { (u, a) };
    let list = |w: &mut W, at: usize| -> Result<()> {
        if at == a {
            write_lines(w, articles)
        } else {
            write_lines(w, units)
        }
    };
    w.write_all(&text[..first]).map_err(json_error)?;
    list(&mut w, first)?;
    w.write_all(&text[first + 2..second]).map_err(json_error)?;
    list(&mut w, second)?;
    w.write_all(&text[second + 2..]).map_err(json_error)?;
    w.flush().map_err(json_error)
}

/// A failure to serialise or write run.json, as the internal error every part of its writing
/// reports.
fn json_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("run.json: {e}"))
}

/// Elements of a top-level list rendered per parallel batch: the rendering holds one batch's
/// text, whatever the number of elements (a few megabytes, or 8,192 units' texts when run.json
/// keeps every unit's text).
const JSON_BATCH: usize = 8192;

/// Writes `items` as [`Outline`] lays out a top-level list: one compact element per line,
/// indented four spaces. Batches of [`JSON_BATCH`] elements are rendered in parallel chunks and
/// written in order.
fn write_lines<W: std::io::Write, T: serde::Serialize + Sync>(
    w: &mut W,
    items: &[T],
) -> Result<()> {
    use rayon::prelude::*;
    if items.is_empty() {
        return w.write_all(b"[]").map_err(json_error);
    }
    w.write_all(b"[").map_err(json_error)?;
    for (b, batch) in items.chunks(JSON_BATCH).enumerate() {
        let parts: Vec<Vec<u8>> = batch
            .par_chunks(512)
            .enumerate()
            .map(|(c, chunk)| {
                let mut buf = Vec::new();
                for (i, item) in chunk.iter().enumerate() {
                    let first = b == 0 && c == 0 && i == 0;
                    buf.extend_from_slice(if first { b"\n    " } else { b",\n    " });
                    serde_json::to_writer(&mut buf, item).map_err(json_error)?;
                }
                Ok(buf)
            })
            .collect::<Result<_>>()?;
        for p in parts {
            w.write_all(&p).map_err(json_error)?;
        }
    }
    w.write_all(b"\n  ]").map_err(json_error)
}

/// A JSON layout with one line per top-level key and per element of a top-level list (a unit, an
/// article, a theme), each such element compact on its line: as easy to read and grep as
/// pretty-printing, and about half its size on a large corpus (the 18,769-document 20 Newsgroups
/// run.json: 8.5 MB, against 15.7 MB pretty-printed with one line per number).
#[derive(Debug, Default)]
pub struct Outline {
    depth: usize,
    has_value: bool,
}

/// Containers nested up to this depth put each member on its own line.
const OUTLINE_DEPTH: usize = 2;

impl Outline {
    fn line<W: ?Sized + std::io::Write>(&self, w: &mut W, depth: usize) -> std::io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, b: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b)
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, b: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.depth < OUTLINE_DEPTH && self.has_value {
            self.line(w, self.depth)?;
        }
        w.write_all(b)
    }

    fn member<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        if self.depth <= OUTLINE_DEPTH {
            self.line(w, self.depth)?;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for Outline {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.member(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.member(w, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(if self.depth <= OUTLINE_DEPTH {
            b": "
        } else {
            b":"
        })
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Reads a `run.json` back (for `themata chart` and `themata eval`) and
/// [validates](RunReport::validate) it: a file that is not a run.json, too large, or whose
/// indices and shapes do not hold is an [`Error::Input`] naming the file and the field.
pub fn read_json(path: &Path) -> Result<RunReport> {
    let input = |record: Option<String>, message: String| Error::Input {
        path: path.into(),
        record,
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if size > validate::MAX_RUN_JSON_BYTES {
        return Err(input(
            None,
            format!(
                "{} MiB, more than the {} MiB a run.json may be",
                size >> 20,
                validate::MAX_RUN_JSON_BYTES >> 20
            ),
        ));
    }
    let mut text = Vec::with_capacity(size as usize);
    std::io::Read::read_to_end(&mut std::io::Read::take(file, size), &mut text)
        .map_err(|e| Error::io(path, e))?;
    let report: RunReport = serde_json::from_slice(&text).map_err(|e| {
        input(
            Some(format!("line {}", e.line())),
            format!("not a themata run.json: {e}"),
        )
    })?;
    report
        .validate()
        .map_err(|v| input(Some(v.field), v.message))?;
    Ok(report)
}

/// `assignments.csv`: one row per unit,
/// `unit_id,article_id,ordinal,start,end,theme_id,theme_label`, then `label` when the corpus has
/// labels, `date` (the article's, ISO 8601 at its precision; empty when undated) when it has
/// dates, and for `themata assign`'s report `similarity` (to the theme's centroid, 6 decimals)
/// and `outlier` (`true`/`false`).
pub fn to_csv(report: &RunReport) -> Result<String> {
    use rayon::prelude::*;
    use std::fmt::Write as _;
    let labelled = report.articles.iter().any(|a| a.label.is_some());
    let dated = report.articles.iter().any(|a| a.date.is_some());
    let assigned = report.assignment.as_ref();
    let mut header = csv_header(labelled);
    if dated {
        header.push("date");
    }
    if assigned.is_some() {
        header.extend(["similarity", "outlier"]);
    }
    let done = |w: csv::Writer<Vec<u8>>| w.into_inner().map_err(csv_error);
    let mut head = csv::Writer::from_writer(Vec::new());
    head.write_record(&header).map_err(csv_error)?;
    let mut out = done(head)?;
    // Fixed chunks of rows, each written by its own writer in parallel, joined in order: a
    // writer quotes a field by its bytes alone, so the result is what one writer would give.
    // Fields go straight to the writer, numbers through one reused buffer: no strings per row.
    // (20 Newsgroups, 18,846 rows: 15 → 7 ms a call, medians of three runs of 20 calls; the
    // one call of a run is beside report.html's rendering, so the run gains less.)
    let parts: Vec<Vec<u8>> = report
        .units
        .par_chunks(CSV_ROWS)
        .map(|units| -> Result<Vec<u8>> {
            let mut w = csv::Writer::from_writer(Vec::with_capacity(units.len() * 64));
            let mut num = String::new();
            let mut sim = String::new();
            let mut number = |w: &mut csv::Writer<Vec<u8>>, n: usize| {
                num.clear();
                let _ = write!(num, "{n}");
                w.write_field(&num)
            };
            for u in units {
                let a = &report.articles[u.article];
                number(&mut w, u.id).map_err(csv_error)?;
                w.write_field(&a.id).map_err(csv_error)?;
                number(&mut w, u.ordinal).map_err(csv_error)?;
                number(&mut w, u.start).map_err(csv_error)?;
                number(&mut w, u.end).map_err(csv_error)?;
                number(&mut w, u.theme).map_err(csv_error)?;
                w.write_field(&report.themes[u.theme].label)
                    .map_err(csv_error)?;
                if labelled {
                    w.write_field(a.label.as_deref().unwrap_or_default())
                        .map_err(csv_error)?;
                }
                if dated {
                    w.write_field(a.date.as_deref().unwrap_or_default())
                        .map_err(csv_error)?;
                }
                if let Some(x) = assigned {
                    sim.clear();
                    let _ = write!(sim, "{:.6}", u.score);
                    w.write_field(&sim).map_err(csv_error)?;
                    let outlier = x.outliers.binary_search(&u.id).is_ok();
                    w.write_field(if outlier { "true" } else { "false" })
                        .map_err(csv_error)?;
                }
                w.write_record(None::<&[u8]>).map_err(csv_error)?;
            }
            done(w)
        })
        .collect::<Result<_>>()?;
    out.reserve(parts.iter().map(Vec::len).sum());
    for p in parts {
        out.extend_from_slice(&p);
    }
    String::from_utf8(out).map_err(csv_error)
}

/// `cleaning.csv`: every line cleaning removed from the analysed text,
/// `article_id,line,rule,text` (line numbers from 1 in the record's text; the rule is its config
/// key, such as `line_patterns[4]` or `date_line`). Only a header when nothing was removed.
pub fn cleaning_csv(report: &RunReport) -> Result<String> {
    fn err(e: impl std::fmt::Display) -> Error {
        Error::Internal(format!("cleaning.csv: {e}"))
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["article_id", "line", "rule", "text"])
        .map_err(err)?;
    for r in &report.cleaning {
        let d = &r.dropped;
        w.write_record([
            r.article_id.as_str(),
            &d.line.to_string(),
            &d.rule.to_string(),
            &d.text,
        ])
        .map_err(err)?;
    }
    String::from_utf8(w.into_inner().map_err(err)?).map_err(err)
}

/// A failure to write `assignments.csv`, as the internal error every part of its writing reports.
fn csv_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("assignments.csv: {e}"))
}

/// The columns of `assignments.csv`.
fn csv_header(labelled: bool) -> Vec<&'static str> {
    let mut header = vec![
        "unit_id",
        "article_id",
        "ordinal",
        "start",
        "end",
        "theme_id",
        "theme_label",
    ];
    if labelled {
        header.push("label");
    }
    header
}

/// Rows of `assignments.csv` written per parallel task.
const CSV_ROWS: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;

    /// A report of `n` units over a few articles whose ids, labels and theme labels need
    /// quoting (commas, quotes, line breaks), with or without labels.
    fn report(n: usize, labelled: bool) -> RunReport {
        let names = [
            "plain",
            "with, comma",
            "with \"quotes\"",
            "two\nlines",
            "",
            "é ü",
        ];
        let articles = (0..7)
            .map(|i| ArticleInfo {
                id: format!("{}-{i}", names[i % names.len()]),
                title: None,
                source: String::new(),
                label: labelled.then(|| names[(i + 2) % names.len()].to_string()),
                units: 0,
                mix: Vec::new(),
                date: None,
            })
            .collect();
        let themes = (0..3)
            .map(|id| ThemeInfo {
                id,
                label: names[(id + 1) % names.len()].into(),
                named: None,
                size: 0,
                terms: Vec::new(),
                representatives: Vec::new(),
                cohesion: 0.0,
                coherence: None,
                xy: [0.0; 2],
                articles: Vec::new(),
            })
            .collect();
        let units = (0..n)
            .map(|id| UnitRecord {
                id,
                article: id % 7,
                ordinal: id / 7,
                start: id * 10,
                end: id * 10 + 9,
                text: String::new(),
                theme: id % 3,
                score: 0.0,
                xy: [0.0; 2],
            })
            .collect();
        RunReport {
            articles,
            themes,
            units,
            ..Default::default()
        }
    }

    #[test]
    fn assignments_written_in_parallel_chunks_are_the_bytes_of_one_writer() {
        for labelled in [false, true] {
            // Over two chunks and a partial third, so rows meet at chunk boundaries.
            let r = report(2 * CSV_ROWS + 77, labelled);
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(csv_header(labelled)).unwrap();
            for u in &r.units {
                let a = &r.articles[u.article];
                let mut row = vec![
                    u.id.to_string(),
                    a.id.clone(),
                    u.ordinal.to_string(),
                    u.start.to_string(),
                    u.end.to_string(),
                    u.theme.to_string(),
                    r.themes[u.theme].label.clone(),
                ];
                if labelled {
                    row.push(a.label.clone().unwrap_or_default());
                }
                w.write_record(&row).unwrap();
            }
            let expected = String::from_utf8(w.into_inner().unwrap()).unwrap();
            let got = to_csv(&r).unwrap();
            assert_eq!(got, expected, "labelled: {labelled}");
            // And it reads back: one record per unit, the quoted fields intact.
            let mut rd = csv::Reader::from_reader(got.as_bytes());
            let rows: Vec<csv::StringRecord> = rd.records().map(|x| x.unwrap()).collect();
            assert_eq!(rows.len(), r.units.len());
            assert_eq!(&rows[3][1], r.articles[3].id.as_str());
        }
    }
}
