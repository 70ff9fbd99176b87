//! A batch's index: one entry per job (its status, time, corpus size, k, silhouette and theme
//! labels), written as `index.json` for programs and `index.html` for people.
//!
//! In: the batch's [`JobFile`] and one [`JobEntry`] per job. Out: the two files in the batch's
//! folder, each written under a temporary name and renamed into place. The page is
//! self-contained (inline CSS, no script, nothing from the network) and escapes every text it
//! shows: theme labels come from corpus text.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Job, JobFile};
use crate::error::{Error, Result};
use crate::report::RunReport;
use crate::report::html::escape;

/// The whole index: the batch and every job of its file, in file order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    /// themata's version that wrote the index.
    pub themata_version: String,
    /// The batch's name (its folder's name).
    pub batch: String,
    /// The job file, as named on the command line.
    pub job_file: String,
    /// How many jobs ended in each status.
    pub counts: Counts,
    /// One entry per job of the job file, in file order.
    pub jobs: Vec<JobEntry>,
}

/// Jobs per status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Jobs run by this batch that succeeded.
    pub ok: usize,
    /// Jobs run by this batch that failed.
    pub failed: usize,
    /// Jobs not run (`--resume`, or not in `--jobs`) whose complete folder was kept.
    pub kept: usize,
    /// Jobs not run that have no complete folder.
    pub not_run: usize,
}

/// What became of one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Run by this batch; its folder is new.
    Ok,
    /// Run by this batch and failed; an earlier folder of the job, if any, is untouched.
    Failed,
    /// Not run (`--resume`, or not selected by `--jobs`): its complete folder was kept.
    Kept,
    /// Not selected by `--jobs` and without a complete folder.
    NotRun,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Kept => "kept",
            Status::NotRun => "not run",
        }
    }
}

/// One job's line of the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEntry {
    /// The job's name (its run folder's name).
    pub name: String,
    /// What became of it.
    pub status: Status,
    /// Its inputs, as written in the job file.
    pub inputs: Vec<String>,
    /// [`Job::fingerprint`]: equal for jobs with the same inputs and result-deciding config.
    pub config_hash: String,
    /// Wall time of the job in this batch (`ok`, `failed`), or the sum of the stage times
    /// recorded by the earlier run (`kept`), in seconds.
    pub seconds: Option<f64>,
    /// The error, for a failed job.
    pub error: Option<String>,
    /// The run's results, when the job has a complete folder (`ok`, `kept`).
    pub run: Option<RunSummary>,
}

/// The figures of a finished run that the index shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The run folder, relative to the batch's folder.
    pub folder: String,
    /// Its report page, relative to the batch's folder.
    pub report: String,
    /// Articles analysed.
    pub articles: usize,
    /// Units (passages) clustered.
    pub units: usize,
    /// Bytes of cleaned text.
    pub bytes: usize,
    /// Number of themes.
    pub k: usize,
    /// How k was chosen (`auto` or `fixed`).
    pub k_mode: String,
    /// Mean silhouette (cosine, LSA space).
    pub silhouette: f32,
    /// NMI against the corpus's labels, when it has a label field.
    pub nmi: Option<f64>,
    /// The themes, by theme id (largest first).
    pub themes: Vec<ThemeSummary>,
}

/// One theme of a run, as the index lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemeSummary {
    /// Its label.
    pub label: String,
    /// Units in it.
    pub size: usize,
}

impl JobEntry {
    /// The entry of `job` with `status`; `run` is the report of its complete folder, if any.
    pub fn new(job: &Job, status: Status, seconds: Option<f64>, run: Option<&RunReport>) -> Self {
        JobEntry {
            name: job.name.clone(),
            status,
            inputs: job.source().describe(),
            config_hash: job.fingerprint(),
            seconds,
            error: None,
            run: run.map(|r| summarise(&job.name, r)),
        }
    }

    /// The entry of a job that failed with `error` after `seconds`.
    pub fn failed(job: &Job, seconds: f64, error: String) -> Self {
        JobEntry {
            error: Some(error),
            ..Self::new(job, Status::Failed, Some(seconds), None)
        }
    }
}

