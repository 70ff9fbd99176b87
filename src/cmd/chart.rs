//! `themata chart`: redraws every chart (and report.html) of a run from its run.json.

use std::path::PathBuf;

use clap::Args;

use super::run::{chart_formats, parse_charts};
use crate::chart;
use crate::error::{Error, Result};
use crate::report;

/// Arguments of `themata chart`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:
  themata chart out/2026-11-22_101500_seeds
  themata chart out/week42 --charts svg")]
pub struct ChartArgs {
    /// A run folder written by `themata run`.
    pub run_dir: PathBuf,
    /// Chart formats: `png,svg`, `png` or `svg`.
    #[arg(long, default_value = "png,svg", value_name = "LIST")]
    pub charts: String,
}

/// Runs `themata chart`: charts are drawn into a fresh folder and swapped in when complete.
pub fn run(args: &ChartArgs) -> Result<()> {
    let report = report::read_json(&args.run_dir.join("run.json"))?;
    let formats = chart_formats(&parse_charts(&args.charts)?);
    if formats.is_empty() {
        return Err(Error::Usage(
            "--charts: name at least one of png, svg".into(),
        ));
    }
    let tmp = args.run_dir.join(".charts-tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    for skipped in chart::draw_all(&report, &tmp, &formats)?.skipped {
        log::warn!("{skipped}");
    }
    let html = report::html::render(&report, &tmp)?;
    let final_dir = args.run_dir.join("charts");
    let old = args.run_dir.join(".charts-old");
    let _ = std::fs::remove_dir_all(&old);
    if final_dir.exists() {
        std::fs::rename(&final_dir, &old).map_err(|e| Error::io(&final_dir, e))?;
    }
    std::fs::rename(&tmp, &final_dir).map_err(|e| Error::io(&final_dir, e))?;
    let _ = std::fs::remove_dir_all(&old);
    let html_tmp = args.run_dir.join(".report.html.tmp");
    std::fs::write(&html_tmp, html).map_err(|e| Error::io(&html_tmp, e))?;
    let html_path = args.run_dir.join("report.html");
    std::fs::rename(&html_tmp, &html_path).map_err(|e| Error::io(&html_path, e))?;
    println!("charts redrawn in {}", final_dir.display());
    Ok(())
}
