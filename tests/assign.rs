//! `themata assign`: a run's saved model places new articles in its themes. Assigning a k-means
//! run's own input gives every unit its theme back; a missing, damaged or foreign model is a
//! clear error (exit 2); new words are counted and their passages flagged.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

use common::{fails, fixture, run_json, run_ok, themata};

/// Runs `themata assign RUN INPUTS ARGS --out OUT --name NAME --charts none` and returns the
/// new folder.
fn assign_ok(run: &Path, inputs: &[&str], out: &Path, name: &str, args: &[&str]) -> PathBuf {
    let mut cmd = themata();
    cmd.arg("assign").arg(run).args(inputs).args(args).args([
        "--out",
        out.to_str().unwrap(),
        "--name",
        name,
        "-q",
    ]);
    if !args.contains(&"--charts") {
        cmd.args(["--charts", "none"]);
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "themata assign failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    out.join(name)
}

/// (theme, score, xy) of every unit in a run folder's run.json.
fn placements(dir: &Path) -> Vec<(u64, f64, Value)> {
    run_json(dir)["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["theme"].as_u64().unwrap(),
                u["score"].as_f64().unwrap(),
                u["xy"].clone(),
            )
        })
        .collect()
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn a_kmeans_runs_own_input_gets_every_theme_back_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let toml = out.join("hashing.toml");
    std::fs::write(&toml, "[vectorize]\nhashing = 4096\nsublinear_tf = false\n").unwrap();
    let jsonl = fixture("jsonl/articles.jsonl");
    let jsonl = jsonl.to_str().unwrap();
    let toml = toml.to_str().unwrap();
    // Paragraphs with named themes guiding k-means (the seed corpus), windows, documents of a
    // JSON Lines file, and the hashing vectorizer.
    let cases: [(&str, Vec<&str>, Vec<&str>); 4] = [
        ("seeds", vec![], vec!["seeds"]),
        (
            "windows",
            vec!["seeds", "--unit", "window", "--k", "5"],
            vec!["seeds"],
        ),
        (
            "docs",
            vec![jsonl, "--unit", "document", "--k", "3"],
            vec![jsonl],
        ),
        (
            "hashed",
            vec!["seeds", "--config", toml, "--k", "4"],
            vec!["seeds"],
        ),
    ];
    for (name, run_args, inputs) in cases {
        let run = run_ok(out, name, &run_args);
        let again = assign_ok(&run, &inputs, out, &format!("{name}-again"), &[]);
        let (a, b) = (placements(&run), placements(&again));
        assert_eq!(a.len(), b.len(), "{name}: unit count");
        assert!(!a.is_empty());
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert_eq!(x, y, "{name}: unit {i} placed differently");
        }
        // The themes, their labels and terms are the run's; sizes are the new units'.
        let (r, n) = (run_json(&run), run_json(&again));
        for (t, u) in r["themes"]
            .as_array()
            .unwrap()
            .iter()
            .zip(n["themes"].as_array().unwrap())
        {
            assert_eq!(t["label"], u["label"], "{name}");
            assert_eq!(t["terms"], u["terms"], "{name}");
            assert_eq!(t["size"], u["size"], "{name}");
            assert_eq!(t["representatives"], u["representatives"], "{name}");
        }
        assert_eq!(n["k_selection"]["mode"], "assigned");
        assert_eq!(n["assignment"]["run"], name);
        assert_eq!(n["assignment"]["of"], run.display().to_string());
        // No passage of the run lacks all of its vocabulary's words, except ones that had none
        // in the run as well.
        assert_eq!(n["corpus"]["units"], r["corpus"]["units"]);
    }
}

