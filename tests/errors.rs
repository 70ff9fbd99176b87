//! Bad input and faults, driven through the binary as a user would meet them: each ends with a
//! one-line error naming the file (and line, record or key) and exit code 2 for bad usage or
//! input, 1 for internal faults; interrupted and concurrent runs never leave a half-written run
//! folder behind or touch an earlier one.

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

mod common;

use assert_cmd::Command;
use common::fails;
use serde_json::Value;

fn themata() -> Command {
    let mut c = Command::cargo_bin("themata").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LOG");
    c
}

const BEES: &[&str] = &[
    "bees",
    "hive",
    "honey",
    "queen",
    "brood",
    "nectar",
    "pollen",
    "colony",
    "beekeeper",
    "swarm",
    "comb",
    "wax",
    "flowers",
    "clover",
    "orchard",
    "workers",
    "frames",
    "apiary",
];
const RAIL: &[&str] = &[
    "train",
    "railway",
    "station",
    "track",
    "signal",
    "carriage",
    "timetable",
    "platform",
    "locomotive",
    "freight",
    "passengers",
    "junction",
    "sleepers",
    "rails",
    "conductor",
    "depot",
    "tunnel",
    "commuters",
];
const COMMON: &[&str] = &[
    "the", "and", "with", "every", "morning", "season", "near", "town",
];

/// Deterministic pseudo-random text: `paras` paragraphs of 25 words on one of two topics.
fn article(seed: u64, paras: usize) -> String {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = |n: usize| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 33) as usize) % n
    };
    let topic = if seed.is_multiple_of(2) { BEES } else { RAIL };
    (0..paras)
        .map(|_| {
            let words: Vec<&str> = (0..25)
                .map(|_| {
                    if next(3) == 0 {
                        COMMON[next(COMMON.len())]
                    } else {
                        topic[next(topic.len())]
                    }
                })
                .collect();
            format!("{}.", words.join(" "))
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Writes `n` articles of `paras` paragraphs into `dir` as `doc0000.txt`…
fn corpus(dir: &Path, n: usize, paras: usize) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        std::fs::write(dir.join(format!("doc{i:04}.txt")), article(i as u64, paras)).unwrap();
    }
    dir.to_path_buf()
}

fn write(dir: &Path, name: &str, body: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

/// `themata run ARGS --out OUT --charts none` (quiet unless `loud`).
fn run(out: &Path, args: &[&str], loud: bool) -> Output {
    let mut c = themata();
    c.arg("run")
        .args(args)
        .args(["--out", out.to_str().unwrap(), "--charts", "none"]);
    if !loud {
        c.arg("-q");
    }
    c.output().unwrap()
}

fn succeeds(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "failed: {err}");
    err
}

/// Entries of `out`, sorted; hidden (temporary) ones included.
fn entries(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(out) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

fn run_json(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap()
}

#[test]
fn missing_path_is_an_error_naming_it() {
    let d = tempfile::tempdir().unwrap();
    let o = run(d.path(), &["no/such/corpus.txt"], false);
    fails(&o, 2, &["no/such/corpus.txt", "No such file"]);
}

#[test]
fn empty_folder_is_an_error_naming_it() {
    let d = tempfile::tempdir().unwrap();
    let empty = d.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = run(&d.path().join("out"), &[empty.to_str().unwrap()], false);
    fails(&o, 2, &["empty", "no readable files"]);
}

#[test]
fn corpus_empty_after_cleaning_is_an_error_naming_it() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "furniture.txt",
        "Home | News | Sport | Weather\n\nShare this article\n\nAdvertisement\n\n   \n",
    );
    let o = run(&d.path().join("out"), &[p.to_str().unwrap()], false);
    fails(
        &o,
        2,
        &["furniture.txt", "no article text left after cleaning"],
    );
}

#[test]
fn invalid_utf8_is_decoded_lossily_with_a_warning_or_rejected_with_strict() {
    let d = tempfile::tempdir().unwrap();
    let input = corpus(&d.path().join("c"), 6, 4);
    let mut latin1 = article(2, 3).into_bytes();
    latin1.extend_from_slice(
        b"\n\nCaf\xe9 au lait with honey and bees near the hive, every morning.",
    );
    write(&input, "latin1.txt", &latin1);
    let out = d.path().join("out");
    let o = run(&out, &[input.to_str().unwrap(), "--k", "2"], true);
    let err = succeeds(&o);
    assert!(
        err.contains("latin1.txt: not valid UTF-8 at byte"),
        "warning expected: {err}"
    );
    let o = run(
        &out,
        &[input.to_str().unwrap(), "--k", "2", "--strict"],
        false,
    );
    fails(
        &o,
        2,
        &["latin1.txt", "byte ", "not valid UTF-8 (--strict)"],
    );
}

