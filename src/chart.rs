//! Chart stage: pictures of a run, drawn from its [`RunReport`] alone.
//!
//! In: a [`RunReport`] and the run's `charts/` folder. Out: one PNG and/or SVG file per chart
//! (`theme_map`, `top_terms`, `theme_sizes`, `article_theme_heatmap`, `theme_similarity`,
//! `dendrogram`, `k_selection` when k was chosen automatically, and `themes_over_time` when the
//! articles have dates).
//!
//! Charts that draw one row, column, panel or label per theme show at most [`MAX_CHART_THEMES`]
//! (the largest, saying so in their subtitle), and no canvas may exceed [`MAX_CANVAS_PIXELS`]: a
//! chart that would is skipped with a warning rather than failing the run.
//!
//! Each chart is first laid out once as a small display list (a [`scene`]) in pixel
//! coordinates, with text measured against the embedded DejaVu Sans font, and then rendered to
//! every requested format. Laying out once keeps PNG and SVG identical in content, and keeps the
//! output deterministic: nothing depends on time, hashing or the machine's fonts.

mod axis;
mod charted;
mod flow;
pub(crate) mod palette;
mod plots;
mod scene;
mod tree;

use std::path::{Path, PathBuf};

use crate::report::RunReport;
use crate::{Error, Result};

pub(crate) use axis::thousands as group_thousands;
pub use charted::MAX_CHART_THEMES;
pub use flow::{Flow, FlowBand, FlowNode};
pub use palette::theme_color;
pub(crate) use plots::article_name as article_display_name;
pub use scene::MAX_CANVAS_PIXELS;

/// The file format of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartFormat {
    /// A raster image (`.png`).
    Png,
    /// A vector image (`.svg`), text kept as text.
    Svg,
}

impl ChartFormat {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ChartFormat::Png => "png",
            ChartFormat::Svg => "svg",
        }
    }
}

/// The charts [`draw_all`] may write for any run, in the order it writes them.
pub const CHART_NAMES: [&str; 7] = [
    "theme_map",
    "top_terms",
    "theme_sizes",
    "article_theme_heatmap",
    "theme_similarity",
    "dendrogram",
    "k_selection",
];

/// The charts [`draw_all`] writes after [`CHART_NAMES`] when the report has themes over time
/// (its articles have dates).
pub const OVER_TIME_CHART_NAMES: [&str; 1] = ["themes_over_time"];

/// Every chart [`draw_all`] may write, in the order it writes them.
pub fn all_chart_names() -> impl Iterator<Item = &'static str> {
    CHART_NAMES.into_iter().chain(OVER_TIME_CHART_NAMES)
}

/// What [`draw_all`] did: the files it wrote and the charts it had to leave out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drawn {
    /// The paths written, chart by chart in [`all_chart_names`] order, each chart's formats in the
    /// order given.
    pub written: Vec<PathBuf>,
    /// One sentence per chart not drawn because its canvas could not be rendered, naming the
    /// chart and why (the CLI prints each as a warning).
    pub skipped: Vec<String>,
}