#[test]
fn assignment_outputs_have_the_runs_columns_plus_similarity_and_outlier() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let run = run_ok(out, "base", &[]);
    let new = assign_ok(
        &run,
        &["seeds/001_5f2791e1b88189d6.txt"],
        out,
        "new",
        &["--charts", "png,svg"],
    );
    let (run_header, _) = csv_rows(&run.join("assignments.csv"));
    let (header, rows) = csv_rows(&new.join("assignments.csv"));
    let mut expected = run_header.clone();
    expected.extend(["similarity".to_string(), "outlier".to_string()]);
    assert_eq!(header, expected);
    let v = run_json(&new);
    let outliers: Vec<u64> = v["assignment"]["outliers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert_eq!(rows.len(), v["units"].as_array().unwrap().len());
    let sim_col = header.iter().position(|h| h == "similarity").unwrap();
    let out_col = header.iter().position(|h| h == "outlier").unwrap();
    let thresholds = v["assignment"]["thresholds"].as_array().unwrap();
    for (i, row) in rows.iter().enumerate() {
        let sim: f64 = row[sim_col].parse().unwrap();
        let unit = &v["units"][i];
        assert!((sim - unit["score"].as_f64().unwrap()).abs() < 1e-6);
        let flagged = row[out_col] == "true";
        assert_eq!(flagged, outliers.contains(&(i as u64)), "row {i}");
        let threshold = thresholds[unit["theme"].as_u64().unwrap() as usize]
            .as_f64()
            .unwrap();
        assert_eq!(
            flagged,
            unit["score"].as_f64().unwrap() < threshold,
            "row {i}"
        );
    }
    // Every output of a run, for the new articles.
    for f in [
        "themes.md",
        "report.html",
        "run.json",
        "cleaning.csv",
        "charts/theme_map.png",
        "charts/theme_map.svg",
    ] {
        assert!(new.join(f).is_file(), "{f} missing");
    }
    let md = std::fs::read_to_string(new.join("themes.md")).unwrap();
    assert!(md.contains("New articles in the themes of base"), "{md}");
    assert!(md.contains("| Outliers |"), "{md}");
    let svg = std::fs::read_to_string(new.join("charts/theme_map.svg")).unwrap();
    assert!(
        svg.contains("passages, faded"),
        "the map names the faded run"
    );
    // An assignment's run.json reads back (chart, eval) like a run's.
    let o = themata().arg("chart").arg(&new).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The run folder is untouched: no model file changed, nothing added.
    assert!(run.join("model/model.json").is_file());
    assert!(!run.join("assignments.csv.tmp").exists());
}