#[test]
fn binary_file_is_skipped_with_a_warning() {
    let d = tempfile::tempdir().unwrap();
    let input = corpus(&d.path().join("c"), 6, 4);
    write(&input, "image.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    let o = run(
        &d.path().join("out"),
        &[input.to_str().unwrap(), "--k", "2"],
        true,
    );
    let err = succeeds(&o);
    assert!(err.contains("image.txt: binary file skipped"), "{err}");
    // A corpus of nothing but a binary file says why it is empty.
    let only = d.path().join("only");
    std::fs::create_dir(&only).unwrap();
    write(&only, "blob.txt", b"\0\x01\x02\x03");
    let o = run(&d.path().join("out"), &[only.to_str().unwrap()], false);
    fails(
        &o,
        2,
        &["no article text left", "blob.txt: binary file skipped"],
    );
}

fn jsonl_lines(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            serde_json::json!({"id": format!("a{i}"), "text": article(i as u64, 3)}).to_string()
        })
        .collect()
}

#[test]
fn malformed_jsonl_record_is_named_or_skipped_and_counted() {
    let d = tempfile::tempdir().unwrap();
    let mut lines = jsonl_lines(8);
    lines.insert(4, r#"{"id": "broken", "text": "unterminated"#.into());
    let p = write(d.path(), "news.jsonl", lines.join("\n") + "\n");
    let out = d.path().join("out");
    let o = run(&out, &[p.to_str().unwrap(), "--k", "2"], false);
    fails(&o, 2, &["news.jsonl", "line 5", "malformed JSON"]);
    let o = run(
        &out,
        &[
            p.to_str().unwrap(),
            "--k",
            "2",
            "--skip-bad-records",
            "--name",
            "skip",
        ],
        true,
    );
    let err = succeeds(&o);
    assert!(
        err.contains("news.jsonl: line 5"),
        "warning expected: {err}"
    );
    let r = run_json(&out.join("skip"));
    assert_eq!(r["corpus"]["skipped_records"], 1);
    assert_eq!(r["corpus"]["articles"], 8);
}

#[test]
fn malformed_csv_row_is_named_or_skipped_and_counted() {
    let d = tempfile::tempdir().unwrap();
    let mut csv = String::from("id,text\n");
    for i in 0..8 {
        csv.push_str(&format!("r{i},\"{}\"\n", article(i, 3)));
        if i == 3 {
            csv.push_str("bad,too,many,fields\n");
        }
    }
    let p = write(d.path(), "rows.csv", csv);
    let out = d.path().join("out");
    let o = run(&out, &[p.to_str().unwrap(), "--k", "2"], false);
    fails(&o, 2, &["rows.csv", "row 5 (line ", "fields"]);
    let o = run(
        &out,
        &[
            p.to_str().unwrap(),
            "--k",
            "2",
            "--skip-bad-records",
            "--name",
            "skip",
        ],
        false,
    );
    succeeds(&o);
    let r = run_json(&out.join("skip"));
    assert_eq!(r["corpus"]["skipped_records"], 1);
    assert_eq!(r["corpus"]["articles"], 8);
}

#[test]
fn missing_text_field_is_an_error_naming_record_and_field() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "bodies.jsonl",
        "{\"id\": \"x\", \"body\": \"bees and honey\"}\n",
    );
    let o = run(&d.path().join("out"), &[p.to_str().unwrap()], false);
    fails(
        &o,
        2,
        &["bodies.jsonl", "line 1", "no text field `text`", "body"],
    );
    let p = write(d.path(), "bodies.csv", "id,body\n1,bees and honey\n");
    let o = run(&d.path().join("out"), &[p.to_str().unwrap()], false);
    fails(&o, 2, &["bodies.csv", "header", "no text column `text`"]);
}

#[test]
fn k_above_the_unit_count_or_below_two_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    let input = corpus(&d.path().join("c"), 4, 2);
    let out = d.path().join("out");
    let o = run(&out, &[input.to_str().unwrap(), "--k", "50"], false);
    fails(&o, 2, &["cannot make 50 clusters from 8 units"]);
    let o = run(&out, &[input.to_str().unwrap(), "--k", "1"], false);
    fails(&o, 2, &["cluster.k", "at least 2"]);
    let cfg = write(d.path(), "k1.toml", "[cluster]\nk = 1\n");
    let o = run(
        &out,
        &[input.to_str().unwrap(), "--config", cfg.to_str().unwrap()],
        false,
    );
    fails(&o, 2, &["k1.toml", "cluster.k", "at least 2"]);
    assert!(entries(&out).is_empty(), "{:?}", entries(&out));
}

