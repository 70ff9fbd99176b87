//! The defaults on corpora that are not the seed corpus: titles are analysed, only web pages are
//! cleaned and every removed line is listed, and the seed corpus's named themes stay with it.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::{root, run_json, run_ok};

fn web_pages() -> PathBuf {
    root().join("tests/fixtures/jsonl/articles.jsonl")
}

/// cleaning.csv as (article_id, line, rule, text) rows.
fn cleaning_rows(dir: &Path) -> Vec<(String, usize, String, String)> {
    let mut r = csv::Reader::from_path(dir.join("cleaning.csv")).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["article_id", "line", "rule", "text"]
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[0].to_string(),
                rec[1].parse().unwrap(),
                rec[2].to_string(),
                rec[3].to_string(),
            )
        })
        .collect()
}

/// The text of every unit of article `a`, in order.
fn unit_texts(r: &Value, a: u64) -> Vec<String> {
    r["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["article"] == a)
        .map(|u| u["text"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn titles_stay_in_the_analysed_text_and_join_the_first_passage() {
    let out = tempfile::tempdir().unwrap();
    let dir = run_ok(
        out.path(),
        "titles",
        &[web_pages().to_str().unwrap(), "--k", "2"],
    );
    let r = run_json(&dir);
    assert_eq!(r["articles"][0]["title"], "Spring inspections");
    let first = &unit_texts(&r, 0)[0];
    assert!(
        first.starts_with("Spring inspections\n\nBeekeepers open their hives"),
        "{first}"
    );
    assert!(
        !cleaning_rows(&dir).iter().any(|row| row.2 == "title"),
        "a kept title is not listed as removed"
    );

    // analyse_titles = false: still the title, no longer in the text, and listed as removed.
    let cfg = out.path().join("no_titles.toml");
    std::fs::write(&cfg, "[clean]\nanalyse_titles = false\n").unwrap();
    let dir = run_ok(
        out.path(),
        "no_titles",
        &[
            web_pages().to_str().unwrap(),
            "--k",
            "2",
            "--config",
            cfg.to_str().unwrap(),
        ],
    );
    let r = run_json(&dir);
    assert_eq!(r["articles"][0]["title"], "Spring inspections");
    assert!(unit_texts(&r, 0)[0].starts_with("Beekeepers open their hives"));
    let rows = cleaning_rows(&dir);
    assert!(
        rows.iter().any(|(id, _, rule, text)| id == "bee-0"
            && rule == "title"
            && text == "Spring inspections"),
        "{rows:?}"
    );
}

#[test]
fn cleaning_csv_lists_every_removed_line_and_run_json_counts_them_by_rule() {
    let out = tempfile::tempdir().unwrap();
    let dir = run_ok(
        out.path(),
        "clean",
        &[web_pages().to_str().unwrap(), "--k", "2"],
    );
    let r = run_json(&dir);
    let rows = cleaning_rows(&dir);
    assert!(!rows.is_empty());
    assert_eq!(
        rows.len() as u64,
        r["corpus"]["boilerplate_lines_dropped"].as_u64().unwrap()
    );
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    for row in &rows {
        *counts.entry(row.2.clone()).or_default() += 1;
    }
    let in_json: std::collections::BTreeMap<String, u64> =
        serde_json::from_value(r["corpus"]["cleaning"].clone()).unwrap();
    assert_eq!(counts, in_json);
    // The first record's navigation bar is its line 1, named by its rule.
    assert!(
        rows.contains(&(
            "bee-0".into(),
            1,
            "nav_bar".into(),
            "Home | News | Local | Sport".into()
        )),
        "{rows:?}"
    );
    // Nothing listed is left in the analysed text.
    let texts: Vec<&str> = r["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["text"].as_str().unwrap())
        .collect();
    for (_, _, _, line) in &rows {
        assert!(!texts.iter().any(|t| t.contains(line.as_str())), "{line}");
    }
}

#[test]
fn records_that_are_not_web_pages_pass_untouched() {
    // A Usenet post and headline + summary records: e-mail addresses, a date line, a byline,
    // repeated and indented lines, a signature; no navigation.
    let records = [
        "Re: Clipper chip keys\n\n  The escrow agents hold the keys for the chip.\nMonday, March 3, 1993\n\nWrite to someone@example.edu for the keys.\nThanks,\nThanks,\n-- \nby John Smith",
        "Nation's Smaller Jails Struggle To Cope With Surge in Inmates\n\nJails overwhelmed with hardened criminals and keys",
        "Clinton Signs Budget Bill\n\nPresident signs the budget bill with escrow chip keys",
        "Senate Passes Budget\n\nThe Senate passes the budget bill for jails and criminals",
    ];
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("posts.jsonl");
    let lines: Vec<String> = records
        .iter()
        .enumerate()
        .map(|(i, t)| serde_json::json!({"id": format!("r{i}"), "text": t}).to_string())
        .collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let args = |clean: &'static str| -> Vec<String> {
        [
            input.to_str().unwrap(),
            "--unit",
            "document",
            "--k",
            "2",
            "--min-df",
            "1",
            "--max-df",
            "1.0",
            "--clean",
            clean,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |name: &str, clean: &'static str| {
        let a = args(clean);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        run_ok(d.path(), name, &a)
    };
    let cleaned = run("auto", "auto");
    let raw = run("none", "none");
    let (c, n) = (run_json(&cleaned), run_json(&raw));
    for a in 0..records.len() as u64 {
        assert_eq!(unit_texts(&c, a), unit_texts(&n, a), "record {a}");
        assert_eq!(unit_texts(&c, a)[0], records[a as usize].trim());
    }
    assert!(cleaning_rows(&cleaned).is_empty());
    assert_eq!(c["corpus"]["web_pages"], 0);
    assert_eq!(
        c["articles"][1]["title"],
        "Nation's Smaller Jails Struggle To Cope With Surge in Inmates"
    );
}

#[test]
fn the_seed_corpus_named_themes_stay_with_the_seed_corpus() {
    let out = tempfile::tempdir().unwrap();
    let names = [
        "regional disparity",
        "fear-based politics",
        "labor mobilization",
    ];
    // The defaults name no theme, on any corpus (the seed folder given as INPUT included).
    for (name, input) in [("web", web_pages()), ("seeds", root().join("seeds"))] {
        let r = run_json(&run_ok(out.path(), name, &[input.to_str().unwrap()]));
        assert_eq!(r["named_themes"].as_array().unwrap().len(), 0, "{name}");
        for t in r["themes"].as_array().unwrap() {
            assert!(t["named"].is_null(), "{name}: {t}");
        }
    }
    // Asked for on a corpus about bees and railways, they fit nothing and are reported so.
    let dir = run_ok(
        out.path(),
        "asked",
        &[
            web_pages().to_str().unwrap(),
            "--k",
            "2",
            "--config",
            "config/seeds.toml",
        ],
    );
    let r = run_json(&dir);
    let named = r["named_themes"].as_array().unwrap();
    assert_eq!(named.len(), 3);
    for (n, name) in named.iter().zip(names) {
        assert_eq!(n["name"], name);
        assert_ne!(n["status"], "found", "{n}");
        assert!(n["theme"].is_null());
    }
    for t in r["themes"].as_array().unwrap() {
        assert!(!names.contains(&t["label"].as_str().unwrap()), "{t}");
    }
    let md = std::fs::read_to_string(dir.join("themes.md")).unwrap();
    assert!(md.contains("## Named themes"), "{md}");
    for name in names {
        let row = md.lines().find(|l| l.starts_with(&format!("| {name} |")));
        let row = row.unwrap_or_else(|| panic!("no row for {name} in {md}"));
        assert!(
            row.contains("not found") || row.contains("not in corpus"),
            "{row}"
        );
    }
}
