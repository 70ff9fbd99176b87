//! `themata batch JOBS.toml`: runs the analyses a job file lists, one after another (each on
//! every core), into `out/<batch>/<job>/`, and writes the batch's `index.html` and `index.json`.
//!
//! Each job goes through `themata run`'s own code path ([`super::run::analyse_into`]), so its
//! folder holds exactly what `run` writes, written the same way (a temporary folder renamed into
//! place). A job that fails, with an error or a panic, is reported and the batch goes on; its
//! earlier folder, if any, is left as it was. The exit code is 0 when every job that ran
//! succeeded, 1 when any failed, 2 when the job file or the flags are bad (then nothing runs and
//! nothing is written).

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use crate::batch::index::{Index, JobEntry, Status};
use crate::batch::{Job, JobFile};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::rundir::RunDir;

/// Arguments of `themata batch`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "The job file:
  name = \"weekly\"              # the batch's folder under out/
  [defaults]                   # config keys for every job, as in a config file
  units.unit = \"paragraph\"
  [[job]]
  name = \"seeds-docs\"          # the job's run folder inside out/weekly/
  inputs = [\"seeds\"]           # files or folders, as on the command line (none: the seed corpus)
  [job.config]                 # this job's config keys, laid over [defaults]
  units.unit = \"document\"

Examples:
  themata batch examples/batch.toml                  run every job into out/<name>/
  themata batch examples/batch.toml --dry-run        show each job's resolved config
  themata batch examples/batch.toml --resume         skip jobs whose run folder is complete
  themata batch examples/batch.toml --jobs seeds-documents,seeds-windows")]
pub struct BatchArgs {
    /// The job file (TOML): the batch's name, [defaults] and one [[job]] per analysis.
    #[arg(value_name = "JOBS.toml")]
    pub job_file: PathBuf,
    /// Folder that receives the batch's folder [default: output.out of config/default.toml].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Skip jobs whose run folder is complete: its run.json validates and was made for the same
    /// job name, inputs and configuration (threads and the output folder aside), with
    /// report.html and themes.md.
    #[arg(long)]
    pub resume: bool,
    /// Run only these jobs; the index still lists every job (the others as kept or not run).
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub jobs: Vec<String>,
    /// Print what would run and each job's resolved configuration; run and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `themata batch`.
pub fn run(args: &BatchArgs, quiet: bool) -> Result<()> {
    let out = match &args.out {
        Some(o) => o.clone(),
        None => Config::defaults()?.output.out,
    };
    let file = JobFile::load(&args.job_file, &out)?;
    let selected = file.select(&args.jobs)?;
    if args.dry_run {
        print_plan(&file, &selected, args.resume)?;
        return Ok(());
    }
    std::fs::create_dir_all(&file.folder).map_err(|e| {
        Error::Usage(format!(
            "{}: cannot create the batch's folder: {e}; choose another --out",
            file.folder.display()
        ))
    })?;
    let total = selected.iter().filter(|s| **s).count();
    let mut done = 0;
    let mut entries = Vec::with_capacity(file.jobs.len());
    let mut failed = Vec::new();
    for (job, &chosen) in file.jobs.iter().zip(&selected) {
        let entry = if !chosen {
            earlier(job)
        } else {
            done += 1;
            let kept = if args.resume {
                job.complete_run().ok()
            } else {
                None
            };
            match kept {
                Some(report) => {
                    say(
                        quiet,
                        &format!("[{done}/{total}] {}: complete, kept", job.name),
                    );
                    kept_entry(job, &report)
                }
                None => run_job(job, quiet, &format!("[{done}/{total}]")),
            }
        };
        if entry.status == Status::Failed {
            failed.push(entry.name.clone());
        }
        entries.push(entry);
    }
    let index = Index::new(&file, entries);
    index.write(&file.folder)?;
    let index_path = file.folder.join("index.html");
    say(
        quiet,
        &format!(
            "{} ok, {} failed, {} kept, {} not run -> {}",
            index.counts.ok,
            index.counts.failed,
            index.counts.kept,
            index.counts.not_run,
            index_path.display()
        ),
    );
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::JobsFailed {
            failed,
            total,
            index: index_path,
        })
    }
}

/// Runs one job as `themata run` would, catching its error or panic.
fn run_job(job: &Job, quiet: bool, step: &str) -> JobEntry {
    let t = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let dir = RunDir::create_replacing(&job.config.output.out, &job.name)?;
        super::run::analyse_into(dir, &job.source(), &job.config, &job.name, quiet)
    }));
    let seconds = t.elapsed().as_secs_f64();
    let error = match result {
        Ok(Ok((report, path))) => {
            say(quiet, &summary_line(step, job, &report, seconds, &path));
            return JobEntry::new(job, Status::Ok, Some(seconds), Some(&report));
        }
        Ok(Err(e)) => e.to_string(),
        Err(panic) => format!(
            "internal error: {}; this is a bug, please report it",
            super::fault::panic_message(panic.as_ref())
        ),
    };
    // Failures show even under --quiet, as errors do.
    eprintln!("themata: {step} job `{}` failed: {error}", job.name);
    JobEntry::failed(job, seconds, error)
}

/// The entry of a job `--jobs` left out: its earlier complete folder, if it has one.
fn earlier(job: &Job) -> JobEntry {
    match job.complete_run() {
        Ok(report) => kept_entry(job, &report),
        Err(_) => JobEntry::new(job, Status::NotRun, None, None),
    }
}

fn kept_entry(job: &Job, report: &crate::report::RunReport) -> JobEntry {
    let seconds = report.timings.iter().map(|t| t.seconds).sum();
    JobEntry::new(job, Status::Kept, Some(seconds), Some(report))
}

fn summary_line(
    step: &str,
    job: &Job,
    r: &crate::report::RunReport,
    seconds: f64,
    path: &Path,
) -> String {
    format!(
        "{step} {}: {} articles, {} passages, {} themes ({}), silhouette {:.3}, {seconds:.2} s -> {}",
        job.name,
        r.corpus.articles,
        r.corpus.units,
        r.themes.len(),
        r.k_selection.mode,
        r.scores.silhouette,
        path.display()
    )
}

/// One line on stdout unless `quiet`; a closed pipe is not an error.
fn say(quiet: bool, line: &str) {
    if !quiet {
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }
}

/// `--dry-run`: each job, whether it would run, its inputs and its resolved configuration (as
/// TOML a config file could hold).
fn print_plan(file: &JobFile, selected: &[bool], resume: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let mut text = format!(
        "# batch `{}` from {}: {} jobs -> {}\n",
        file.name,
        file.path.display(),
        file.jobs.len(),
        file.folder.display()
    );
    for (job, &chosen) in file.jobs.iter().zip(selected) {
        let what = if !chosen {
            "not selected by --jobs".to_string()
        } else if resume {
            match job.complete_run() {
                Ok(_) => "would be kept: its run folder is complete".to_string(),
                Err(why) => format!("would run ({why})"),
            }
        } else {
            "would run".to_string()
        };
        let inputs = job.source().describe().join(", ");
        text.push_str(&format!(
            "\n# job `{}`: {what}\n# inputs: {inputs}\n# run folder: {}\n# config hash: {}\n{}",
            job.name,
            job.folder().display(),
            job.fingerprint(),
            job.config.to_toml()?
        ));
    }
    // A closed pipe is not an error.
    let _ = out.write_all(text.as_bytes());
    Ok(())
}