#[test]
fn auto_k_on_too_few_units_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    let input = corpus(&d.path().join("c"), 2, 1);
    let cfg = write(
        d.path(),
        "loose.toml",
        "[vectorize]\nmin_df = 1.0\nmax_df = 1.0\n",
    );
    let o = run(
        &d.path().join("out"),
        &[
            input.to_str().unwrap(),
            "--k",
            "auto",
            "--config",
            cfg.to_str().unwrap(),
        ],
        false,
    );
    fails(
        &o,
        2,
        &["choosing k automatically needs at least 3 units", "got 2"],
    );
}

#[test]
fn too_few_passages_for_the_df_bounds_is_an_error_naming_input_and_keys() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "short.txt", article(0, 1));
    let o = run(&d.path().join("out"), &[p.to_str().unwrap()], false);
    fails(
        &o,
        2,
        &[
            "short.txt",
            "only 1 passage",
            "vectorize.min_df",
            "vectorize.max_df",
        ],
    );
}

#[test]
fn config_unknown_key_wrong_type_and_out_of_range_name_the_key() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    for (name, body, needles) in [
        (
            "unknown.toml",
            "seed = 1\n[units]\nmin_wrds = 3\n",
            &["unknown.toml", "line 3", "unknown field `min_wrds`"][..],
        ),
        (
            "type.toml",
            "[cluster]\nrestarts = \"many\"\n",
            &["type.toml", "line 2", "restarts", "invalid type"][..],
        ),
        (
            "range.toml",
            "[cluster]\nrestarts = 0\n",
            &["range.toml", "cluster.restarts", "between 1 and 1000"][..],
        ),
        (
            "window.toml",
            "[units]\nwindow_sentences = 2\nwindow_overlap = 2\n",
            &["window.toml", "units.window_overlap", "must be below"][..],
        ),
        (
            "syntax.toml",
            "[cluster\nk = 3\n",
            &["syntax.toml", "line 1"][..],
        ),
    ] {
        let cfg = write(d.path(), name, body);
        let o = run(&out, &["--config", cfg.to_str().unwrap()], false);
        fails(&o, 2, needles);
    }
    assert!(entries(&out).is_empty(), "{:?}", entries(&out));
}

#[test]
fn unwritable_output_folder_is_an_error_naming_it() {
    let d = tempfile::tempdir().unwrap();
    // Tests may run as root, so a read-only folder would still be writable: use a file instead.
    let file = write(d.path(), "plain-file", "x");
    let o = run(&file, &[], false);
    fails(&o, 2, &["plain-file", "cannot write the output folder"]);
    let o = run(&file.join("below"), &[], false);
    fails(
        &o,
        2,
        &["plain-file/below", "cannot write the output folder"],
    );
}

// The panic is injected only in builds with debug assertions (never in a release binary), and
// this test is built with the same profile as the binary it runs.
#[cfg_attr(
    not(debug_assertions),
    ignore = "the panic is injected only with debug assertions"
)]
#[test]
fn a_panic_is_one_line_exit_1_and_leaves_no_folder() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let o = themata()
        .args(["run", "--charts", "none", "-q", "--out"])
        .arg(&out)
        .env("THEMATA_INJECT_PANIC", "1")
        .output()
        .unwrap();
    let line = fails(&o, 1, &["internal error", "injected panic"]);
    assert!(!line.contains("RUST_BACKTRACE"), "{line}");
    assert!(entries(&out).is_empty(), "{:?}", entries(&out));
}

#[test]
fn hostile_small_inputs_end_cleanly() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    // One token repeated, in a file that is no web page: cleaning leaves it as it is, as
    // `--clean none` does, and no term passes max_df.
    let rep = write(
        d.path(),
        "repeated.txt",
        vec!["honey ".repeat(40); 30].join("\n\n"),
    );
    for clean in ["auto", "none"] {
        let o = run(&out, &[rep.to_str().unwrap(), "--clean", clean], false);
        fails(&o, 2, &["repeated.txt"]);
    }
    // A vocabulary of stop words only.
    let stop = "the of and to in is it that was for on are with as at be this have from";
    let stop: Vec<&str> = stop.split(' ').collect();
    let paras: Vec<String> = (0..20)
        .map(|i| {
            (0..30)
                .map(|j| stop[(i * 7 + j * 3) % stop.len()])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let sw = write(d.path(), "stopwords.txt", paras.join("\n\n"));
    let o = run(&out, &[sw.to_str().unwrap()], false);
    fails(&o, 2, &["stopwords.txt", "empty vocabulary"]);
    assert!(entries(&out).is_empty(), "{:?}", entries(&out));
}

#[test]
fn thousands_of_tiny_files_complete() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("tiny");
    std::fs::create_dir(&input).unwrap();
    for i in 0..3000u64 {
        let topic = if i % 2 == 0 { BEES } else { RAIL };
        let words: Vec<&str> = (0..6)
            .map(|j| topic[((i * 5 + j * 7) % topic.len() as u64) as usize])
            .collect();
        std::fs::write(input.join(format!("{i:05}.txt")), words.join(" ")).unwrap();
    }
    let out = d.path().join("out");
    let o = run(
        &out,
        &[input.to_str().unwrap(), "--k", "2", "--name", "tiny"],
        false,
    );
    succeeds(&o);
    assert_eq!(run_json(&out.join("tiny"))["corpus"]["articles"], 3000);
}