fn summarise(name: &str, r: &RunReport) -> RunSummary {
    RunSummary {
        folder: name.to_string(),
        report: format!("{name}/report.html"),
        articles: r.corpus.articles,
        units: r.corpus.units,
        bytes: r.corpus.bytes,
        k: r.themes.len(),
        k_mode: r.k_selection.mode.clone(),
        silhouette: r.scores.silhouette,
        nmi: r.scores.external.as_ref().map(|x| x.nmi),
        themes: r
            .themes
            .iter()
            .map(|t| ThemeSummary {
                label: t.label.clone(),
                size: t.size,
            })
            .collect(),
    }
}

impl Index {
    /// The index of `file`'s batch over `jobs` (one entry per job, in file order).
    pub fn new(file: &JobFile, jobs: Vec<JobEntry>) -> Self {
        let mut counts = Counts::default();
        for j in &jobs {
            match j.status {
                Status::Ok => counts.ok += 1,
                Status::Failed => counts.failed += 1,
                Status::Kept => counts.kept += 1,
                Status::NotRun => counts.not_run += 1,
            }
        }
        Index {
            themata_version: env!("CARGO_PKG_VERSION").to_string(),
            batch: file.name.clone(),
            job_file: file.path.display().to_string(),
            counts,
            jobs,
        }
    }

    /// Writes `index.json` and `index.html` into `folder`, each under a temporary name first.
    pub fn write(&self, folder: &Path) -> Result<()> {
        let json = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Internal(format!("index.json: {e}")))?;
        write_atomically(&folder.join("index.json"), json.as_bytes())?;
        write_atomically(&folder.join("index.html"), render_html(self).as_bytes())
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_file_name(format!(
        "{}{}-{}",
        crate::rundir::TMP_PREFIX,
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Most theme labels listed per job; the rest are counted.
const MAX_LABELS: usize = 30;

const CSS: &str = "body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;\
color:#1d2329;margin:0;background:#fafafa}.wrap{max-width:1200px;margin:0 auto;padding:0 20px}\
header{background:#23395b;color:#fff;padding:18px 0}header h1{margin:0;font-size:24px}\
header p{margin:4px 0 0;opacity:.85}table{border-collapse:collapse;width:100%;margin:20px 0;\
background:#fff}th,td{border-bottom:1px solid #e2e5e9;padding:8px 10px;text-align:left;\
vertical-align:top}th{background:#f0f2f5;font-weight:600}td.n{text-align:right;\
font-variant-numeric:tabular-nums;white-space:nowrap}.s{font-weight:600;white-space:nowrap}\
.ok{color:#1a7f37}.failed{color:#c62828}.kept{color:#4a5a70}.not-run{color:#8a8f98}\
.err{color:#c62828;font-family:ui-monospace,monospace;font-size:13px;white-space:pre-wrap}\
.themes span{display:inline-block;background:#eef1f6;border-radius:3px;padding:1px 6px;\
margin:0 4px 4px 0;font-size:13px}.themes small{color:#6a717b}.muted{color:#6a717b}";

/// Renders `index.html`.
pub fn render_html(index: &Index) -> String {
    let mut h = String::with_capacity(16 * 1024);
    let c = &index.counts;
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"themata {}\">\n<title>Batch {}</title>\n\
         <style>{CSS}</style>\n</head>\n<body>\n<header><div class=\"wrap\"><h1>Batch {}</h1>\
         <p>{} jobs from {}: {} ok, {} failed, {} kept, {} not run</p></div></header>\n\
         <main class=\"wrap\">\n<table>\n<thead><tr><th>job</th><th>status</th><th>time</th>\
         <th>articles</th><th>passages</th><th>k</th><th>silhouette</th><th>themes</th>\
         <th>report</th></tr></thead>\n<tbody>\n",
        escape(&index.themata_version),
        escape(&index.batch),
        escape(&index.batch),
        index.jobs.len(),
        escape(&index.job_file),
        c.ok,
        c.failed,
        c.kept,
        c.not_run
    );
    for j in &index.jobs {
        let status = j.status.as_str();
        let _ = write!(
            h,
            "<tr id=\"job-{}\"><td><b>{}</b><br><small class=\"muted\">{}</small></td>\
             <td class=\"s {}\">{}</td><td class=\"n\">{}</td>",
            escape(&j.name),
            escape(&j.name),
            escape(&j.inputs.join(", ")),
            status.replace(' ', "-"),
            status,
            j.seconds.map(seconds).unwrap_or_default(),
        );
        match (&j.run, &j.error) {
            (Some(r), _) => {
                let nmi = r
                    .nmi
                    .map(|v| format!("<br><small class=\"muted\">NMI {v:.3}</small>"))
                    .unwrap_or_default();
                let _ = write!(
                    h,
                    "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{} <small \
                     class=\"muted\">{}</small></td><td class=\"n\">{:.3}{nmi}</td><td class=\"themes\">",
                    group(r.articles),
                    group(r.units),
                    r.k,
                    escape(&r.k_mode),
                    r.silhouette
                );
                for t in r.themes.iter().take(MAX_LABELS) {
                    let _ = write!(
                        h,
                        "<span>{} <small>{}</small></span>",
                        escape(&t.label),
                        group(t.size)
                    );
                }
                if r.themes.len() > MAX_LABELS {
                    let _ = write!(
                        h,
                        "<small class=\"muted\">and {} more</small>",
                        r.themes.len() - MAX_LABELS
                    );
                }
                let _ = writeln!(
                    h,
                    "</td><td><a href=\"{}\">report</a><br><a href=\"{}/themes.md\">themes.md</a>\
                     </td></tr>",
                    escape(&r.report),
                    escape(&r.folder)
                );
            }
            (None, Some(e)) => {
                let _ = writeln!(
                    h,
                    "<td colspan=\"6\" class=\"err\">{}</td><td></td></tr>",
                    escape(e)
                );
            }
            (None, None) => {
                h.push_str(
                    "<td colspan=\"6\" class=\"muted\">no complete run folder</td><td></td></tr>\n",
                );
            }
        }
    }
    h.push_str("</tbody>\n</table>\n</main>\n</body>\n</html>\n");
    h
}

fn seconds(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.2} s")
    } else {
        format!("{s:.1} s")
    }
}