/// Draws every chart of `report` into `dir` (created if missing), once per format.
///
/// `k_selection` is drawn only when k was chosen automatically and its curve is present. A chart
/// whose canvas would exceed [`MAX_CANVAS_PIXELS`] is skipped and named in [`Drawn::skipped`];
/// the other charts are still drawn. Drawing the same report twice gives byte-identical SVG files.
///
/// ```no_run
/// # fn main() -> themata::Result<()> {
/// use std::path::Path;
/// use themata::chart::{draw_all, ChartFormat};
/// let text = std::fs::read_to_string("out/run/run.json").unwrap();
/// let report: themata::report::RunReport = serde_json::from_str(&text).unwrap();
/// let drawn = draw_all(&report, Path::new("out/run/charts"), &[ChartFormat::Svg])?;
/// assert!(!drawn.written.is_empty());
/// for warning in &drawn.skipped {
///     eprintln!("warning: {warning}");
/// }
/// # Ok(())
/// # }
/// ```
pub fn draw_all(report: &RunReport, dir: &Path, formats: &[ChartFormat]) -> Result<Drawn> {
    let mut formats_seen = Vec::new();
    for &f in formats {
        if !formats_seen.contains(&f) {
            formats_seen.push(f);
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut drawn = Drawn::default();
    if formats_seen.is_empty() {
        return Ok(drawn);
    }
    // Each chart is laid out and rendered on its own (rayon), then gathered in the charts'
    // order, so what is written, skipped or reported as the first error does not depend on the
    // thread count. On 20 Newsgroups the charts took 0.14 s one after another.
    use rayon::prelude::*;
    let names: Vec<&str> = all_chart_names().collect();
    let each: Vec<Result<Outcome>> = names
        .par_iter()
        .map(|&name| {
            Ok(match plots::build(name, report)? {
                plots::Layout::Scene(scene) => Outcome::Written(
                    formats_seen
                        .par_iter()
                        .map(|&format| write_scene(&scene, dir, name, format))
                        .collect::<Result<Vec<_>>>()?,
                ),
                plots::Layout::Nothing => Outcome::Nothing,
                plots::Layout::Skipped(why) => {
                    Outcome::Skipped(format!("chart `{name}` not drawn: {why}"))
                }
            })
        })
        .collect();
    for one in each {
        match one? {
            Outcome::Written(paths) => drawn.written.extend(paths),
            Outcome::Skipped(why) => drawn.skipped.push(why),
            Outcome::Nothing => {}
        }
    }
    Ok(drawn)
}

/// What became of one chart in [`draw_all`].
enum Outcome {
    Written(Vec<PathBuf>),
    Skipped(String),
    Nothing,
}

/// Draws a bipartite flow chart (`themata compare`'s) as `dir/<name>.<ext>` in each format and
/// returns the paths written. A flow too large for a canvas is an error naming the chart.
pub fn draw_flow(
    flow: &Flow,
    dir: &Path,
    name: &str,
    formats: &[ChartFormat],
) -> Result<Vec<PathBuf>> {
    let scene = flow::layout(flow)
        .map_err(|bad| Error::Internal(format!("chart `{name}` not drawn: {bad}")))?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written: Vec<PathBuf> = Vec::new();
    for &format in formats {
        let path = dir.join(format!("{name}.{}", format.extension()));
        if !written.contains(&path) {
            written.push(write_scene(&scene, dir, name, format)?);
        }
    }
    Ok(written)
}

/// Renders `scene` as `dir/<name>.<ext>` in `format` and returns the path.
fn write_scene(
    scene: &scene::Scene,
    dir: &Path,
    name: &str,
    format: ChartFormat,
) -> Result<PathBuf> {
    let path = dir.join(format!("{name}.{}", format.extension()));
    match format {
        ChartFormat::Svg => {
            let svg = scene.to_svg()?;
            std::fs::write(&path, svg).map_err(|e| Error::io(&path, e))?;
        }
        ChartFormat::Png => scene.to_png(&path)?,
    }
    Ok(path)
}

/// Shortens `s` to at most `max_chars` characters, ending it with `…` when it was cut.
///
/// Counts Unicode scalar values, never splits one, and drops whitespace left dangling before
/// the ellipsis.
///
/// ```
/// assert_eq!(themata::chart::ellipsize("space exploration", 9), "space ex…");
/// assert_eq!(themata::chart::ellipsize("space exploration", 7), "space…");
/// assert_eq!(themata::chart::ellipsize("short", 8), "short");
/// ```
pub fn ellipsize(s: &str, max_chars: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max_chars {
        return s.to_string();
    }
    if max_chars == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(max_chars - 1).collect();
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipsize_keeps_short_text() {
        assert_eq!(ellipsize("abc", 3), "abc");
        assert_eq!(ellipsize("", 3), "");
    }

    #[test]
    fn ellipsize_cuts_long_text_to_max_chars() {
        let out = ellipsize("abcdefghij", 5);
        assert_eq!(out, "abcd…");
        assert_eq!(out.chars().count(), 5);
    }

    #[test]
    fn ellipsize_counts_characters_not_bytes() {
        assert_eq!(ellipsize("ééééé", 3), "éé…");
        assert_eq!(ellipsize("日本語のテキスト", 4), "日本語…");
    }

    #[test]
    fn ellipsize_drops_dangling_space() {
        assert_eq!(ellipsize("space exploration", 7), "space…");
    }

    #[test]
    fn ellipsize_handles_tiny_limits() {
        assert_eq!(ellipsize("abc", 0), "");
        assert_eq!(ellipsize("abc", 1), "…");
    }
}
