//! placeholder
use crate::Result;
use crate::report::RunReport;
use std::path::Path;
/// Renders the report page.
pub fn render(_report: &RunReport, _charts_dir: &Path) -> Result<String> {
    Ok(String::new())
}