#[test]
fn words_the_vocabulary_lacks_are_counted_and_their_passages_flagged() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let run = run_ok(out, "base", &[]);
    let new_dir = out.join("new");
    std::fs::create_dir_all(&new_dir).unwrap();
    // One article in the run's words, one in words it has never seen.
    std::fs::write(
        new_dir.join("known.txt"),
        "Discharged soldiers were mobilized for construction work in the provinces, and \
         officials feared the purge that followed the inspections of the county.",
    )
    .unwrap();
    std::fs::write(
        new_dir.join("unknown.txt"),
        "Zebrafish quasars xylophones glimmer beneath turquoise nebulae; wombats juggle \
         kaleidoscopic marmalade over velvety glaciers.",
    )
    .unwrap();
    let o = themata()
        .arg("assign")
        .arg(&run)
        .arg(&new_dir)
        .args(["--out", out.to_str().unwrap(), "--name", "placed"])
        .args(["--charts", "none"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("hold no term of the run's vocabulary"),
        "{err}"
    );
    let v = run_json(&out.join("placed"));
    let a = &v["assignment"];
    assert_eq!(a["empty_units"], 1);
    let (terms, known) = (
        a["terms"].as_u64().unwrap(),
        a["known_terms"].as_u64().unwrap(),
    );
    assert!(known > 0 && known < terms, "{terms} terms, {known} known");
    let unknown_unit = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .position(|u| u["score"].as_f64().unwrap() == 0.0)
        .expect("the unknown article's passage has similarity 0");
    let outliers: Vec<u64> = a["outliers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert!(outliers.contains(&(unknown_unit as u64)));
    // Even where no threshold would catch it (the 0th percentile flags none of the run's own).
    let lenient = assign_ok(
        &run,
        &[new_dir.to_str().unwrap()],
        out,
        "lenient",
        &["--outlier-percentile", "0"],
    );
    let v0 = run_json(&lenient);
    assert!(
        v0["assignment"]["outliers"]
            .as_array()
            .unwrap()
            .contains(&(unknown_unit as u64).into())
    );
    // The known article lands in a theme with similarity well above 0.
    let best = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["score"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!(best > 0.2, "{best}");
    let md = std::fs::read_to_string(out.join("placed/themes.md")).unwrap();
    assert!(md.contains("words the run's vocabulary lacks"), "{md}");
}

#[test]
fn the_outlier_percentile_moves_the_thresholds() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let run = run_ok(out, "base", &[]);
    let count = |p: &str, name: &str| {
        let d = assign_ok(&run, &["seeds"], out, name, &["--outlier-percentile", p]);
        run_json(&d)["assignment"]["outliers"]
            .as_array()
            .unwrap()
            .len()
    };
    let (none, some, half) = (count("0", "p0"), count("5", "p5"), count("50", "p50"));
    // At the 0th percentile no unit of the run is below its theme's least similar unit.
    assert_eq!(none, 0);
    assert!(some > 0 && some < half, "{some} at 5 %, {half} at 50 %");
    let o = themata()
        .arg("assign")
        .arg(&run)
        .arg("seeds")
        .args([
            "--outlier-percentile",
            "101",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    fails(&o, 2, &["outlier_percentile", "between 0 and 100"]);
}

#[test]
fn a_run_without_a_model_or_with_a_damaged_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let refuse = |run: &Path, needles: &[&str]| {
        let o = themata()
            .arg("assign")
            .arg(run)
            .arg("seeds")
            .args(["--out", out.to_str().unwrap(), "--name", "never"])
            .output()
            .unwrap();
        fails(&o, 2, needles);
        assert!(!out.join("never").exists(), "nothing written");
    };
    // output.model = false: a run folder as runs from before models were saved look.
    let toml = out.join("nomodel.toml");
    std::fs::write(&toml, "[output]\nmodel = false\n").unwrap();
    let bare = run_ok(out, "bare", &["seeds", "--config", toml.to_str().unwrap()]);
    assert!(!bare.join("model").exists());
    refuse(&bare, &["bare", "no saved model"]);

    let run = run_ok(out, "base", &[]);
    let model = run.join("model/model.json");
    let original = std::fs::read_to_string(&model).unwrap();
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut v: Value = serde_json::from_str(&original).unwrap();
        f(&mut v);
        std::fs::write(&model, serde_json::to_string(&v).unwrap()).unwrap();
    };
    edit(&|v| v["format_version"] = 99.into());
    refuse(&run, &["model.json", "model format 99", "re-run"]);
    edit(&|v| v["format"] = "something else".into());
    refuse(&run, &["model.json", "not a themata model"]);
    edit(&|v| v["centroid_themes"][0] = 1000.into());
    refuse(&run, &["model.json", "centroid_themes[0]", "out of range"]);
    edit(&|v| v["dims"] = 3.into());
    refuse(&run, &["components.npy", "shape"]);
    std::fs::write(&model, &original).unwrap();

    // A truncated array.
    let comp = run.join("model/components.npy");
    let bytes = std::fs::read(&comp).unwrap();
    std::fs::write(&comp, &bytes[..bytes.len() / 2]).unwrap();
    refuse(&run, &["components.npy"]);
    std::fs::write(&comp, &bytes).unwrap();
    // A vocabulary of another length.
    std::fs::write(run.join("model/vocab.json"), "[\"a\", \"b\"]").unwrap();
    refuse(&run, &["vocab.json", "2 terms"]);
}

#[test]
fn a_hierarchical_run_assigns_by_the_most_similar_theme_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let run = run_ok(
        out,
        "tree",
        &["seeds", "--method", "hierarchical", "--k", "5"],
    );
    let again = assign_ok(&run, &["seeds"], out, "tree-again", &[]);
    let v = run_json(&again);
    let rule = v["assignment"]["rule"].as_str().unwrap();
    assert!(rule.contains("most similar"), "{rule}");
    // A unit that keeps its theme keeps its similarity; one that moves, moves to a theme whose
    // centroid it is more similar to; most keep theirs.
    let (a, b) = (placements(&run), placements(&again));
    let same = a.iter().zip(&b).filter(|(x, y)| x.0 == y.0).count();
    assert!(
        same * 10 >= a.len() * 7,
        "{same} of {} kept their theme",
        a.len()
    );
    for (x, y) in a.iter().zip(&b) {
        if x.0 == y.0 {
            assert_eq!(x.1, y.1, "same theme, same similarity");
        } else {
            assert!(y.1 >= x.1, "moved to a less similar theme");
        }
    }
}

#[test]
fn assignment_does_not_depend_on_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let run = run_ok(out, "base", &["seeds", "--unit", "window", "--k", "6"]);
    let one = assign_ok(&run, &["seeds"], out, "one", &["--threads", "1"]);
    let two = assign_ok(&run, &["seeds"], out, "two", &["--threads", "2"]);
    assert_eq!(
        std::fs::read(one.join("assignments.csv")).unwrap(),
        std::fs::read(two.join("assignments.csv")).unwrap()
    );
    assert_eq!(placements(&one), placements(&two));
}
