//! `themata batch`: job files, failures, --resume, --jobs, --dry-run and the index.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{fails, run_json, run_ok, themata};
use serde_json::Value;

/// Writes `jobs.toml` (charts off in [defaults] unless the text has its own [defaults]) into a
/// fresh folder and returns the folder and the job file's path.
fn job_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("jobs.toml");
    let text = if text.contains("[defaults]") {
        text.to_string()
    } else {
        text.replacen("[[job]]", "[defaults]\noutput.charts = []\n\n[[job]]", 1)
    };
    std::fs::write(&p, text).unwrap();
    (d, p)
}

fn batch(file: &Path, out: &Path, args: &[&str]) -> Output {
    themata()
        .arg("batch")
        .arg(file)
        .args(["--out", out.to_str().unwrap(), "-q"])
        .args(args)
        .output()
        .unwrap()
}

fn index(folder: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(folder.join("index.json")).unwrap()).unwrap()
}

fn statuses(index: &Value) -> Vec<(String, String)> {
    index["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["name"].as_str().unwrap().to_string(),
                j["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Entries of a folder, sorted (nothing temporary may remain).
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

const TWO_JOBS: &str = r#"
name = "b"
[[job]]
name = "paras"
inputs = ["seeds"]
[[job]]
name = "docs"
inputs = ["seeds"]
[job.config]
units.unit = "document"
"#;

#[test]
fn a_failing_job_leaves_the_others_complete_and_exits_1() {
    let (d, file) = job_file(
        r#"
name = "b"
[[job]]
name = "paras"
inputs = ["seeds"]
[[job]]
name = "too-many-themes"
inputs = ["seeds"]
[job.config]
cluster.k = 500
[[job]]
name = "missing-input"
inputs = ["no/such/<script>alert(1)</script>.jsonl"]
[[job]]
name = "docs"
inputs = ["seeds"]
[job.config]
units.unit = "document"
"#,
    );
    let out = d.path().join("out");
    let o = batch(&file, &out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("job `too-many-themes` failed") && err.contains("job `missing-input` failed"),
        "{err}"
    );
    assert!(
        err.contains("2 of 4 jobs failed: too-many-themes, missing-input"),
        "{err}"
    );
    let folder = out.join("b");
    assert_eq!(
        entries(&folder),
        ["docs", "index.html", "index.json", "paras"]
    );
    for job in ["paras", "docs"] {
        assert!(folder.join(job).join("report.html").is_file());
        assert_eq!(run_json(&folder.join(job))["name"], job);
    }
    let i = index(&folder);
    assert_eq!(
        statuses(&i),
        pairs(&[
            ("paras", "ok"),
            ("too-many-themes", "failed"),
            ("missing-input", "failed"),
            ("docs", "ok")
        ])
    );
    assert!(
        i["jobs"][2]["error"]
            .as_str()
            .unwrap()
            .contains("no/such/<script>alert(1)</script>.jsonl"),
        "{i}"
    );
    assert_eq!(i["counts"]["failed"], 2);
    let page = std::fs::read_to_string(folder.join("index.html")).unwrap();
    assert!(page.contains("too-many-themes") && page.contains("class=\"s failed\""));
    // Text from inputs and corpora is escaped: the error naming the input can't inject markup.
    assert!(!page.contains("<script") && page.contains("&lt;script&gt;alert(1)"));
}

#[test]
fn a_panicking_job_is_reported_and_the_batch_goes_on() {
    let (d, file) = job_file(TWO_JOBS);
    let out = d.path().join("out");
    let o = themata()
        .env("THEMATA_INJECT_PANIC", "1")
        .arg("batch")
        .arg(&file)
        .args(["--out", out.to_str().unwrap(), "-q"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("2 of 2 jobs failed: paras, docs"), "{err}");
    let folder = out.join("b");
    assert_eq!(entries(&folder), ["index.html", "index.json"]);
    let i = index(&folder);
    assert_eq!(
        statuses(&i),
        pairs(&[("paras", "failed"), ("docs", "failed")])
    );
    assert!(
        i["jobs"][1]["error"]
            .as_str()
            .unwrap()
            .contains("injected panic"),
        "{i}"
    );
}

#[test]
fn index_json_holds_each_job_s_figures_and_links() {
    let (d, file) = job_file(TWO_JOBS);
    let out = d.path().join("out");
    let o = batch(&file, &out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let folder = out.join("b");
    let i = index(&folder);
    assert_eq!(i["batch"], "b");
    assert_eq!(i["job_file"], file.display().to_string());
    assert_eq!(i["themata_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        i["counts"],
        serde_json::json!({"ok": 2, "failed": 0, "kept": 0, "not_run": 0})
    );
    for (n, job) in i["jobs"].as_array().unwrap().iter().enumerate() {
        let name = job["name"].as_str().unwrap();
        let run = run_json(&folder.join(name));
        assert_eq!(job["inputs"], serde_json::json!(["seeds"]));
        let hash = job["config_hash"].as_str().unwrap();
        assert!(hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(job["seconds"].as_f64().unwrap() > 0.0);
        assert!(job["error"].is_null());
        let r = &job["run"];
        assert_eq!(r["folder"], name);
        assert!(folder.join(r["report"].as_str().unwrap()).is_file());
        assert_eq!(r["articles"], 5);
        assert_eq!(r["units"], run["corpus"]["units"]);
        assert_eq!(r["bytes"], run["corpus"]["bytes"]);
        assert_eq!(r["k"], run["themes"].as_array().unwrap().len());
        assert_eq!(r["k_mode"], run["k_selection"]["mode"]);
        let sil = run["scores"]["silhouette"].as_f64().unwrap();
        assert!((r["silhouette"].as_f64().unwrap() - sil).abs() < 1e-6);
        assert!(r["nmi"].is_null());
        let labels: Vec<&Value> = run["themes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| &t["label"])
            .collect();
        let listed: Vec<&Value> = r["themes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| &t["label"])
            .collect();
        assert_eq!(listed, labels, "job {n}");
    }
    assert_ne!(i["jobs"][0]["config_hash"], i["jobs"][1]["config_hash"]);
    let page = std::fs::read_to_string(folder.join("index.html")).unwrap();
    assert!(
        page.contains("href=\"paras/report.html\"") && page.contains("href=\"docs/report.html\"")
    );
}

#[test]
fn a_job_writes_what_run_writes() {
    let (d, file) = job_file(
        r#"
name = "b"
[[job]]
name = "windows"
inputs = ["seeds"]
[job.config]
units.unit = "window"
"#,
    );
    let out = d.path().join("out");
    assert!(batch(&file, &out, &[]).status.success());
    let by_batch = out.join("b/windows");
    let by_run = run_ok(&out.join("b2"), "windows", &["seeds", "--unit", "window"]);
    assert_eq!(entries(&by_batch), entries(&by_run));
    for f in ["assignments.csv", "cleaning.csv"] {
        assert_eq!(
            std::fs::read(by_batch.join(f)).unwrap(),
            std::fs::read(by_run.join(f)).unwrap(),
            "{f}"
        );
    }
    let (a, b) = (run_json(&by_batch), run_json(&by_run));
    assert_eq!(a["themes"], b["themes"]);
    // Only the output folder differs in the config.
    assert_eq!(a["config"]["units"], b["config"]["units"]);
    assert_eq!(
        a["config"]["output"]["out"],
        out.join("b").display().to_string()
    );
}

#[test]
fn resume_keeps_complete_jobs_and_reruns_changed_or_incomplete_ones() {
    let (d, file) = job_file(TWO_JOBS);
    let out = d.path().join("out");
    assert!(batch(&file, &out, &[]).status.success());
    let folder = out.join("b");
    let paras = std::fs::read(folder.join("paras/run.json")).unwrap();
    let docs = std::fs::read(folder.join("docs/run.json")).unwrap();

    // Nothing changed: both kept, their folders untouched.
    let o = batch(&file, &out, &["--resume"]);
    assert!(o.status.success());
    assert_eq!(
        statuses(&index(&folder)),
        pairs(&[("paras", "kept"), ("docs", "kept")])
    );
    assert_eq!(std::fs::read(folder.join("paras/run.json")).unwrap(), paras);
    assert!(index(&folder)["jobs"][0]["run"]["k"].as_u64().unwrap() > 0);

    // docs's config changed, paras lost its report page: both run again.
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("\"document\"", "\"document\"\nseed = 7"),
    )
    .unwrap();
    std::fs::remove_file(folder.join("paras/report.html")).unwrap();
    let o = batch(&file, &out, &["--resume"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        statuses(&index(&folder)),
        pairs(&[("paras", "ok"), ("docs", "ok")])
    );
    assert!(folder.join("paras/report.html").is_file());
    assert_ne!(std::fs::read(folder.join("docs/run.json")).unwrap(), docs);
    assert_eq!(run_json(&folder.join("docs"))["config"]["seed"], 7);

    // The thread count never changes results, so it does not make a folder stale.
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("[defaults]", "[defaults]\nthreads = 1")).unwrap();
    assert!(batch(&file, &out, &["--resume"]).status.success());
    assert_eq!(
        statuses(&index(&folder)),
        pairs(&[("paras", "kept"), ("docs", "kept")])
    );
    assert_eq!(
        entries(&folder),
        ["docs", "index.html", "index.json", "paras"]
    );

    // Nor does moving the batch's folder elsewhere (--out).
    let moved = d.path().join("moved");
    std::fs::create_dir_all(&moved).unwrap();
    std::fs::rename(&folder, moved.join("b")).unwrap();
    assert!(batch(&file, &moved, &["--resume"]).status.success());
    assert_eq!(
        statuses(&index(&moved.join("b"))),
        pairs(&[("paras", "kept"), ("docs", "kept")])
    );
}

#[test]
fn a_rerun_replaces_a_job_s_folder_and_a_failed_rerun_keeps_it() {
    let (d, file) = job_file(TWO_JOBS);
    let out = d.path().join("out");
    assert!(batch(&file, &out, &[]).status.success());
    let folder = out.join("b");
    let before = std::fs::read(folder.join("docs/run.json")).unwrap();
    // Without --resume every selected job runs again, replacing its folder.
    assert!(batch(&file, &out, &["--jobs", "docs"]).status.success());
    assert_eq!(
        entries(&folder),
        ["docs", "index.html", "index.json", "paras"]
    );
    // Now make docs fail: its complete folder from before stays as it was.
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("\"document\"", "\"document\"\ncluster.k = 500"),
    )
    .unwrap();
    let o = batch(&file, &out, &[]);
    assert_eq!(o.status.code(), Some(1));
    let after = std::fs::read(folder.join("docs/run.json")).unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&after).unwrap()["themes"],
        serde_json::from_slice::<Value>(&before).unwrap()["themes"]
    );
    assert_eq!(
        entries(&folder),
        ["docs", "index.html", "index.json", "paras"]
    );
    assert_eq!(
        statuses(&index(&folder)),
        pairs(&[("paras", "ok"), ("docs", "failed")])
    );
}

#[test]
fn jobs_runs_a_subset_and_the_index_lists_every_job() {
    let (d, file) = job_file(TWO_JOBS);
    let out = d.path().join("out");
    let o = batch(&file, &out, &["--jobs", "docs"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let folder = out.join("b");
    assert_eq!(entries(&folder), ["docs", "index.html", "index.json"]);
    assert_eq!(
        statuses(&index(&folder)),
        pairs(&[("paras", "not_run"), ("docs", "ok")])
    );
    // Then the other one: the first is listed as kept with its figures.
    assert!(batch(&file, &out, &["--jobs", "paras"]).status.success());
    let i = index(&folder);
    assert_eq!(statuses(&i), pairs(&[("paras", "ok"), ("docs", "kept")]));
    assert_eq!(i["jobs"][1]["run"]["articles"], 5);

    let o = batch(&file, &out, &["--jobs", "paras,nope"]);
    fails(&o, 2, &["--jobs", "`nope`", "paras, docs"]);
}

#[test]
fn dry_run_prints_each_job_s_resolved_config_and_writes_nothing() {
    let (d, file) = job_file(TWO_JOBS);
    let out = d.path().join("out");
    let o = themata()
        .arg("batch")
        .arg(&file)
        .args(["--out", out.to_str().unwrap(), "--dry-run"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("# job `paras`: would run") && text.contains("# job `docs`: would run"));
    let docs = text.split("# job `docs`").nth(1).unwrap();
    let paras = text
        .split("# job `paras`")
        .nth(1)
        .unwrap()
        .split("# job `docs`")
        .next()
        .unwrap();
    // Each job's whole config, resolved: the job's own key, the defaults' and default.toml's.
    assert!(docs.contains("unit = \"document\"") && paras.contains("unit = \"paragraph\""));
    assert!(docs.contains("charts = []") && docs.contains("min_df = 2.0"));
    assert!(docs.contains(&format!("out = {:?}", out.join("b").display().to_string())));
    assert!(!out.exists(), "a dry run writes nothing");

    // With --resume it says which jobs it would keep.
    assert!(batch(&file, &out, &["--jobs", "paras"]).status.success());
    let o = batch(&file, &out, &["--dry-run", "--resume"]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("# job `paras`: would be kept"), "{text}");
    assert!(
        text.contains("# job `docs`: would run (no run folder)"),
        "{text}"
    );
}

#[test]
fn a_bad_job_file_names_the_file_and_key_and_writes_nothing() {
    let cases: &[(&str, &[&str])] = &[
        (
            "name = \"b\"\n[[job]]\nname = \"a\"\ninputs = [\"seeds\"]\n[job.config]\nunits.unti = \"document\"\n",
            &["jobs.toml", "line 6", "unti"],
        ),
        (
            "name = \"b\"\n[[job]]\nname = \"a\"\n[job.config]\ncluster.k = \"many\"\n",
            &["jobs.toml", "cluster.k = \"many\""],
        ),
        (
            "name = \"b\"\n[[job]]\nname = \"a\"\n[job.config]\nunits.window_sentences = 2\nunits.window_overlap = 2\n",
            &["jobs.toml, job 1 (`a`)", "units.window_overlap"],
        ),
        (
            "name = \"b\"\n[[job]]\nname = \"..\"\n",
            &["jobs.toml", "job 1 (`..`): name"],
        ),
        (
            "name = \"b\"\n[[job]]\nname = \"x/../../y\"\n",
            &["jobs.toml", "name"],
        ),
        (
            "name = \"b/c\"\n[[job]]\nname = \"a\"\n",
            &["jobs.toml", "name = \"b/c\""],
        ),
        ("name = \"b\"\n", &["jobs.toml", "[[job]]"]),
        ("[[job]]\nname = \"a\"\n", &["jobs.toml", "name"]),
        (
            "name = \"b\"\n[[job]]\nname = \"a\"\ninput = [\"seeds\"]\n",
            &["jobs.toml", "line 4", "input"],
        ),
        (
            "name = \"b\"\n[[job]]\nname = \"a\"\n[[job]]\nname = \"a\"\n",
            &["jobs.toml", "job 2 (`a`)"],
        ),
        (
            "name = \"b\"\n[[job]]\nname = \"a\"\n[job.config]\noutput.out = \"elsewhere\"\n",
            &["jobs.toml", "output.out"],
        ),
        (
            "name = \"b\"\n[[job]\nname = \"a\"\n",
            &["jobs.toml", "line 2"],
        ),
    ];
    for (text, needles) in cases {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("jobs.toml");
        std::fs::write(&file, text).unwrap();
        let out = d.path().join("out");
        let o = batch(&file, &out, &[]);
        fails(&o, 2, needles);
        assert!(!out.exists(), "nothing written for {text:?}");
    }
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("missing.toml");
    fails(
        &batch(&missing, &d.path().join("out"), &[]),
        2,
        &["missing.toml"],
    );
}

#[test]
fn the_example_job_file_is_valid() {
    let o = themata()
        .args(["batch", "examples/batch.toml", "--dry-run"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    for job in [
        "seeds-paragraphs",
        "seeds-windows",
        "seeds-documents",
        "nyt-frontpage",
        "nyt-frontpage-by-year",
    ] {
        assert!(
            text.contains(&format!("# job `{job}`: would run")),
            "{text}"
        );
    }
}
