//! `themata compare` as a user runs it, on run folders built from the hand-made sample run: the
//! same run, one whose first theme is split in two, one whose last two themes are merged.

mod common;

use std::path::{Path, PathBuf};

use common::{fails, sample, themata};
use serde_json::Value;
use themata::report::{RunReport, UnitRecord};

/// `r` with its units regrouped by `theme_of` into `k` themes: sizes, mixes and the theme
/// lists rebuilt; each new theme takes the terms and label of the old theme `origin[t]`.
fn regroup(
    r: &RunReport,
    k: usize,
    origin: &[usize],
    theme_of: impl Fn(&UnitRecord) -> usize,
) -> RunReport {
    let mut out = r.clone();
    for u in &mut out.units {
        u.theme = theme_of(u);
    }
    out.themes = (0..k)
        .map(|t| {
            let mut info = r.themes[origin[t]].clone();
            info.id = t;
            info.size = out.units.iter().filter(|u| u.theme == t).count();
            info.representatives.clear();
            info.articles.clear();
            info.named = None;
            info
        })
        .collect();
    for (i, a) in out.articles.iter_mut().enumerate() {
        let mine: Vec<&UnitRecord> = out.units.iter().filter(|u| u.article == i).collect();
        a.units = mine.len();
        a.mix = (0..k)
            .map(|t| {
                let n = mine.iter().filter(|u| u.theme == t).count();
                if mine.is_empty() {
                    0.0
                } else {
                    n as f32 / mine.len() as f32
                }
            })
            .collect();
    }
    out.similarity = vec![vec![0.0; k]; k];
    out.hierarchy.clear();
    out.named_themes.clear();
    out.k_selection.chosen = k;
    out.k_selection.scores.clear();
    out
}

/// Writes `r` as `dir/name/run.json` and returns the run folder.
fn write_run(dir: &Path, name: &str, r: &RunReport) -> PathBuf {
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("run.json"), serde_json::to_string(r).unwrap()).unwrap();
    folder
}

/// The sample run; the same with theme 0 split by unit parity into themes 0 and 4; the same
/// with theme 3 merged into theme 2.
fn runs(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let r = sample();
    let split = regroup(&r, 5, &[0, 1, 2, 3, 0], |u| {
        if u.theme == 0 && u.id % 2 == 1 {
            4
        } else {
            u.theme
        }
    });
    let merged = regroup(&r, 3, &[0, 1, 2], |u| u.theme.min(2));
    (
        write_run(dir, "base", &r),
        write_run(dir, "split", &split),
        write_run(dir, "merged", &merged),
    )
}

/// Runs `themata compare A B --out OUT [args]`, asserts success, returns compare.json.
fn compare_ok(a: &Path, b: &Path, out: &Path, args: &[&str]) -> Value {
    let o = themata()
        .arg("compare")
        .args([a, b])
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).unwrap()).unwrap()
}

