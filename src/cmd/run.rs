//! `themata run`: the batch analysis, from files to a finished run folder.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::vectorize::VectorizeArgs;
use super::{Bars, InputArgs, with_runtime};
use crate::chart::{self, ChartFormat};
use crate::cluster::{KChoice, Linkage, Method};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::pipeline::{Progress, Source, analyse_with_model};
use crate::report::{self, RunReport, StageTime};
use crate::rundir::RunDir;

/// Arguments of `themata run`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:
  themata run                                   analyse the seed corpus into out/
  themata run articles/ --k auto --name week42  a folder of .txt/.md files, k chosen by silhouette
  themata run news.jsonl.gz --text-field body --label-field label --k 20 --charts none
  themata run notes.csv --text-field text --unit window --no-guide")]
pub struct RunArgs {
    /// Corpus and ingest options.
    #[command(flatten)]
    pub input: InputArgs,
    /// TF-IDF options.
    #[command(flatten)]
    pub vectorize: VectorizeArgs,
    /// Number of themes, or `auto` to choose by silhouette [config: cluster.k].
    #[arg(long, value_name = "N|auto", value_parser = parse_k)]
    pub k: Option<KChoice>,
    /// Which clustering labels the themes: `kmeans` or `hierarchical` [config: cluster.method].
    #[arg(long, value_name = "METHOD", value_parser = parse_method)]
    pub method: Option<Method>,
    /// Linkage of the hierarchical method: `ward`, `average`, `complete` or `single`
    /// [config: cluster.linkage].
    #[arg(long, value_name = "LINKAGE", value_parser = parse_linkage)]
    pub linkage: Option<Linkage>,
    /// LSA dimensions, capped by the data [config: reduce.dims].
    #[arg(long, value_name = "N")]
    pub dims: Option<usize>,
    /// k-means restarts, run in parallel, lowest inertia kept [config: cluster.restarts].
    #[arg(long, value_name = "N")]
    pub restarts: Option<usize>,
    /// Ignore the named themes of the config: no guiding, no naming.
    #[arg(long)]
    pub no_guide: bool,
    /// Folder that receives the run folder [config: output.out].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Name of the run folder (default: date, time and corpus name). Never overwritten.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Chart formats: `png,svg`, `png`, `svg` or `none` [config: output.charts].
    #[arg(long, value_name = "LIST")]
    pub charts: Option<String>,
    /// Time bin of themes over time: day, week, month, quarter, year or auto (8–60 bins)
    /// [config: time.bin]. Needs dates (--date-field).
    #[arg(long, value_enum, value_name = "BIN")]
    pub time_bin: Option<crate::timeline::TimeBin>,
    /// Store only the representative units' texts in run.json, not every unit's (for huge
    /// corpora) [config: output.unit_text = false].
    #[arg(long)]
    pub no_unit_text: bool,
}

impl RunArgs {
    /// The configuration with every flag applied, validated.
    pub fn config(&self) -> Result<Config> {
        let mut c = self.input.config()?;
        self.vectorize.apply(&mut c.vectorize)?;
        if let Some(k) = &self.k {
            c.cluster.k = *k;
        }
        if let Some(m) = self.method {
            c.cluster.method = m;
        }
        if let Some(l) = self.linkage {
            c.cluster.linkage = l;
        }
        if let Some(d) = self.dims {
            c.reduce.dims = d;
        }
        if let Some(r) = self.restarts {
            c.cluster.restarts = r;
        }
        if self.no_guide {
            c.themes.guide = false;
            c.themes.named.clear();
        }
        if let Some(o) = &self.out {
            c.output.out = o.clone();
        }
        if self.no_unit_text {
            c.output.unit_text = false;
        }
        if let Some(b) = self.time_bin {
            c.time.bin = b;
        }
        if let Some(ch) = &self.charts {
            c.output.charts = parse_charts(ch)?;
        }
        c.check().map_err(|e| Error::Config {
            file: "command line".into(),
            message: e.to_string(),
        })?;
        Ok(c)
    }
}

fn parse_k(s: &str) -> std::result::Result<KChoice, String> {
    serde_json::from_value(match s.parse::<u64>() {
        Ok(n) => serde_json::Value::from(n),
        Err(_) => serde_json::Value::from(s),
    })
    .map_err(|e| e.to_string())
}

fn parse_method(s: &str) -> std::result::Result<Method, String> {
    serde_json::from_value(serde_json::Value::from(s))
        .map_err(|_| format!("`{s}`: expected kmeans or hierarchical"))
}

fn parse_linkage(s: &str) -> std::result::Result<Linkage, String> {
    serde_json::from_value(serde_json::Value::from(s))
        .map_err(|_| format!("`{s}`: expected ward, average, complete or single"))
}

/// Parses `--charts`: a comma-separated list of `png`, `svg`, or `none`.
pub fn parse_charts(s: &str) -> Result<Vec<String>> {
    if s.trim() == "none" {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|f| match f.trim() {
            f @ ("png" | "svg") => Ok(f.to_string()),
            other => Err(Error::Usage(format!(
                "--charts: unknown format `{other}` (png, svg or none)"
            ))),
        })
        .collect()
}

/// The chart formats named in the config.
pub fn chart_formats(names: &[String]) -> Vec<ChartFormat> {
    names
        .iter()
        .filter_map(|n| match n.as_str() {
            "png" => Some(ChartFormat::Png),
            "svg" => Some(ChartFormat::Svg),
            _ => None,
        })
        .collect()
}

