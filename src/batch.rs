//! Batch job files for `themata batch`: several analyses described in one TOML file, each
//! resolved into the same validated [`Config`] a `themata run` would use.
//!
//! In: a job file. Out: a [`JobFile`] whose every job carries its resolved configuration, so that
//! a bad key anywhere is refused before anything runs or is written. The job file's shape:
//!
//! ```toml
//! name = "weekly"              # the batch's folder under out/
//! [defaults]                   # config keys for every job, as in a config file
//! units.unit = "paragraph"
//! [[job]]
//! name = "seeds-docs"          # the job's run folder inside out/weekly/
//! inputs = ["seeds"]           # files or folders, as on the command line
//! [job.config]                 # this job's config keys, laid over [defaults]
//! units.unit = "document"
//! ```
//!
//! A job's configuration is `config/default.toml` (plus `config/seeds.toml` when the job has no
//! inputs and so analyses the seed corpus, as `run` does), then `[defaults]`, then `[job.config]`,
//! through the loader `--config` files use ([`Config::load_layers`]). [`index`] holds what a
//! batch reports about its jobs.

pub mod index;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::{Config, HugePages, config_error};
use crate::error::{Error, Result};
use crate::pipeline::Source;
use crate::report::RunReport;

/// A job file, read and validated: every job's configuration resolved.
#[derive(Debug, Clone)]
pub struct JobFile {
    /// The job file as named on the command line (for messages).
    pub path: PathBuf,
    /// The batch's name: its folder's name under the output folder.
    pub name: String,
    /// The batch's folder, `<out>/<name>`, which holds one run folder per job and the index.
    pub folder: PathBuf,
    /// The jobs, in file order.
    pub jobs: Vec<Job>,
}

/// One job: a named analysis with its inputs and resolved configuration.
#[derive(Debug, Clone)]
pub struct Job {
    /// The job's name: its run folder's name inside the batch's folder.
    pub name: String,
    /// Files and folders to analyse, as on the command line (relative to the current folder);
    /// none means the seed corpus.
    pub inputs: Vec<PathBuf>,
    /// The job's configuration, validated; `output.out` is the batch's folder.
    pub config: Config,
}

impl Job {
    /// What the job analyses.
    pub fn source(&self) -> Source {
        if self.inputs.is_empty() {
            Source::EmbeddedSeeds
        } else {
            Source::Paths(self.inputs.clone())
        }
    }

    /// The job's run folder.
    pub fn folder(&self) -> PathBuf {
        self.config.output.out.join(&self.name)
    }

    /// A short fingerprint (16 hex digits, FNV-1a) of what decides the job's results: its inputs
    /// as written and its configuration, less `threads`, `huge_pages` and `output.out`.
    pub fn fingerprint(&self) -> String {
        let key = serde_json::to_string(&(self.source().describe(), comparable(&self.config)))
            .unwrap_or_default();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in key.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("{h:016x}")
    }

    /// The report of the job's run folder when the folder is complete for this job, or why it
    /// is not. Complete means: `run.json` reads back and validates (as `themata chart` checks
    /// it), was written for this job's name, inputs (as written) and configuration (every key
    /// but `threads`, `huge_pages` and `output.out`, which never change results), and `report.html` and
    /// `themes.md` sit beside it. A run folder only appears once its run has finished (it is
    /// renamed into place), so these checks catch folders of other jobs or configurations and
    /// folders someone has since edited.
    pub fn complete_run(&self) -> std::result::Result<RunReport, String> {
        let dir = self.folder();
        let run_json = dir.join("run.json");
        if !run_json.is_file() {
            return Err("no run folder".into());
        }
        let report = crate::report::read_json(&run_json).map_err(|e| e.to_string())?;
        for file in ["report.html", "themes.md"] {
            if !dir.join(file).is_file() {
                return Err(format!("{file} is missing"));
            }
        }
        if report.name != self.name {
            return Err(format!("run.json is of run `{}`", report.name));
        }
        if report.inputs != self.source().describe() {
            return Err("run.json was made from other inputs".into());
        }
        let made_with: Config = serde_json::from_value(report.config.clone())
            .map_err(|e| format!("run.json's config is not this themata's: {e}"))?;
        if comparable(&made_with) != comparable(&self.config) {
            return Err("run.json was made with another configuration".into());
        }
        Ok(report)
    }
}

