//! End-to-end tests: the binary on the seed corpus and on small fixtures, checked as a user would.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::{fixture, run_json, run_ok, themata};

fn read_csv(dir: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(dir.join("assignments.csv")).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Checks what must hold for any run: each unit assigned exactly once to an existing theme, CSV
/// and JSON agree, the spans slice the cleaned article text back to the unit's text.
fn check_run_invariants(dir: &Path, inputs: &[PathBuf], extra: &[(&str, &str)]) -> Value {
    let r = run_json(dir);
    let k = r["themes"].as_array().unwrap().len();
    let units = r["units"].as_array().unwrap();
    assert_eq!(units.len(), r["corpus"]["units"].as_u64().unwrap() as usize);
    let rows = read_csv(dir);
    assert_eq!(rows.len(), units.len(), "one CSV row per unit");
    let mut seen = vec![false; units.len()];
    for (row, u) in rows.iter().zip(units) {
        let id: usize = row["unit_id"].parse().unwrap();
        assert!(!seen[id], "unit {id} assigned twice");
        seen[id] = true;
        let theme: usize = row["theme_id"].parse().unwrap();
        assert!(theme < k);
        assert_eq!(u["theme"].as_u64().unwrap() as usize, theme);
        assert_eq!(
            row["theme_label"],
            r["themes"][theme]["label"].as_str().unwrap()
        );
    }
    assert!(seen.iter().all(|&s| s), "every unit assigned");
    let sizes: usize = r["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["size"].as_u64().unwrap() as usize)
        .sum();
    assert_eq!(sizes, units.len(), "theme sizes add up to the units");

    // Spans: rebuild the cleaned corpus with the library and slice it.
    let mut config = themata::config::Config::defaults().unwrap();
    for (k, v) in extra {
        match *k {
            "text_field" => config.ingest.text_field = v.to_string(),
            "id_field" => config.ingest.id_field = v.to_string(),
            "label_field" => config.ingest.label_field = v.to_string(),
            _ => unreachable!(),
        }
    }
    let source = if inputs.is_empty() {
        themata::pipeline::Source::EmbeddedSeeds
    } else {
        themata::pipeline::Source::Paths(inputs.to_vec())
    };
    let corpus = themata::pipeline::ingest(&source, &config).unwrap();
    for u in units {
        let a = &corpus.articles[u["article"].as_u64().unwrap() as usize];
        let (s, e) = (
            u["start"].as_u64().unwrap() as usize,
            u["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            &a.text[s..e],
            u["text"].as_str().unwrap(),
            "span of unit {}",
            u["id"]
        );
    }
    r
}

fn theme_of_units_containing(r: &Value, needle: &str) -> BTreeMap<usize, usize> {
    let mut counts = BTreeMap::new();
    for u in r["units"].as_array().unwrap() {
        if u["text"].as_str().unwrap().to_lowercase().contains(needle) {
            *counts
                .entry(u["theme"].as_u64().unwrap() as usize)
                .or_default() += 1;
        }
    }
    counts
}

fn majority(counts: &BTreeMap<usize, usize>) -> usize {
    *counts
        .iter()
        .max_by_key(|(t, n)| (**n, std::cmp::Reverse(**t)))
        .unwrap()
        .0
}

#[test]
fn seeds_run_writes_the_three_files_and_names_the_configured_themes() {
    let out = tempfile::tempdir().unwrap();
    let dir = run_ok(out.path(), "seeds", &[]);
    for f in ["run.json", "assignments.csv", "themes.md", "report.html"] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let r = check_run_invariants(&dir, &[], &[]);
    assert_eq!(r["corpus"]["articles"], 5);
    // run.json: one line per top-level key and per unit, article and theme.
    let text = std::fs::read_to_string(dir.join("run.json")).unwrap();
    let units = r["units"].as_array().unwrap();
    let unit_lines = text
        .lines()
        .filter(|l| l.starts_with("    {\"id\":"))
        .count();
    let articles = r["articles"].as_array().unwrap().len();
    let themes = r["themes"].as_array().unwrap().len();
    assert_eq!(unit_lines, units.len() + articles + themes, "{text}");
    for key in ["units", "articles", "themes", "scores", "timings"] {
        assert!(
            text.contains(&format!("\n  \"{key}\": ")),
            "{key} not on its own line"
        );
    }
    let labels: Vec<&str> = r["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap())
        .collect();
    for name in [
        "regional disparity",
        "fear-based politics",
        "labor mobilization",
    ] {
        assert!(labels.contains(&name), "{name} not among {labels:?}");
    }
    // The passages a reader would put under each named theme are mostly there.
    let theme_id = |name: &str| labels.iter().position(|l| *l == name).unwrap();
    for (needle, name) in [
        ("discharged soldiers", "labor mobilization"),
        ("fear", "fear-based politics"),
        ("disparity", "regional disparity"),
    ] {
        let counts = theme_of_units_containing(&r, needle);
        assert_eq!(
            majority(&counts),
            theme_id(name),
            "units mentioning {needle:?}: {counts:?}"
        );
    }
    let md = std::fs::read_to_string(dir.join("themes.md")).unwrap();
    for name in [
        "regional disparity",
        "fear-based politics",
        "labor mobilization",
        "Best passages",
    ] {
        assert!(md.contains(name), "themes.md lacks {name}");
    }
}

#[test]
fn seeds_unguided_auto_k_still_separates_the_themes() {
    let out = tempfile::tempdir().unwrap();
    let dir = run_ok(out.path(), "auto", &["--no-guide", "--k", "auto"]);
    let r = check_run_invariants(&dir, &[], &[]);
    let k = r["themes"].as_array().unwrap().len();
    let sel = &r["k_selection"];
    assert_eq!(sel["mode"], "auto");
    let tried: Vec<u64> = sel["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["k"].as_u64().unwrap())
        .collect();
    assert!(
        tried.iter().all(|&t| (2..=20).contains(&t)),
        "k tried out of range: {tried:?}"
    );
    assert!(tried.contains(&(k as u64)) && (2..=20).contains(&k));
    for t in r["themes"].as_array().unwrap() {
        assert!(t["named"].is_null(), "--no-guide must not name themes");
    }
    let labor = majority(&theme_of_units_containing(&r, "discharged soldiers"));
    let fear = majority(&theme_of_units_containing(&r, "fear"));
    let disparity = majority(&theme_of_units_containing(&r, "disparity"));
    assert!(
        labor != fear && fear != disparity && labor != disparity,
        "{labor} {fear} {disparity}"
    );
}

#[test]
fn same_seed_gives_identical_assignments_with_one_and_two_threads() {
    let out = tempfile::tempdir().unwrap();
    let args = |t| ["--threads", t, "--seed", "7", "--charts", "png,svg"];
    let a = run_ok(out.path(), "t1", &args("1"));
    let b = run_ok(out.path(), "t2", &args("2"));
    let ca = std::fs::read(a.join("assignments.csv")).unwrap();
    let cb = std::fs::read(b.join("assignments.csv")).unwrap();
    assert_eq!(ca, cb);
    // The charts are drawn in parallel: the same files, byte for byte.
    let mut charts: Vec<_> = std::fs::read_dir(a.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    charts.sort();
    assert!(charts.len() >= 12, "PNG and SVG of every chart: {charts:?}");
    for name in &charts {
        let (fa, fb) = (a.join("charts").join(name), b.join("charts").join(name));
        assert!(
            std::fs::read(&fa).unwrap() == std::fs::read(&fb).unwrap(),
            "{name:?} differs between one and two threads"
        );
    }
}

#[test]
fn jsonl_fixture_uses_fields_drops_boilerplate_and_scores_labels() {
    let out = tempfile::tempdir().unwrap();
    let input = fixture("jsonl/articles.jsonl");
    let dir = run_ok(
        out.path(),
        "jsonl",
        &[
            input.to_str().unwrap(),
            "--label-field",
            "label",
            "--k",
            "2",
            "--no-guide",
        ],
    );
    let r = check_run_invariants(&dir, &[input], &[("label_field", "label")]);
    assert_eq!(r["corpus"]["articles"], 8);
    let ids: Vec<&str> = r["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "bee-0", "rail-0", "bee-1", "rail-1", "bee-2", "rail-2", "bee-3", "rail-3"
        ]
    );
    assert_boilerplate_gone(&r);
    let x = &r["scores"]["external"];
    assert!(x["nmi"].as_f64().unwrap() > 0.8, "two clear topics: {x}");
    assert_eq!(read_csv(&dir)[0]["label"], "bees");
}

#[test]
fn csv_fixture_reads_named_columns() {
    let out = tempfile::tempdir().unwrap();
    let input = fixture("csv/articles.csv");
    let dir = run_ok(
        out.path(),
        "csv",
        &[
            input.to_str().unwrap(),
            "--text-field",
            "body",
            "--id-field",
            "doc",
            "--label-field",
            "topic",
            "--k",
            "2",
        ],
    );
    let r = check_run_invariants(
        &dir,
        &[input],
        &[
            ("text_field", "body"),
            ("id_field", "doc"),
            ("label_field", "topic"),
        ],
    );
    assert_eq!(r["articles"][1]["id"], "rail-0");
    assert_eq!(r["articles"][0]["title"], "Spring inspections");
    assert_boilerplate_gone(&r);
}

#[test]
fn nested_folder_is_walked_in_path_order() {
    let out = tempfile::tempdir().unwrap();
    let input = fixture("nested");
    let dir = run_ok(out.path(), "nested", &[input.to_str().unwrap(), "--k", "2"]);
    let r = check_run_invariants(&dir, &[input], &[]);
    let ids: Vec<&str> = r["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["bee2", "rail0", "bee0", "bee1", "rail1", "rail2"],
        "sorted by path, .pdf skipped"
    );
    assert_boilerplate_gone(&r);
}

fn assert_boilerplate_gone(r: &Value) {
    for u in r["units"].as_array().unwrap() {
        let t = u["text"].as_str().unwrap();
        for junk in [
            "Home | News",
            "Monday, March 3",
            "Share this",
            "Read more",
            "By Jane Doe",
            "editor@example.org",
            "Another headline",
        ] {
            assert!(!t.contains(junk), "boilerplate {junk:?} left in unit: {t}");
        }
    }
}

#[test]
fn existing_run_is_never_overwritten() {
    let out = tempfile::tempdir().unwrap();
    let dir = run_ok(out.path(), "keep", &[]);
    let before = std::fs::read(dir.join("run.json")).unwrap();
    themata()
        .args([
            "run",
            "--out",
            out.path().to_str().unwrap(),
            "--name",
            "keep",
            "--charts",
            "none",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("already exists"));
    assert_eq!(std::fs::read(dir.join("run.json")).unwrap(), before);
    let names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["keep"], "no temporary folder left behind");
}

#[test]
fn vectorize_writes_matrix_market_and_vocabulary() {
    let out = tempfile::tempdir().unwrap();
    themata()
        .args(["vectorize", "seeds", "--unit", "document", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let vocab = std::fs::read_to_string(out.path().join("vocab.txt")).unwrap();
    let terms: Vec<&str> = vocab.lines().collect();
    let mut sorted = terms.clone();
    sorted.sort();
    assert_eq!(terms, sorted, "columns in sorted term order");
    let mtx = std::fs::read_to_string(out.path().join("matrix.mtx")).unwrap();
    let header = mtx.lines().find(|l| !l.starts_with('%')).unwrap();
    let dims: Vec<usize> = header
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(dims[0], 5, "one row per document");
    assert_eq!(dims[1], terms.len());
}

/// Reads a Matrix Market file: its dimensions and the (1-based) row of every entry.
fn matrix_market_rows(path: &Path) -> ((usize, usize, usize), Vec<usize>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('%'));
    let dims: Vec<usize> = lines
        .next()
        .unwrap()
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    let rows: Vec<usize> = lines
        .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(rows.len(), dims[2], "nonzero count in the header");
    ((dims[0], dims[1], dims[2]), rows)
}

#[test]
fn vectorize_keeps_empty_records_as_zero_rows_with_rows_csv() {
    // The eight fixture articles with empty and blank records around and between them; one id
    // needs CSV quoting.
    let d = tempfile::tempdir().unwrap();
    let full: Vec<String> = std::fs::read_to_string(fixture("jsonl/articles.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect();
    assert_eq!(full.len(), 8);
    let empty = |id: &str, text: &str| serde_json::json!({ "id": id, "text": text }).to_string();
    let mut records = vec![empty("empty-first", "")];
    records.extend(full[..3].iter().cloned());
    records.push(empty("blank, \"quoted\"", " \n\t\n  "));
    records.extend(full[3..].iter().cloned());
    records.push(empty("empty-last", ""));
    let input = d.path().join("with_empty.jsonl");
    std::fs::write(&input, records.join("\n") + "\n").unwrap();
    let ids: Vec<String> = records
        .iter()
        .map(|r| {
            let v: Value = serde_json::from_str(r).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect();
    let empty_rows = [0, 4, 10];

    let out = d.path().join("tfidf");
    let output = themata()
        .arg("vectorize")
        .arg(&input)
        .args(["--clean", "none", "--unit", "document", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("11 rows") && stdout.contains("3 empty rows"),
        "{stdout}"
    );

    let ((n_rows, n_cols, _), entry_rows) = matrix_market_rows(&out.join("matrix.mtx"));
    assert_eq!(n_rows, records.len(), "one row per record, empty ones too");
    let vocab = std::fs::read_to_string(out.join("vocab.txt")).unwrap();
    assert_eq!(n_cols, vocab.lines().count());
    for (r, id) in ids.iter().enumerate() {
        let has_entries = entry_rows.contains(&(r + 1));
        assert_eq!(!has_entries, empty_rows.contains(&r), "row {r} ({id})");
    }

    let mut rdr = csv::Reader::from_path(out.join("rows.csv")).unwrap();
    assert_eq!(
        rdr.headers().unwrap(),
        vec!["row", "unit_id", "article_id", "ordinal", "start", "end"]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), records.len());
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[0], (i + 1).to_string(), "row as matrix.mtx numbers it");
        assert_eq!(row[1], i.to_string());
        assert_eq!(row[2], ids[i]);
        assert_eq!(&row[3], "0", "one unit per document");
        if empty_rows.contains(&i) {
            assert_eq!((&row[4], &row[5]), ("0", "0"), "{}", ids[i]);
        } else {
            assert_eq!(&row[4], "0");
            assert!(row[5].parse::<usize>().unwrap() > 0);
        }
    }
    let raw = std::fs::read_to_string(out.join("rows.csv")).unwrap();
    assert!(raw.contains(r#"5,4,"blank, ""quoted""",0,0,0"#), "{raw}");

    // `themata run` still leaves the empty records out, with a warning.
    let runs = d.path().join("runs");
    let dir = run_ok(
        &runs,
        "empty",
        &[
            input.to_str().unwrap(),
            "--clean",
            "none",
            "--k",
            "2",
            "--no-guide",
        ],
    );
    let r = run_json(&dir);
    assert_eq!(r["corpus"]["articles"], 8);
    let warnings = r["warnings"].to_string();
    assert!(
        warnings.contains("3 article(s) empty after cleaning were left out"),
        "{warnings}"
    );
}

#[test]
fn every_subcommand_has_help_with_examples() {
    for sub in ["run", "vectorize", "chart", "eval"] {
        themata()
            .args([sub, "--help"])
            .assert()
            .success()
            .stdout(predicates::str::contains("Examples:"));
    }
}

#[test]
fn bench_writes_every_stage_at_every_scale() {
    let out = tempfile::tempdir().unwrap();
    let output = themata()
        .args([
            "bench", "--scales", "1,2", "--repeat", "1", "--charts", "none",
        ])
        .args(["--out", out.path().to_str().unwrap(), "--name", "b", "-q"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "themata bench failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dir = out.path().join("b");
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("bench.json")).unwrap()).unwrap();
    let scales = v["scales"].as_array().unwrap();
    assert_eq!(
        scales
            .iter()
            .map(|s| s["scale"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2]
    );
    let stages = [
        "ingest",
        "units",
        "vectorize",
        "reduce",
        "cluster",
        "themes",
        "coherence",
        "report",
        "charts",
    ];
    for s in scales {
        assert!(s["units"].as_u64().unwrap() > 0 && s["bytes"].as_u64().unwrap() > 0);
        let names: Vec<&str> = s["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["stage"].as_str().unwrap())
            .collect();
        assert_eq!(names, stages);
        for f in s["stages"].as_array().unwrap() {
            let t = f["seconds"].as_f64().unwrap();
            assert!(t >= 0.0 && t.is_finite(), "{f}");
            assert_eq!(f["runs"].as_array().unwrap().len(), 1);
        }
    }
    // The synthetic ×2 corpus is twice the articles of the seeds.
    assert_eq!(
        scales[1]["articles"].as_u64().unwrap(),
        2 * scales[0]["articles"].as_u64().unwrap()
    );
    let growth: Vec<&str> = v["growth"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["stage"].as_str().unwrap())
        .collect();
    assert_eq!(growth.last(), Some(&"total"));
    assert!(dir.join("bench.svg").is_file() && dir.join("bench.png").is_file());
    // Synthetic corpora and the runs' folders are cleaned away.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);
}

#[test]
fn ward_linkage_recovers_well_separated_groups_of_documents() {
    // Three groups of eight documents, each drawing on its own vocabulary plus words all share.
    let d = tempfile::tempdir().unwrap();
    let topics = [
        [
            "harbor", "ship", "cargo", "crane", "dock", "tide", "sailor", "anchor",
        ],
        [
            "wheat", "harvest", "tractor", "barn", "soil", "farmer", "seed", "field",
        ],
        [
            "violin",
            "concert",
            "choir",
            "melody",
            "piano",
            "rhythm",
            "tenor",
            "orchestra",
        ],
    ];
    let shared = ["today", "people", "report", "season", "local", "town"];
    let mut records = Vec::new();
    for (t, words) in topics.iter().enumerate() {
        for doc in 0..8 {
            let mut text = Vec::new();
            for w in 0..30 {
                text.push(words[(doc * 3 + w * 5 + w / 3) % words.len()]);
                if w % 4 == 0 {
                    text.push(shared[(doc + w) % shared.len()]);
                }
            }
            let id = format!("t{t}d{doc}");
            let text = text.join(" ") + ".";
            records.push(serde_json::json!({ "id": id, "text": text, "label": t }).to_string());
        }
    }
    let input = d.path().join("groups.jsonl");
    std::fs::write(&input, records.join("\n") + "\n").unwrap();
    let dir = run_ok(
        d.path(),
        "ward",
        &[
            input.to_str().unwrap(),
            "--label-field",
            "label",
            "--unit",
            "document",
            "--clean",
            "none",
            "--no-guide",
            "--k",
            "3",
            "--method",
            "hierarchical",
            "--linkage",
            "ward",
        ],
    );
    let r = run_json(&dir);
    assert_eq!(r["config"]["cluster"]["linkage"], "ward");
    let mut theme_of_label: BTreeMap<String, usize> = BTreeMap::new();
    for row in read_csv(&dir) {
        let theme: usize = row["theme_id"].parse().unwrap();
        let seen = *theme_of_label.entry(row["label"].clone()).or_insert(theme);
        assert_eq!(seen, theme, "{} left its group's theme", row["article_id"]);
    }
    let themes: std::collections::BTreeSet<usize> = theme_of_label.values().copied().collect();
    assert_eq!(
        themes.len(),
        3,
        "each group its own theme: {theme_of_label:?}"
    );
}
