//! Themes over time: dates read from JSON Lines, CSV and text folders; bins; the over-time
//! numbers against a fixture computed by hand; the outputs (run.json, CSVs, themes.md, chart).

mod common;

use std::path::{Path, PathBuf};

use common::{fails, fixture, run_json, run_ok, themata};
use serde_json::Value;
use themata::ingest::{CleanParams, IngestParams, load, load_bytes};

fn dated(field: &str) -> IngestParams {
    IngestParams {
        date_field: field.into(),
        ..IngestParams::default()
    }
}

fn dates_of(c: &themata::ingest::Corpus) -> Vec<(String, Option<String>)> {
    c.articles
        .iter()
        .map(|a| (a.id.clone(), a.date.map(|d| d.iso())))
        .collect()
}

#[test]
fn jsonl_dates_of_every_accepted_form_and_time_zones_in_utc() {
    let bytes = std::fs::read(fixture("dates/forms.jsonl")).unwrap();
    let c = load_bytes(
        "forms.jsonl",
        &bytes,
        &dated("date"),
        &CleanParams::default(),
    )
    .unwrap();
    let got = dates_of(&c);
    let want = [
        ("year", Some("1996")),
        ("month", Some("1996-03")),
        ("day", Some("1996-03-14")),
        ("datetime", Some("1996-03-14")),
        ("utc", Some("1996-03-14")),
        // 01:00 at +09:00 is 16:00 UTC the day before.
        ("east", Some("1996-03-14")),
        // 20:00 at -05:00 is 01:00 UTC the day after.
        ("west", Some("1996-03-15")),
        ("slashed", Some("1996-03-14")),
        ("dmy", Some("1996-03-14")),
        ("mdy", Some("1996-03-14")),
        ("number", Some("1997")),
        ("bad", None),
        ("impossible", None),
        ("none", None),
        ("empty", None),
    ];
    let want: Vec<(String, Option<String>)> = want
        .iter()
        .map(|(id, d)| (id.to_string(), d.map(String::from)))
        .collect();
    assert_eq!(got, want);
    let t = c.dates.as_ref().unwrap();
    assert_eq!((t.unreadable, t.missing), (2, 2));
    assert_eq!(
        t.examples,
        [
            ("bad".to_string(), "sometime in spring".to_string()),
            ("impossible".to_string(), "1996-02-30".to_string())
        ]
    );
    let w = c.warnings.join("\n");
    assert!(
        w.contains("2 record(s) have a `date` that is not a date")
            && w.contains("bad: \"sometime in spring\"")
            && w.contains("2 record(s) have no `date`"),
        "{w}"
    );
    // Without a date field nothing is dated and nothing counted.
    let c = load_bytes(
        "forms.jsonl",
        &bytes,
        &IngestParams::default(),
        &CleanParams::default(),
    )
    .unwrap();
    assert!(c.dates.is_none() && c.articles.iter().all(|a| a.date.is_none()));
}

#[test]
fn csv_dates_are_read_and_a_missing_date_column_is_named() {
    let bytes = std::fs::read(fixture("dates/forms.csv")).unwrap();
    let c = load_bytes(
        "forms.csv",
        &bytes,
        &dated("published"),
        &CleanParams::default(),
    )
    .unwrap();
    assert_eq!(
        dates_of(&c),
        [
            ("c1".to_string(), Some("1996-03-14".to_string())),
            ("c2".to_string(), Some("1996-03-14".to_string())),
            ("c3".to_string(), None),
            ("c4".to_string(), None),
        ]
    );
    let t = c.dates.unwrap();
    assert_eq!((t.unreadable, t.missing), (1, 1));
    assert_eq!(t.examples, [("c3".to_string(), "not a date".to_string())]);
    let e = load_bytes("forms.csv", &bytes, &dated("when"), &CleanParams::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("forms.csv") && e.contains("no date column `when`"),
        "{e}"
    );
}

#[test]
fn text_files_are_dated_by_dateline_or_file_name() {
    let d = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(d.path().join(name), text).unwrap();
    write(
        "dateline.txt",
        "26.1 C\nDelhi\nTuesday, February 11, 2025\n\nKim's latest drive is theater, say residents.\n",
    );
    write(
        "2024-12-01-named.txt",
        "A story whose file name carries its date.\n",
    );
    write(
        "undated.txt",
        "A story with no date, though it mentions March 3, 2024 in passing.\n",
    );
    let c = load(
        &[d.path().to_path_buf()],
        &dated("dateline"),
        &CleanParams::default(),
    )
    .unwrap();
    assert_eq!(
        dates_of(&c),
        [
            (
                "2024-12-01-named".to_string(),
                Some("2024-12-01".to_string())
            ),
            ("dateline".to_string(), Some("2025-02-11".to_string())),
            ("undated".to_string(), None),
        ]
    );
    assert_eq!(c.dates.unwrap().missing, 1);
    // The rules are the user's: with no file-name rule the named file is undated.
    let params = IngestParams {
        date_file_patterns: Vec::new(),
        ..dated("dateline")
    };
    let c = load(&[d.path().to_path_buf()], &params, &CleanParams::default()).unwrap();
    assert_eq!(c.articles[0].date, None);
}