/// Default run name: local date and time, then the corpus name.
fn default_name(args: &RunArgs) -> String {
    let stamp = chrono::Local::now().format("%Y-%m-%d_%H%M%S");
    let corpus = args
        .input
        .inputs
        .first()
        .and_then(|p| p.file_stem())
        .map(|s| {
            s.to_string_lossy()
                .split('.')
                .next()
                .unwrap_or("corpus")
                .to_string()
        })
        .unwrap_or_else(|| "seeds".into());
    let corpus: String = corpus
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{stamp}_{corpus}")
}

/// Writes every output of a finished report into the run folder, timing the chart and report
/// stages into the report itself and telling `progress` where each starts and ends.
///
/// The report stage includes writing run.json, which is streamed to the file; the time stored
/// inside run.json is necessarily taken just before it is serialised, the one in memory after.
pub fn write_outputs(
    report: &mut RunReport,
    dir: &RunDir,
    formats: &[ChartFormat],
    progress: &dyn Progress,
) -> Result<()> {
    // What `chart` and `eval` will check when they read run.json back must hold when it is
    // written: a fault here is themata's, not the input's.
    report
        .validate()
        .map_err(|v| Error::Internal(format!("the run's report is inconsistent: {v}")))?;
    progress.start("charts");
    let t = Instant::now();
    if !formats.is_empty() {
        // A skipped chart is named in the run's warnings (run.json, themes.md) as well.
        for skipped in chart::draw_all(report, &dir.path().join("charts"), formats)?.skipped {
            log::warn!("{skipped}");
            report.warnings.push(skipped);
        }
    }
    let seconds = t.elapsed().as_secs_f64();
    progress.finish("charts", seconds);
    report.timings.push(StageTime {
        stage: "charts".into(),
        seconds,
    });
    progress.start("report");
    let t = Instant::now();
    // The three readable outputs are independent: rendered side by side, then written.
    let charts = dir.path().join("charts");
    let (html, (csv, md)) = rayon::join(
        || report::html::render(report, &charts),
        || {
            rayon::join(
                || report::to_csv(report),
                || report::markdown::render(report),
            )
        },
    );
    dir.write("report.html", html?.as_bytes())?;
    dir.write("assignments.csv", csv?.as_bytes())?;
    dir.write("themes.md", md.as_bytes())?;
    dir.write("cleaning.csv", report::cleaning_csv(report)?.as_bytes())?;
    if let Some(csv) = report::over_time::csv(report)? {
        dir.write("themes_over_time.csv", csv.as_bytes())?;
    }
    report.timings.push(StageTime {
        stage: "report".into(),
        seconds: t.elapsed().as_secs_f64(),
    });
    dir.write_with("run.json", |w| report::write_json(report, w))?;
    let seconds = t.elapsed().as_secs_f64();
    if let Some(last) = report.timings.last_mut() {
        last.seconds = seconds;
    }
    progress.finish("report", seconds);
    Ok(())
}

/// Runs `themata run`.
pub fn run(args: &RunArgs, quiet: bool) -> Result<()> {
    let config = args.config()?;
    let explicit = args.name.is_some();
    let name = args.name.clone().unwrap_or_else(|| default_name(args));
    let dir = RunDir::create(&config.output.out, &name, explicit)?;
    let (report, path) = analyse_into(dir, &args.input.source(), &config, &name, quiet)?;
    print_summary(&report, &path);
    Ok(())
}

/// What `themata run` does once its configuration is settled: analyses `source` into `dir`,
/// writes every output and commits the folder. Returns the report and the folder's final path.
/// `themata batch` runs each job through here.
pub fn analyse_into(
    dir: RunDir,
    source: &Source,
    config: &Config,
    name: &str,
    quiet: bool,
) -> Result<(RunReport, PathBuf)> {
    super::guard_interrupts(&dir);
    super::fault::inject_panic_for_tests();
    let bars = Bars::new(quiet);
    let progress: &dyn Progress = &bars;
    let (mut report, model) = with_runtime(config, || {
        analyse_with_model(source, config, name, progress)
    })?;
    for w in &report.warnings {
        log::warn!("{w}");
    }
    let formats = chart_formats(&config.output.charts);
    with_runtime(config, || {
        write_outputs(&mut report, &dir, &formats, progress)
    })?;
    if let Some(model) = &model {
        model.write(&dir)?;
    }
    let path = super::commit_guarded(dir)?;
    Ok((report, path))
}

fn print_summary(report: &RunReport, path: &std::path::Path) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let c = &report.corpus;
    // A closed pipe is not an error: stop printing quietly.
    let _ = writeln!(
        out,
        "{} articles, {} passages, {} themes ({}) -> {}",
        c.articles,
        c.units,
        report.themes.len(),
        report.k_selection.mode,
        path.display()
    );
    for t in &report.themes {
        let terms: Vec<&str> = t.terms.iter().take(5).map(|w| w.term.as_str()).collect();
        let _ = writeln!(
            out,
            "  {:>2}. {:<32} {:>5}  {}",
            t.id + 1,
            t.label,
            t.size,
            terms.join(", ")
        );
    }
    let _ = writeln!(out, "silhouette {:.3}", report.scores.silhouette);
    if let Some(x) = &report.scores.external {
        let _ = writeln!(
            out,
            "NMI {:.3}  ARI {:.3}  V-measure {:.3}  homogeneity {:.3}  completeness {:.3}  purity {:.3}",
            x.nmi, x.ari, x.v_measure, x.homogeneity, x.completeness, x.purity
        );
    }
}