fn statuses(v: &Value, side: &str) -> Vec<String> {
    v[side]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn compare_of_a_run_with_itself_reports_every_theme_persisted() {
    let d = tempfile::tempdir().unwrap();
    let (base, _, _) = runs(d.path());
    let out = d.path().join("cmp");
    let v = compare_ok(&base, &base, &out, &[]);
    assert_eq!(v["overlap"], "units");
    assert_eq!(v["shared_units"], 60);
    assert_eq!(v["summary"]["persisted"], 4);
    assert_eq!(statuses(&v, "a_themes"), ["persisted"; 4]);
    assert_eq!(statuses(&v, "b_themes"), ["persisted"; 4]);
    for f in v["a_themes"].as_array().unwrap() {
        assert_eq!(f["partners"], serde_json::json!([f["id"]]));
        assert!((f["similarity"].as_f64().unwrap() - 1.0).abs() < 1e-6);
    }
    for f in ["compare.md", "compare.json", "compare.png", "compare.svg"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // The PNG decodes.
    let png = png::Decoder::new(std::fs::File::open(out.join("compare.png")).unwrap());
    let info = png.read_info().unwrap().info().clone();
    assert!(info.width >= 800 && info.height >= 400);
}

#[test]
fn compare_reports_a_theme_split_in_two() {
    let d = tempfile::tempdir().unwrap();
    let (base, split, _) = runs(d.path());
    let v = compare_ok(&base, &split, &d.path().join("cmp"), &[]);
    assert_eq!(
        statuses(&v, "a_themes"),
        ["split", "persisted", "persisted", "persisted"]
    );
    assert_eq!(v["a_themes"][0]["partners"], serde_json::json!([0, 4]));
    assert_eq!(v["b_themes"][4]["status"], "split");
    assert_eq!(v["b_themes"][4]["partners"], serde_json::json!([0]));
    assert_eq!(v["summary"]["split"], 1);
    assert_eq!(v["summary"]["persisted"], 3);
    assert_eq!(v["summary"]["new"], 0);
    // Sizes before and after.
    assert_eq!(v["a_themes"][0]["size"], 19);
    assert_eq!(
        v["b_themes"][0]["size"].as_u64().unwrap() + v["b_themes"][4]["size"].as_u64().unwrap(),
        19
    );
}

#[test]
fn compare_reports_two_themes_merged_into_one_and_the_reverse_as_a_split() {
    let d = tempfile::tempdir().unwrap();
    let (base, _, merged) = runs(d.path());
    let v = compare_ok(&base, &merged, &d.path().join("cmp"), &[]);
    assert_eq!(
        statuses(&v, "a_themes"),
        ["persisted", "persisted", "merged", "merged"]
    );
    assert_eq!(v["b_themes"][2]["status"], "merged");
    assert_eq!(v["b_themes"][2]["partners"], serde_json::json!([2, 3]));
    assert_eq!(v["b_themes"][2]["size"], 25);
    // Each absorbed theme is linked to the theme that absorbed it.
    let links = v["links"].as_array().unwrap();
    for a in [2, 3] {
        assert!(
            links
                .iter()
                .any(|l| l["a"] == a && l["b"] == 2 && l["share_of_a"] == 1.0)
        );
    }
    // Read the other way, the merged theme splits.
    let back = compare_ok(&merged, &base, &d.path().join("back"), &[]);
    assert_eq!(back["a_themes"][2]["status"], "split");
    assert_eq!(back["a_themes"][2]["partners"], serde_json::json!([2, 3]));
}

#[test]
fn compare_json_and_md_carry_their_documented_fields_and_columns() {
    let d = tempfile::tempdir().unwrap();
    let (base, split, _) = runs(d.path());
    let out = d.path().join("cmp");
    let v = compare_ok(&base, &split, &out, &[]);
    // serde_json's maps are sorted by key.
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(
        keys(&v),
        [
            "a",
            "a_themes",
            "b",
            "b_themes",
            "links",
            "overlap",
            "params",
            "shared_articles",
            "shared_units",
            "summary",
            "themata_version"
        ]
    );
    assert_eq!(keys(&v["a"]), ["name", "path", "themes", "units"]);
    assert_eq!(v["a"]["name"], "base");
    assert_eq!(v["b"]["themes"], 5);
    assert_eq!(
        keys(&v["params"]),
        ["link_share", "min_similarity", "overlap_weight"]
    );
    assert_eq!(
        keys(&v["summary"]),
        ["gone", "merged", "new", "persisted", "split"]
    );
    assert_eq!(
        keys(&v["a_themes"][0]),
        [
            "id",
            "label",
            "matched",
            "partners",
            "similarity",
            "size",
            "status"
        ]
    );
    assert_eq!(
        keys(&v["links"][0]),
        [
            "a",
            "b",
            "matched",
            "share_of_a",
            "share_of_b",
            "shared",
            "similarity",
            "term_similarity"
        ]
    );
    let md = std::fs::read_to_string(out.join("compare.md")).unwrap();
    assert!(md.starts_with("# Themes of base → split\n"), "{md}");
    assert!(md.contains("| A theme | size | B theme(s) | size | status | similarity |"));
    assert!(md.contains(
        "| A theme | B theme | shared units | share of A | share of B | term similarity | similarity | matched |"
    ));
    assert!(
        md.contains("**3 persisted · 1 split · 0 merged · 0 gone**"),
        "{md}"
    );
    assert!(md.contains("Overlap: **units**"), "{md}");
    // The split theme's row names both parts with their sizes.
    let row = md
        .lines()
        .find(|l| l.starts_with("| 1. space exploration"))
        .unwrap();
    assert!(
        row.contains("| split |") && row.contains("5. space exploration"),
        "{row}"
    );
}

#[test]
fn compare_is_deterministic() {
    let d = tempfile::tempdir().unwrap();
    let (base, split, _) = runs(d.path());
    let (x, y) = (d.path().join("x"), d.path().join("y"));
    compare_ok(&base, &split, &x, &["--charts", "svg"]);
    compare_ok(&base, &split, &y, &["--charts", "svg"]);
    for f in ["compare.json", "compare.md", "compare.svg"] {
        let read = |p: &Path| std::fs::read_to_string(p.join(f)).unwrap();
        // The paths of the runs are the same; only the output folder differs.
        assert_eq!(read(&x), read(&y), "{f}");
    }
    assert!(!x.join("compare.png").exists());
}

#[test]
fn compare_without_out_names_its_folder_after_both_runs_and_never_overwrites() {
    let d = tempfile::tempdir().unwrap();
    let (base, split, _) = runs(d.path());
    for _ in 0..2 {
        let mut cmd = assert_cmd::Command::cargo_bin("themata").unwrap();
        cmd.current_dir(d.path())
            .args(["compare", "--charts", "none"])
            .args([&base, &split])
            .assert()
            .success();
    }
    assert!(
        d.path()
            .join("out/compare_base_split/compare.json")
            .is_file()
    );
    assert!(
        d.path()
            .join("out/compare_base_split-2/compare.json")
            .is_file()
    );
}

#[test]
fn compare_refuses_bad_input_with_exit_2_naming_it() {
    let d = tempfile::tempdir().unwrap();
    let (base, split, _) = runs(d.path());
    let missing = d.path().join("nope");
    let o = themata()
        .arg("compare")
        .args([&base, &missing])
        .output()
        .unwrap();
    fails(&o, 2, &["nope/run.json"]);
    // A broken run.json is refused by validation, naming the file and field.
    let bad = d.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    let mut r = sample();
    r.units[3].theme = 99;
    std::fs::write(bad.join("run.json"), serde_json::to_string(&r).unwrap()).unwrap();
    let o = themata()
        .arg("compare")
        .args([&base, &bad])
        .output()
        .unwrap();
    fails(&o, 2, &["bad/run.json", "units[3].theme"]);
    let o = themata()
        .arg("compare")
        .args([&base, &split])
        .args(["--link-share", "0"])
        .output()
        .unwrap();
    fails(&o, 2, &["compare.link_share", "--link-share"]);
    // An existing --out folder is never overwritten.
    let o = themata()
        .arg("compare")
        .args([&base, &split])
        .arg("--out")
        .arg(&base)
        .output()
        .unwrap();
    fails(&o, 2, &["already exists"]);
    assert!(base.join("run.json").is_file());
    assert!(!base.join("compare.json").exists());
}