/// The configuration less what never changes a run's results: the speed settings and where the
/// run folder lies (`--out` may move between batches; the folder checked is the job's own).
fn comparable(config: &Config) -> Config {
    let mut c = config.clone();
    c.threads = 0;
    c.huge_pages = HugePages::Auto;
    c.output.out = PathBuf::new();
    c
}

/// The job file as typed: read first so that unknown keys and wrong types, in the file's own
/// tables or in any config table, are reported with the job file's line numbers.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read only for its checks
struct Checked {
    name: String,
    #[serde(default)]
    defaults: Option<Config>,
    #[serde(default, rename = "job")]
    jobs: Vec<CheckedJob>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read only for its checks
struct CheckedJob {
    name: String,
    #[serde(default)]
    inputs: Vec<PathBuf>,
    #[serde(default)]
    config: Option<Config>,
}

/// The job file as tables, for laying each job's keys over the defaults.
#[derive(Deserialize)]
struct Raw {
    name: String,
    #[serde(default)]
    defaults: toml::Table,
    #[serde(default, rename = "job")]
    jobs: Vec<RawJob>,
}

#[derive(Deserialize)]
struct RawJob {
    name: String,
    #[serde(default)]
    inputs: Vec<PathBuf>,
    #[serde(default)]
    config: toml::Table,
}

impl JobFile {
    /// Reads and validates the job file at `path`; the batch's folder goes under `out`. Every
    /// error is an [`Error::Config`] naming the file and the key (and the job), and nothing is
    /// written.
    pub fn load(path: &Path, out: &Path) -> Result<JobFile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, path, out)
    }

    /// [`JobFile::load`] on the file's text.
    pub fn parse(text: &str, path: &Path, out: &Path) -> Result<JobFile> {
        let file = path.display().to_string();
        let bad = |message: String| Error::Config {
            file: file.clone(),
            message,
        };
        toml::from_str::<Checked>(text).map_err(|e| config_error(&file, text, e))?;
        let raw: Raw = toml::from_str(text).map_err(|e| config_error(&file, text, e))?;
        check_name(&raw.name).map_err(|why| bad(format!("`name = {:?}`: {why}", raw.name)))?;
        if raw.jobs.is_empty() {
            return Err(bad(
                "no `[[job]]`: a job file lists at least one job (name, inputs, [job.config])"
                    .into(),
            ));
        }
        if has_out(&raw.defaults) {
            return Err(bad(OUT_SET.replace("{table}", "[defaults]")));
        }
        let folder = out.join(&raw.name);
        let mut jobs: Vec<Job> = Vec::with_capacity(raw.jobs.len());
        for (i, job) in raw.jobs.into_iter().enumerate() {
            let which = format!("job {} (`{}`)", i + 1, job.name);
            check_name(&job.name).map_err(|why| bad(format!("{which}: name: {why}")))?;
            if let Some(first) = jobs.iter().position(|j| j.name == job.name) {
                return Err(bad(format!(
                    "{which}: name: job {} is also named `{}`; each job needs a folder of its own",
                    first + 1,
                    job.name
                )));
            }
            if has_out(&job.config) {
                return Err(bad(format!(
                    "{which}: {}",
                    OUT_SET.replace("{table}", "[job.config]")
                )));
            }
            let layers = vec![raw.defaults.clone(), job.config];
            let mut config =
                Config::load_layers(layers, job.inputs.is_empty(), &format!("{file}, {which}"))?;
            config.output.out = folder.clone();
            jobs.push(Job {
                name: job.name,
                inputs: job.inputs,
                config,
            });
        }
        Ok(JobFile {
            path: path.into(),
            name: raw.name,
            folder,
            jobs,
        })
    }

    /// Which jobs `names` selects, one flag per job in file order; every job when `names` is
    /// empty. A name that is no job's is an error listing the jobs.
    pub fn select(&self, names: &[String]) -> Result<Vec<bool>> {
        if names.is_empty() {
            return Ok(vec![true; self.jobs.len()]);
        }
        for n in names {
            if !self.jobs.iter().any(|j| &j.name == n) {
                let known: Vec<&str> = self.jobs.iter().map(|j| j.name.as_str()).collect();
                return Err(Error::Usage(format!(
                    "--jobs: {} has no job `{n}` (its jobs: {})",
                    self.path.display(),
                    known.join(", ")
                )));
            }
        }
        Ok(self.jobs.iter().map(|j| names.contains(&j.name)).collect())
    }
}