fn group(n: usize) -> String {
    crate::chart::group_thousands(n as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(status: Status) -> JobEntry {
        JobEntry {
            name: "a".into(),
            status,
            inputs: vec!["seeds".into()],
            config_hash: "0".into(),
            seconds: Some(0.5),
            error: None,
            run: None,
        }
    }

    fn index(jobs: Vec<JobEntry>) -> Index {
        let file = JobFile {
            path: "jobs.toml".into(),
            name: "b".into(),
            folder: "out/b".into(),
            jobs: Vec::new(),
        };
        Index::new(&file, jobs)
    }

    #[test]
    fn the_page_makes_corpus_text_inert() {
        let mut ok = entry(Status::Ok);
        ok.run = Some(RunSummary {
            folder: "a".into(),
            report: "a/report.html".into(),
            articles: 1,
            units: 2,
            bytes: 3,
            k: 1,
            k_mode: "fixed".into(),
            silhouette: 0.5,
            nmi: None,
            themes: vec![ThemeSummary {
                label: "<script>alert(1)</script>".into(),
                size: 2,
            }],
        });
        let mut failed = entry(Status::Failed);
        failed.error = Some("<img src=x onerror=alert(1)>".into());
        let page = render_html(&index(vec![ok, failed]));
        assert!(
            !page.contains("<script") && !page.contains("<img"),
            "{page}"
        );
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn counts_follow_the_statuses() {
        let i = index(vec![
            entry(Status::Ok),
            entry(Status::Failed),
            entry(Status::Kept),
            entry(Status::NotRun),
            entry(Status::Ok),
        ]);
        assert_eq!(
            i.counts,
            Counts {
                ok: 2,
                failed: 1,
                kept: 1,
                not_run: 1
            }
        );
    }
}
