//! A run.json read back by `themata eval` and `themata chart` is validated first: a hostile or
//! damaged file exits 2 with a message naming the file and the field, never a panic.

mod common;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use common::{fixture, themata};

/// A run folder in `dir` holding the sample run.json after `edit`.
fn run_folder(dir: &Path, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let text = std::fs::read_to_string(fixture("run_sample.json")).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    edit(&mut v);
    let run = dir.join("run");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(run.join("run.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    run
}

/// Runs `themata eval` and `themata chart` on `run`; both must exit 2 naming run.json and
/// every piece of `names`, and `chart` must leave no charts behind.
fn both_refuse(run: &Path, names: &[&str]) {
    for cmd in ["eval", "chart"] {
        let out = themata().arg(cmd).arg(run).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "themata {cmd}: {err}");
        assert!(!err.contains("panicked"), "themata {cmd} panicked: {err}");
        assert!(
            err.contains("run.json"),
            "themata {cmd} names no file: {err}"
        );
        for name in names {
            assert!(
                err.contains(name),
                "themata {cmd} does not say `{name}`: {err}"
            );
        }
    }
    assert!(
        !run.join("charts").exists(),
        "chart drew from an invalid run.json"
    );
    assert!(!run.join("report.html").exists());
}

#[test]
fn the_sample_run_json_is_valid_and_eval_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_folder(dir.path(), |_| {});
    let out = themata().arg("eval").arg(&run).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("themes       4"));
}

#[test]
fn eval_and_chart_refuse_a_unit_whose_article_is_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_folder(dir.path(), |v| v["units"][3]["article"] = json!(999_999));
    both_refuse(&run, &["units[3].article", "999999 is out of range"]);
}

#[test]
fn eval_and_chart_refuse_a_unit_whose_theme_is_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_folder(dir.path(), |v| v["units"][0]["theme"] = json!(4));
    both_refuse(&run, &["units[0].theme", "there are 4 themes"]);
}

#[test]
fn eval_and_chart_refuse_a_representative_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_folder(dir.path(), |v| {
        v["themes"][2]["representatives"] = json!([1, 18_446_744_073_709_551_615u64])
    });
    both_refuse(&run, &["themes[2].representatives[1]"]);
}

#[test]
fn eval_and_chart_refuse_a_similarity_matrix_of_the_wrong_shape() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_folder(dir.path(), |v| {
        v["similarity"].as_array_mut().unwrap().pop();
    });
    both_refuse(&run, &["similarity", "4 × 4"]);
    let run = run_folder(dir.path(), |v| {
        v["similarity"][1].as_array_mut().unwrap().push(json!(0.5));
    });
    both_refuse(&run, &["similarity[1]", "has 5 entries"]);
}

#[test]
fn eval_and_chart_refuse_a_mix_of_the_wrong_length() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_folder(dir.path(), |v| v["articles"][0]["mix"] = json!([1.0]));
    both_refuse(&run, &["articles[0].mix"]);
}

#[test]
fn eval_and_chart_refuse_a_hierarchy_that_merges_a_node_not_yet_made() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_folder(dir.path(), |v| v["hierarchy"][0]["left"] = json!(5));
    both_refuse(&run, &["hierarchy[0].left"]);
    let run = run_folder(dir.path(), |v| {
        let first = v["hierarchy"][0]["left"].clone();
        v["hierarchy"][1]["left"] = first;
    });
    both_refuse(&run, &["hierarchy[1].left", "merged twice"]);
}

#[test]
fn eval_and_chart_refuse_an_absurd_number_of_themes() {
    let dir = tempfile::tempdir().unwrap();
    // 20,001 themes (one more than any run may have), each a copy of theme 0: refused on the
    // count before anything is sized by it.
    let run = run_folder(dir.path(), |v| {
        let t = v["themes"][0].clone();
        v["themes"] = Value::Array(vec![t; 20_001]);
    });
    both_refuse(&run, &["themes", "20001 themes, more than the 20000"]);
}

#[test]
fn eval_and_chart_refuse_a_run_json_from_a_newer_themata() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_folder(dir.path(), |v| v["themata_version"] = json!("999.0.0"));
    both_refuse(&run, &["themata_version", "newer than this themata"]);
}

#[test]
fn eval_and_chart_refuse_a_chosen_k_or_ordinal_beyond_any_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_folder(dir.path(), |v| {
        v["k_selection"]["chosen"] = json!(4_000_000_000u64)
    });
    both_refuse(&run, &["k_selection.chosen"]);
    let run = run_folder(dir.path(), |v| {
        v["units"][0]["ordinal"] = json!(18_446_744_073_709_551_615u64)
    });
    both_refuse(&run, &["units[0].ordinal"]);
}

#[test]
fn eval_scores_many_labels_and_themes_without_a_dense_table() {
    // 4,000 units, each with its own label, in 1,000 themes: a dense labels × themes table
    // would be 4 million cells; the sparse one has 4,000. The scores must still be exact:
    // every class whole in one theme gives completeness 1; four classes per theme give purity
    // 0.25 and homogeneity 1 - ln 4 / ln 4000 = 0.8329.
    let dir = tempfile::tempdir().unwrap();
    let mut r = common::synthetic(1_000, 4_000, 4_000);
    for (i, a) in r.articles.iter_mut().enumerate() {
        a.label = Some(format!("label{i}"));
    }
    for u in &mut r.units {
        u.theme = u.id % 1_000;
    }
    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(run.join("run.json"), serde_json::to_vec(&r).unwrap()).unwrap();
    let out = themata().arg("eval").arg(&run).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("completeness 1.0000"), "{stdout}");
    assert!(stdout.contains("homogeneity  0.8329"), "{stdout}");
    assert!(stdout.contains("purity       0.2500"), "{stdout}");
}

#[test]
fn run_refuses_a_k_above_max_k_naming_the_key() {
    let out = themata()
        .args(["run", "--k", "5001", "--charts", "none", "-q", "--out"])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cluster.k") && err.contains("max_k"), "{err}");
}
