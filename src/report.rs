//! Report stage: the run's result as files a person or a program reads.
//!
//! In: the [`RunReport`] assembled by the pipeline. Out: `run.json`, `assignments.csv`,
//! `themes.md` (and, from [`html`], `report.html`), each an exporter over the same in-memory
//! result, written into a [`RunDir`](crate::rundir::RunDir).

pub mod html;
pub mod markdown;
pub mod model;

use std::path::Path;

pub use model::*;

use crate::error::{Error, Result};

/// `run.json`: the whole report, pretty-printed.
pub fn to_json(report: &RunReport) -> Result<String> {
    serde_json::to_string_pretty(report).map_err(|e| Error::Internal(format!("run.json: {e}")))
}

/// Streams `run.json` (pretty-printed, as [`to_json`]) into `w`, without building the text in
/// memory first: on a large corpus the unit texts alone are the size of the corpus.
pub fn write_json<W: std::io::Write>(report: &RunReport, w: W) -> Result<()> {
    serde_json::to_writer_pretty(w, report).map_err(|e| Error::Internal(format!("run.json: {e}")))
}

/// Reads a `run.json` back (for `themata chart` and `themata eval`).
pub fn read_json(path: &Path) -> Result<RunReport> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::Input {
        path: path.into(),
        record: Some(format!("line {}", e.line())),
        message: format!("not a themata run.json: {e}"),
    })
}

/// `assignments.csv`: one row per unit,
/// `unit_id,article_id,ordinal,start,end,theme_id,theme_label` and `label` when the corpus has
/// labels.
pub fn to_csv(report: &RunReport) -> Result<String> {
    let labelled = report.articles.iter().any(|a| a.label.is_some());
    let mut w = csv::Writer::from_writer(Vec::new());
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
    let err = |e: csv::Error| Error::Internal(format!("assignments.csv: {e}"));
    w.write_record(&header).map_err(err)?;
    for u in &report.units {
        let a = &report.articles[u.article];
        let mut row = vec![
            u.id.to_string(),
            a.id.clone(),
            u.ordinal.to_string(),
            u.start.to_string(),
            u.end.to_string(),
            u.theme.to_string(),
            report.themes[u.theme].label.clone(),
        ];
        if labelled {
            row.push(a.label.clone().unwrap_or_default());
        }
        w.write_record(&row).map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Internal(format!("assignments.csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(format!("assignments.csv: {e}")))
}
