//! `themata assign`: new articles placed in the themes of a finished run, from its saved model.

use std::path::{Path, PathBuf};

use clap::Args;

use super::run::{chart_formats, parse_charts, write_outputs};
use super::{Bars, with_runtime};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::pipeline::{Progress, Source};
use crate::report;
use crate::rundir::RunDir;

/// Arguments of `themata assign`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:
  themata assign out/october week44/                  this week's articles in October's themes
  themata assign out/october news.jsonl.gz --text-field body --name week44
  themata assign out/october week44/ --outlier-percentile 10 --charts none

The run's own ingest, cleaning, unit and vectorizer options are used (from its model); only
the input format (fields, strictness) may differ.")]
pub struct AssignArgs {
    /// A finished run folder (with model/, saved by every run since models were added).
    #[arg(value_name = "RUN_DIR")]
    pub run_dir: PathBuf,
    /// Files or folders of new articles (as `themata run` reads them).
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<PathBuf>,
    /// JSON Lines / CSV field holding the text [default: the run's ingest.text_field].
    #[arg(long, value_name = "NAME")]
    pub text_field: Option<String>,
    /// JSON Lines / CSV field holding the article id [default: the run's].
    #[arg(long, value_name = "NAME")]
    pub id_field: Option<String>,
    /// JSON Lines / CSV field holding a label to evaluate against [default: the run's].
    #[arg(long, value_name = "NAME")]
    pub label_field: Option<String>,
    /// Reject files that are not valid UTF-8 instead of decoding them lossily.
    #[arg(long)]
    pub strict: bool,
    /// Skip malformed JSON Lines records and CSV rows (counted in run.json) instead of failing.
    #[arg(long)]
    pub skip_bad_records: bool,
    /// A passage below this percentile (0-100) of its theme's similarities in the run is an
    /// outlier [config: assign.outlier_percentile, default 5].
    #[arg(long, value_name = "P")]
    pub outlier_percentile: Option<f64>,
    /// Folder that receives the new folder [default: the run's output.out].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Name of the new folder (default: date, time, the run's name and "assigned").
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Chart formats: `png,svg`, `png`, `svg` or `none` [default: the run's].
    #[arg(long, value_name = "LIST")]
    pub charts: Option<String>,
    /// Store only the representative units' texts in run.json.
    #[arg(long)]
    pub no_unit_text: bool,
    /// Worker threads, 0 = one per core. Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

impl AssignArgs {
    /// The model's configuration with these flags applied, validated.
    pub fn config(&self, saved: &Config) -> Result<Config> {
        let mut c = saved.clone();
        if let Some(v) = &self.text_field {
            c.ingest.text_field = v.clone();
        }
        if let Some(v) = &self.id_field {
            c.ingest.id_field = v.clone();
        }
        if let Some(v) = &self.label_field {
            c.ingest.label_field = v.clone();
        }
        c.ingest.strict |= self.strict;
        c.ingest.skip_bad_records |= self.skip_bad_records;
        if let Some(p) = self.outlier_percentile {
            c.assign.outlier_percentile = p;
        }
        if let Some(o) = &self.out {
            c.output.out = o.clone();
        }
        if let Some(ch) = &self.charts {
            c.output.charts = parse_charts(ch)?;
        }
        if self.no_unit_text {
            c.output.unit_text = false;
        }
        if let Some(t) = self.threads {
            c.threads = t;
        }
        c.check().map_err(|e| Error::Config {
            file: "command line".into(),
            message: e.to_string(),
        })?;
        Ok(c)
    }
}

/// Default folder name: local date and time, the run's name, "assigned".
fn default_name(run: &str) -> String {
    let stamp = chrono::Local::now().format("%Y-%m-%d_%H%M%S");
    let run: String = run
        .chars()
        .take(80)
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{stamp}_{run}_assigned")
}

/// Runs `themata assign`.
pub fn run(args: &AssignArgs, quiet: bool) -> Result<()> {
    // The model is read before its config is known: under the default huge-page policy, as a
    // small corpus would be (a 22 MB model read into huge pages cost 30 ms of page clearing).
    crate::config::HugePages::Auto.apply(0);
    let model = Model::load(&args.run_dir)?;
    let config = args.config(&model.meta.config)?;
    let explicit = args.name.is_some();
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| default_name(&model.meta.run));
    let dir = RunDir::create(&config.output.out, &name, explicit)?;
    super::guard_interrupts(&dir);
    let bars = Bars::new(quiet);
    let progress: &dyn Progress = &bars;
    let of = args.run_dir.display().to_string();
    let source = Source::Paths(args.inputs.clone());
    let mut report = with_runtime(&config, || {
        crate::assign::assign(&model, &source, &config, &of, &name, progress)
    })?;
    for w in &report.warnings {
        log::warn!("{w}");
    }
    let formats = chart_formats(&config.output.charts);
    with_runtime(&config, || {
        write_outputs(&mut report, &dir, &formats, progress)
    })?;
    let path = super::commit_guarded(dir)?;
    print_summary(&report, &path);
    Ok(())
}

fn print_summary(report: &report::RunReport, path: &Path) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let c = &report.corpus;
    let Some(a) = &report.assignment else { return };
    let mut outliers = vec![0usize; report.themes.len()];
    for &u in &a.outliers {
        outliers[report.units[u].theme] += 1;
    }
    // A closed pipe is not an error: stop printing quietly.
    let _ = writeln!(
        out,
        "{} articles, {} passages placed in the {} themes of {} ({} outliers) -> {}",
        c.articles,
        c.units,
        report.themes.len(),
        a.run,
        a.outliers.len(),
        path.display()
    );
    for t in &report.themes {
        let _ = writeln!(
            out,
            "  {:>2}. {:<32} {:>5} new  {:>4} outliers",
            t.id + 1,
            t.label,
            t.size,
            outliers[t.id]
        );
    }
    if let Some(x) = &report.scores.external {
        let _ = writeln!(
            out,
            "NMI {:.3}  ARI {:.3}  V-measure {:.3}  purity {:.3}",
            x.nmi, x.ari, x.v_measure, x.purity
        );
    }
}
