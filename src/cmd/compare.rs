//! `themata compare`: what became of one run's themes in another (persisted, split, merged, new,
//! gone), written as compare.md, compare.json and a flow chart.

use std::path::{Path, PathBuf};

use clap::Args;

use super::run::{chart_formats, parse_charts};
use crate::compare::{self, CompareParams, RunSide};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::report;
use crate::rundir::RunDir;

/// Arguments of `themata compare`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:
  themata compare out/news_seed1 out/news_seed2
  themata compare out/news_k20 out/news_k10 --out out/k20_vs_k10 --link-share 0.4")]
pub struct CompareArgs {
    /// Run A: a run folder (or its run.json), the reference.
    pub run_a: PathBuf,
    /// Run B: a run folder (or its run.json), compared with A.
    pub run_b: PathBuf,
    /// Folder to write (must not exist). Default: `<output.out>/compare_<A>_<B>`, with `-2`,
    /// `-3`… when taken.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Configuration file laid over config/default.toml (its `[compare]` table).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Weight of unit overlap against term similarity, 0 to 1 [config: compare.overlap_weight].
    #[arg(long, value_name = "X")]
    pub overlap_weight: Option<f32>,
    /// Least similarity of a persisted pair [config: compare.min_similarity].
    #[arg(long, value_name = "X")]
    pub min_similarity: Option<f32>,
    /// Least share of a theme's units that links it to a theme of the other run
    /// [config: compare.link_share].
    #[arg(long, value_name = "X")]
    pub link_share: Option<f32>,
    /// Chart formats: `png,svg`, `png`, `svg` or `none`.
    #[arg(long, default_value = "png,svg", value_name = "LIST")]
    pub charts: String,
}

impl CompareArgs {
    /// The `[compare]` table with these flags over it, checked.
    fn params(&self, config: &Config) -> Result<CompareParams> {
        let mut p = config.compare.clone();
        if let Some(v) = self.overlap_weight {
            p.overlap_weight = v;
        }
        if let Some(v) = self.min_similarity {
            p.min_similarity = v;
        }
        if let Some(v) = self.link_share {
            p.link_share = v;
        }
        p.check().map_err(|e| match e {
            Error::Param { name, message } => Error::Usage(format!(
                "invalid value for `compare.{name}` (--{}): {message}",
                name.replace('_', "-")
            )),
            other => other,
        })?;
        Ok(p)
    }
}

/// `run.json` of a run folder, or the file itself when given one.
fn run_json(path: &Path) -> PathBuf {
    if path.is_file() {
        path.to_path_buf()
    } else {
        path.join("run.json")
    }
}

/// A run's name for headings and the default folder: its folder's name.
fn run_name(path: &Path) -> String {
    let folder = if path.is_file() {
        path.parent()
    } else {
        Some(path)
    };
    folder
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "run".into())
}

/// `name` with every character but letters, digits, `-`, `_` and `.` made `_`, and no leading dot.
fn folder_safe(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    s.trim_start_matches('.').to_string()
}

/// Runs `themata compare`.
pub fn run(args: &CompareArgs) -> Result<()> {
    let config = Config::load(args.config.as_deref())?;
    let params = args.params(&config)?;
    let formats = chart_formats(&parse_charts(&args.charts)?);
    let (path_a, path_b) = (run_json(&args.run_a), run_json(&args.run_b));
    let a = report::read_json(&path_a)?;
    let b = report::read_json(&path_b)?;
    let side = |p: &Path| RunSide {
        name: run_name(p),
        path: p.display().to_string(),
        themes: 0,
        units: 0,
    };
    let c = compare::compare(&a, &b, side(&args.run_a), side(&args.run_b), &params)?;
    drop((a, b));
    let dir = match &args.out {
        Some(out) => {
            let name = out
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let parent = match out.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            RunDir::create(parent, &name, true)?
        }
        None => {
            let name = folder_safe(&format!("compare_{}_{}", c.a.name, c.b.name));
            RunDir::create(&config.output.out, &name, false)?
        }
    };
    super::guard_interrupts(&dir);
    dir.write("compare.json", compare::write::to_json(&c)?.as_bytes())?;
    dir.write("compare.md", compare::write::render_markdown(&c).as_bytes())?;
    crate::chart::draw_flow(&compare::write::flow(&c), dir.path(), "compare", &formats)?;
    let path = super::commit_guarded(dir)?;
    let s = &c.summary;
    use std::io::Write;
    // A closed pipe is not an error.
    let _ = writeln!(
        std::io::stdout().lock(),
        "{} themes -> {} themes (overlap: {}): {} persisted, {} split, {} merged, {} gone, {} new -> {}",
        c.a.themes,
        c.b.themes,
        c.overlap.as_str(),
        s.persisted,
        s.split,
        s.merged,
        s.gone,
        s.new,
        path.display()
    );
    Ok(())
}