/// A corpus big enough that a debug-build run lasts well over a second.
fn big_corpus(dir: &Path) -> PathBuf {
    corpus(dir, 600, 8)
}

fn spawn_run(input: &Path, out: &Path, name: Option<&str>) -> Child {
    let bin = assert_cmd::cargo::cargo_bin("themata");
    let mut c = std::process::Command::new(bin);
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RUST_BACKTRACE")
        .arg("run")
        .arg(input)
        .args(["--k", "auto", "-q", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(n) = name {
        c.args(["--name", n]);
    }
    c.spawn().unwrap()
}

/// Waits until the run's temporary folder exists, then a little longer, so the kill lands
/// mid-run.
fn wait_for_temp_folder(out: &Path, child: &mut Child) {
    let t = Instant::now();
    loop {
        if entries(out).iter().any(|e| e.starts_with(".themata-tmp-")) {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "run ended before it could be interrupted"
        );
        assert!(t.elapsed() < Duration::from_secs(30), "no temp folder");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "run finished too fast to be interrupted; enlarge the corpus"
    );
}

#[test]
fn killed_runs_leave_no_run_folder_and_keep_earlier_runs() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let small = corpus(&d.path().join("small"), 6, 4);
    succeeds(&run(
        &out,
        &[small.to_str().unwrap(), "--k", "2", "--name", "earlier"],
        false,
    ));
    let earlier = std::fs::read(out.join("earlier/run.json")).unwrap();
    let big = big_corpus(&d.path().join("big"));

    // SIGTERM: the handler removes the temporary folder before exiting.
    let mut child = spawn_run(&big, &out, Some("term"));
    wait_for_temp_folder(&out, &mut child);
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("interrupted"));
    assert_eq!(entries(&out), ["earlier"]);

    // SIGKILL can't be caught: at most a hidden temporary folder stays, and the next run sweeps it.
    let mut child = spawn_run(&big, &out, Some("killed"));
    wait_for_temp_folder(&out, &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    let left = entries(&out);
    assert!(
        left.iter()
            .all(|e| e == "earlier" || e.starts_with(".themata-tmp-killed-")),
        "{left:?}"
    );
    succeeds(&run(
        &out,
        &[small.to_str().unwrap(), "--k", "2", "--name", "after"],
        false,
    ));
    assert_eq!(entries(&out), ["after", "earlier"]);
    assert_eq!(
        std::fs::read(out.join("earlier/run.json")).unwrap(),
        earlier,
        "an earlier run was touched"
    );
}

#[test]
fn concurrent_runs_into_one_folder_both_succeed_in_distinct_folders() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let input = corpus(&d.path().join("c"), 40, 4);
    // Same default name (date, time, corpus) for both within the same second: one gets `-2`.
    let a = spawn_run(&input, &out, None);
    let b = spawn_run(&input, &out, None);
    for child in [a, b] {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let runs = entries(&out);
    assert_eq!(runs.len(), 2, "{runs:?}");
    for r in &runs {
        assert!(!r.starts_with('.'), "{runs:?}");
        let j = run_json(&out.join(r));
        assert_eq!(j["corpus"]["articles"], 40);
    }
}

#[test]
fn oversized_article_is_an_error_naming_file_and_record() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    // Just over the 64 MiB cap, no newline anywhere: refused before being read.
    let huge = "honey bees ".repeat((64 << 20) / 11 + 1000);
    let p = write(d.path(), "huge.txt", &huge);
    let o = run(&out, &[p.to_str().unwrap()], false);
    fails(&o, 2, &["huge.txt", "over the 64 MiB limit"]);
    // The same as one JSON Lines record: named by line, or skipped and counted.
    let mut jsonl = format!("{{\"id\": \"huge\", \"text\": \"{huge}\"}}\n");
    drop(huge);
    jsonl.push_str(&jsonl_lines(8).join("\n"));
    let p = write(d.path(), "huge.jsonl", &jsonl);
    let o = run(&out, &[p.to_str().unwrap(), "--k", "2"], false);
    fails(&o, 2, &["huge.jsonl", "line 1", "over the 64 MiB limit"]);
    let o = run(
        &out,
        &[
            p.to_str().unwrap(),
            "--k",
            "2",
            "--skip-bad-records",
            "--name",
            "skip",
        ],
        false,
    );
    succeeds(&o);
    let r = run_json(&out.join("skip"));
    assert_eq!(r["corpus"]["skipped_records"], 1);
    assert_eq!(r["corpus"]["articles"], 8);
}
