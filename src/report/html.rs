//! Placeholder replaced by the report-page module from the charts branch.
use std::path::Path;

use super::model::RunReport;
use crate::error::Result;

/// Renders report.html.
pub fn render(report: &RunReport, _charts_dir: &Path) -> Result<String> {
    Ok(format!("<!doctype html><title>{}</title>", report.name))
}
