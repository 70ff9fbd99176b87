//! The subcommands, one file each (xsv's layout): each holds its clap `Args` and a `run`.
//! Shared plumbing — input options, config loading with flag overrides, the thread pool and
//! progress bars — lives here once.

pub mod assign;
pub mod batch;
pub mod bench;
pub mod chart;
pub mod compare;
pub mod eval;
pub mod fault;
pub mod run;
pub mod vectorize;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::pipeline::{Progress, Source};
use crate::units::UnitKind;

/// Whether to clean boilerplate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CleanMode {
    /// Normalise Unicode and drop web boilerplate (the default).
    Auto,
    /// Leave the text exactly as given.
    None,
}

/// Options shared by every command that reads a corpus.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Files or folders to analyse (folders recursively: .txt, .md; also .jsonl[.gz], .csv).
    /// Default: the seed corpus in seeds/.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Configuration file laid over config/default.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// JSON Lines / CSV field holding the text [config: ingest.text_field].
    #[arg(long, value_name = "NAME")]
    pub text_field: Option<String>,
    /// JSON Lines / CSV field holding the article id [config: ingest.id_field].
    #[arg(long, value_name = "NAME")]
    pub id_field: Option<String>,
    /// JSON Lines / CSV field holding a label to evaluate against [config: ingest.label_field].
    #[arg(long, value_name = "NAME")]
    pub label_field: Option<String>,
    /// JSON Lines / CSV field holding each article's date (ISO 8601 of year, month or day
    /// precision, `YYYY/MM/DD`, `DD Month YYYY`, `Month DD, YYYY`); for folders of text files any
    /// name turns on the dateline and file-name rules [config: ingest.date_field].
    #[arg(long, value_name = "NAME")]
    pub date_field: Option<String>,
    /// Boilerplate cleaning: `auto` or `none` (text reaches the vectorizer exactly as given).
    #[arg(long, value_enum, value_name = "MODE")]
    pub clean: Option<CleanMode>,
    /// Reject files that are not valid UTF-8 instead of decoding them lossily.
    #[arg(long)]
    pub strict: bool,
    /// Skip malformed JSON Lines records and CSV rows (counted in run.json) instead of failing.
    #[arg(long)]
    pub skip_bad_records: bool,
    /// Unit of analysis [config: units.unit].
    #[arg(long, value_enum, value_name = "UNIT")]
    pub unit: Option<UnitKind>,
    /// Seed of every random draw [config: seed].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Worker threads, 0 = one per core [config: threads]. Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

impl InputArgs {
    /// Loads the config and applies these flags over it.
    pub fn config(&self) -> Result<Config> {
        let mut c = Config::load_for(self.config.as_deref(), self.inputs.is_empty())?;
        if let Some(v) = &self.text_field {
            c.ingest.text_field = v.clone();
        }
        if let Some(v) = &self.id_field {
            c.ingest.id_field = v.clone();
        }
        if let Some(v) = &self.label_field {
            c.ingest.label_field = v.clone();
        }
        if let Some(v) = &self.date_field {
            c.ingest.date_field = v.clone();
        }
        if let Some(m) = self.clean {
            c.ingest.clean = m == CleanMode::Auto;
        }
        c.ingest.strict |= self.strict;
        c.ingest.skip_bad_records |= self.skip_bad_records;
        if let Some(u) = self.unit {
            c.units.unit = u;
        }
        if let Some(s) = self.seed {
            c.seed = s;
        }
        if let Some(t) = self.threads {
            c.threads = t;
        }
        Ok(c)
    }

    /// The inputs, or the seed corpus when none were given.
    pub fn source(&self) -> Source {
        if self.inputs.is_empty() {
            Source::EmbeddedSeeds
        } else {
            Source::Paths(self.inputs.clone())
        }
    }
}

/// Runs `f` under the configuration's process settings: the transparent-huge-page policy as it
/// stands before the corpus size is known ([`HugePages::apply`]; the pipeline applies it again
/// once the corpus is read) and a rayon pool of `config.threads` workers (0 = one per core).
pub fn with_runtime<T: Send>(config: &Config, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    config.huge_pages.apply(0);
    with_threads(config.threads, f)
}

/// Runs `f` on a rayon pool of `threads` workers (0 = one per core).
pub fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Internal(format!("thread pool: {e}")))?;
    pool.install(f)
}

/// Progress on stderr: a spinner per stage, shown only when stderr is a terminal and the stage
/// lasts over a second.
pub struct Bars {
    enabled: bool,
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
    /// Bars that draw only on a terminal and not under `--quiet`.
    pub fn new(quiet: bool) -> Self {
        Bars {
            enabled: !quiet && std::io::stderr().is_terminal(),
            current: Mutex::new(None),
        }
    }
}

impl Progress for Bars {
    fn start(&self, stage: &str) {
        if !self.enabled {
            return;
        }
        let pb = ProgressBar::hidden();
        pb.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        pb.set_message(stage.to_string());
        let shown = pb.clone();
        // Only stages that last over a second get a visible spinner.
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(1));
            if !shown.is_finished() {
                shown.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                shown.enable_steady_tick(std::time::Duration::from_millis(120));
            }
        });
        if let Ok(mut c) = self.current.lock() {
            *c = Some(pb);
        }
    }

    fn finish(&self, _stage: &str, _seconds: f64) {
        if let Some(pb) = self.current.lock().ok().and_then(|mut c| c.take()) {
            pb.finish_and_clear();
        }
    }
}

static IN_PROGRESS: Mutex<Option<PathBuf>> = Mutex::new(None);

fn in_progress() -> std::sync::MutexGuard<'static, Option<PathBuf>> {
    // A panic elsewhere must not stop an interrupt from cleaning up.
    IN_PROGRESS.lock().unwrap_or_else(|p| p.into_inner())
}

/// On Ctrl-C or SIGTERM, removes the unfinished run folder before exiting (130), so an
/// interrupted run leaves nothing behind. A `kill -9` can't be caught: the next run sweeps its
/// folder instead (see [`crate::rundir`]).
pub fn guard_interrupts(dir: &crate::rundir::RunDir) {
    *in_progress() = Some(dir.tmp_path());
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            // Holding the lock until exit keeps `commit_guarded` from renaming a folder that is
            // half removed.
            let g = in_progress();
            if let Some(p) = g.as_ref() {
                // Worker threads may still be adding files; try again if the folder refilled.
                for _ in 0..5 {
                    if std::fs::remove_dir_all(p).is_ok() || !p.exists() {
                        break;
                    }
                }
                eprintln!("themata: interrupted; the unfinished run folder was removed");
            } else {
                eprintln!("themata: interrupted");
            }
            std::process::exit(130);
        });
    });
}

/// Commits the run folder with the interrupt handler held off, so a Ctrl-C lands either before
/// the rename (the folder is removed) or after it (the finished run stays), never during it.
pub fn commit_guarded(dir: crate::rundir::RunDir) -> Result<PathBuf> {
    let mut g = in_progress();
    let path = dir.commit()?;
    *g = None;
    Ok(path)
}