/// `themata run INPUT --date-field date --unit document --k 2 EXTRA`, into `out/name`.
fn run_dated(out: &Path, name: &str, input: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec![
        input,
        "--date-field",
        "date",
        "--unit",
        "document",
        "--k",
        "2",
    ];
    args.extend_from_slice(extra);
    run_ok(out, name, &args)
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

#[test]
fn over_time_numbers_match_the_hand_computed_fixture() {
    // Seven one-line articles: four about cars (theme 0, the larger), three about fruit
    // (theme 1), each word once per article, so every count is 1 (1 + ln 1 with sublinear tf).
    // Years: 2020 a1 a2 b1; 2021 a3 b2 b3 (b3 is 23:30 on 31 December 2020 at -05:00, 2021 in
    // UTC); 2022 none; 2023 b4.
    let out = tempfile::tempdir().unwrap();
    let run = run_dated(
        out.path(),
        "t",
        fixture("dates/over_time.jsonl").to_str().unwrap(),
        &["--time-bin", "year", "--charts", "svg"],
    );
    let r = run_json(&run);
    let ot = &r["themes_over_time"];
    assert_eq!(ot["bin"], "year");
    assert_eq!(ot["precision"], "year");
    let labels: Vec<&str> = ot["bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["2020", "2021", "2022", "2023"]);
    let bin_units: Vec<u64> = ot["bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["units"].as_u64().unwrap())
        .collect();
    assert_eq!(bin_units, [3, 3, 0, 1]);
    let (cars, fruit) = (&ot["themes"][0], &ot["themes"][1]);
    assert_eq!(
        r["themes"][0]["terms"][0]["term"], "brake",
        "theme 0 is cars"
    );
    assert_eq!(cars["units"], serde_json::json!([1, 2, 0, 1]));
    assert_eq!(fruit["units"], serde_json::json!([2, 1, 0, 0]));
    let shares = |t: &Value| -> Vec<f64> { t["share"].as_array().unwrap().iter().map(f).collect() };
    for (got, want) in shares(cars)
        .iter()
        .zip([1.0 / 3.0, 2.0 / 3.0, 0.0, 1.0])
        .chain(shares(fruit).iter().zip([2.0 / 3.0, 1.0 / 3.0, 0.0, 0.0]))
    {
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }
    assert_eq!(cars["peaks"], serde_json::json!([3, 1, 0]));
    assert_eq!(fruit["peaks"], serde_json::json!([0, 1]));
    // Class-based TF-IDF within a bin: count in the cell / the cell's total, times
    // ln(1 + A / f) with A = (9 + 7) / 2 = 8 the mean theme total and f the term's corpus total.
    let terms = |t: &Value, b: usize| -> Vec<(String, f64)> {
        t["terms"][b]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["term"].as_str().unwrap().to_string(), f(&x["weight"])))
            .collect()
    };
    let icf3 = (1.0f64 + 8.0 / 3.0).ln();
    let icf2 = (1.0f64 + 8.0 / 2.0).ln();
    // Cars in 2021 (b2 "engine wheel brake", b3 "engine brake"): 2, 2, 1 of 5.
    let want = [
        ("brake", 0.4 * icf3),
        ("engine", 0.4 * icf3),
        ("wheel", 0.2 * icf3),
    ];
    // Fruit in 2020 (a1 "apple banana cherry", a2 "apple banana"): 2, 2, 1 of 5.
    let want_fruit = [
        ("banana", 0.4 * icf2),
        ("apple", 0.4 * icf3),
        ("cherry", 0.2 * icf2),
    ];
    for (got, want) in [(terms(cars, 1), &want), (terms(fruit, 0), &want_fruit)] {
        assert_eq!(got.len(), 3);
        for ((gt, gw), (wt, ww)) in got.iter().zip(want.iter()) {
            assert_eq!(gt, wt);
            assert!((gw - ww).abs() < 1e-5, "{gt}: {gw} vs {ww}");
        }
    }
    assert!(terms(cars, 2).is_empty() && terms(fruit, 3).is_empty());
    assert_eq!(r["corpus"]["dates"]["dated_articles"], 7);
    assert_eq!(r["articles"][5]["date"], "2021-01-01");

    // The CSV has a row per theme and bin; assignments.csv carries each article's date.
    let csv = std::fs::read_to_string(run.join("themes_over_time.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "theme_id,theme_label,bin,bin_start,units,bin_units,share,terms"
    );
    assert_eq!(lines.len(), 1 + 2 * 4);
    assert!(
        lines[2].starts_with("0,")
            && lines[2].contains(",2021,2021-01-01,2,3,0.666667,brake; engine; wheel"),
        "{}",
        lines[2]
    );
    let assignments = std::fs::read_to_string(run.join("assignments.csv")).unwrap();
    assert!(assignments.lines().next().unwrap().ends_with(",date"));
    assert!(assignments.lines().nth(1).unwrap().ends_with(",2020"));
    let md = std::fs::read_to_string(run.join("themes.md")).unwrap();
    assert!(md.contains("## Themes over time"), "{md}");
    assert!(md.contains("2023 (100%), 2021 (67%), 2020 (33%)"), "{md}");
    assert!(run.join("charts/themes_over_time.svg").is_file());
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("id=\"over-time\"") && html.contains("chart-themes_over_time"));
    // `themata chart` reads it back (validated) and draws the same chart.
    let o = themata()
        .args(["chart", run.to_str().unwrap(), "--charts", "svg"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_bin_finer_than_the_dates_is_refused_and_undated_runs_have_no_over_time() {
    let out = tempfile::tempdir().unwrap();
    let input = fixture("dates/over_time.jsonl");
    let o = themata()
        .args(["run", input.to_str().unwrap(), "--date-field", "date"])
        .args(["--time-bin", "month", "--unit", "document", "--k", "2"])
        .args([
            "--out",
            out.path().to_str().unwrap(),
            "--charts",
            "none",
            "-q",
        ])
        .output()
        .unwrap();
    fails(&o, 2, &["--time-bin month", "`a1`", "year precision"]);
    // No date field: no over-time anywhere, and run.json has no key for it.
    let run = run_ok(
        out.path(),
        "plain",
        &[
            input.to_str().unwrap(),
            "--unit",
            "document",
            "--k",
            "2",
            "--charts",
            "svg",
        ],
    );
    let r = run_json(&run);
    assert!(r.get("themes_over_time").is_none() && r["corpus"].get("dates").is_none());
    assert!(!run.join("themes_over_time.csv").exists());
    assert!(!run.join("charts/themes_over_time.svg").exists());
    assert!(
        !std::fs::read_to_string(run.join("assignments.csv"))
            .unwrap()
            .contains(",date")
    );
}

#[test]
fn one_bin_corpus_and_undated_records_are_reported() {
    let out = tempfile::tempdir().unwrap();
    let run = run_dated(
        out.path(),
        "forms",
        fixture("dates/forms.jsonl").to_str().unwrap(),
        &["--time-bin", "year", "--charts", "png"],
    );
    let r = run_json(&run);
    let d = &r["corpus"]["dates"];
    assert_eq!(d["dated_articles"], 11);
    assert_eq!(d["unreadable_dates"], 2);
    assert_eq!(d["missing_dates"], 2);
    assert_eq!(d["unreadable_examples"][0]["id"], "bad");
    // Undated articles are analysed: all 15 have units and a theme.
    assert_eq!(r["articles"].as_array().unwrap().len(), 15);
    let ot = &r["themes_over_time"];
    assert_eq!(ot["bins"].as_array().unwrap().len(), 2, "1996 and 1997");
    assert_eq!(ot["dated_units"], 11);
    assert!(
        r["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("left out of themes over time"))
    );
    assert!(run.join("charts/themes_over_time.png").is_file());
    let md = std::fs::read_to_string(run.join("themes.md")).unwrap();
    assert!(md.contains("4 record(s) without a readable `date` (2 missing, 2 unreadable)"));
}

#[test]
fn a_single_bin_is_charted_and_validated() {
    let out = tempfile::tempdir().unwrap();
    let data = out.path().join("one.jsonl");
    let lines: Vec<String> = (0..12)
        .map(|i| {
            let topic = if i % 2 == 0 {
                "apple banana cherry"
            } else {
                "engine wheel brake"
            };
            format!(
                "{{\"id\": \"r{i}\", \"date\": \"2025-02-11T0{}:00:00Z\", \"text\": \"{topic}\"}}",
                i % 10
            )
        })
        .collect();
    std::fs::write(&data, lines.join("\n")).unwrap();
    let run = run_dated(
        out.path(),
        "one",
        data.to_str().unwrap(),
        &["--charts", "svg"],
    );
    let r = run_json(&run);
    let ot = &r["themes_over_time"];
    assert_eq!(
        (ot["bin"].as_str(), ot["requested"].as_str()),
        (Some("day"), Some("auto"))
    );
    assert_eq!(ot["bins"][0]["label"], "2025-02-11");
    assert_eq!(ot["themes"][0]["share"], serde_json::json!([0.5]));
    let svg = std::fs::read_to_string(run.join("charts/themes_over_time.svg")).unwrap();
    assert!(svg.contains("Themes over time"));
    // A run.json whose over-time peaks point past the bins is refused on read-back.
    let mut bad = r.clone();
    bad["themes_over_time"]["themes"][0]["peaks"] = serde_json::json!([5]);
    let bad_dir = out.path().join("bad");
    std::fs::create_dir(&bad_dir).unwrap();
    std::fs::write(bad_dir.join("run.json"), bad.to_string()).unwrap();
    let o = themata()
        .args(["chart", bad_dir.to_str().unwrap()])
        .output()
        .unwrap();
    fails(&o, 2, &["themes_over_time.themes[0].peaks[0]"]);
}