const OUT_SET: &str = "{table} sets `output.out`, which the batch decides: each job's run folder \
                       is <out>/<batch name>/<job name> (use --out)";

fn has_out(table: &toml::Table) -> bool {
    table
        .get("output")
        .and_then(|o| o.as_table())
        .is_some_and(|o| o.contains_key("out"))
}

/// A batch or job name must be a plain folder name: letters, digits, `-`, `_` and `.`, not
/// starting with `.` (which also refuses `..` and themata's temporary folders), at most 100
/// characters, and not one of the index's file names.
fn check_name(name: &str) -> std::result::Result<(), &'static str> {
    if name.is_empty() {
        return Err("empty; use a plain folder name");
    }
    if name.chars().count() > 100 {
        return Err("longer than 100 characters");
    }
    if name.starts_with('.') {
        return Err("starts with `.`; use a plain folder name");
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err("use only letters, digits, `-`, `_` and `.` (a plain folder name)");
    }
    if matches!(name, "index.html" | "index.json") {
        return Err("is the name of the batch's index");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<JobFile> {
        JobFile::parse(text, Path::new("jobs.toml"), Path::new("out"))
    }

    #[test]
    fn job_config_lies_over_defaults_over_default_toml() {
        let f = parse(
            "name = \"b\"\n[defaults]\nunits.unit = \"window\"\nseed = 7\n\
             [[job]]\nname = \"a\"\ninputs = [\"seeds\"]\n[job.config]\nunits.unit = \"document\"\n\
             [[job]]\nname = \"c\"\n",
        )
        .unwrap();
        assert_eq!(f.folder, Path::new("out/b"));
        let (a, c) = (&f.jobs[0], &f.jobs[1]);
        assert_eq!(a.config.units.unit, crate::units::UnitKind::Document);
        assert_eq!(c.config.units.unit, crate::units::UnitKind::Window);
        assert_eq!((a.config.seed, c.config.seed), (7, 7));
        assert_eq!(a.folder(), Path::new("out/b/a"));
        // No inputs: the seed corpus, with its named themes, as `run` does.
        assert!(a.config.themes.named.is_empty());
        assert_eq!(c.config.themes.named.len(), 3);
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn unknown_keys_name_the_file_line_and_key() {
        let e = parse("name = \"b\"\n[[job]]\nname = \"a\"\n[job.config]\nunits.unti = 3\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("jobs.toml") && e.contains("line 5") && e.contains("unti"),
            "{e}"
        );
        let e = parse("name = \"b\"\n[[jobs]]\nname = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("jobs.toml") && e.contains("`jobs`"), "{e}");
    }

    #[test]
    fn out_of_range_values_name_the_job_and_key() {
        let e = parse(
            "name = \"b\"\n[[job]]\nname = \"a\"\n[job.config]\nunits.window_sentences = 2\n\
             units.window_overlap = 3\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("jobs.toml, job 1 (`a`)") && e.contains("units.window_overlap"),
            "{e}"
        );
    }

    #[test]
    fn unsafe_or_repeated_names_are_refused() {
        for name in ["..", "../x", "a/b", ".hidden", "", "index.html"] {
            let text = format!("name = \"b\"\n[[job]]\nname = {name:?}\n");
            let e = parse(&text).unwrap_err().to_string();
            assert!(e.contains("jobs.toml") && e.contains("name"), "{name}: {e}");
        }
        let e = parse("name = \"../b\"\n[[job]]\nname = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("name = \"../b\""), "{e}");
        let e = parse("name = \"b\"\n[[job]]\nname = \"a\"\n[[job]]\nname = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("job 2 (`a`)") && e.contains("job 1"), "{e}");
    }

    #[test]
    fn output_out_is_the_batch_s_to_decide() {
        let e = parse("name = \"b\"\n[defaults]\noutput.out = \"x\"\n[[job]]\nname = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("output.out") && e.contains("[defaults]"), "{e}");
    }

    #[test]
    fn selecting_an_unknown_job_lists_the_jobs() {
        let f = parse("name = \"b\"\n[[job]]\nname = \"a\"\n[[job]]\nname = \"c\"\n").unwrap();
        assert_eq!(f.select(&["c".into()]).unwrap(), [false, true]);
        let e = f.select(&["z".into()]).unwrap_err().to_string();
        assert!(e.contains("`z`") && e.contains("a, c"), "{e}");
    }
}
