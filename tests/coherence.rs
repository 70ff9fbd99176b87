//! Topic coherence: parity with gensim's `CoherenceModel` on committed fixtures
//! (`tools/coherence_fixtures.py`), and what a user sees of it in a run.

mod common;

use serde::Deserialize;
use serde_json::Value;

use common::{fixture, run_ok, themata};
use themata::coherence::{self, CoherenceParams, diversity};

#[derive(Deserialize)]
struct Case {
    name: String,
    texts: Vec<Vec<String>>,
    topics: Vec<Vec<String>>,
    c_npmi: Vec<f64>,
    c_v: Vec<f64>,
    u_mass: Vec<f64>,
}

#[derive(Deserialize)]
struct Fixture {
    top_n: usize,
    cases: Vec<Case>,
}

fn fixture_cases() -> Fixture {
    let text = std::fs::read_to_string(fixture("coherence/gensim.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn params(top_n: usize) -> CoherenceParams {
    CoherenceParams {
        top_n,
        low_coherence: 0.05,
    }
}

/// Agreement with gensim: the counts are the same integers, so only the last bits of the
/// floating-point sums may differ.
const TOLERANCE: f64 = 1e-9;

#[test]
fn coherence_matches_gensim_on_the_fixtures() {
    let f = fixture_cases();
    assert_eq!(f.cases.len(), 3);
    for case in &f.cases {
        let scored = coherence::score(&case.texts[..], &case.topics, &params(f.top_n)).unwrap();
        for (t, got) in scored.themes.iter().enumerate() {
            let got = got.unwrap_or_else(|| panic!("{} topic {t} not scored", case.name));
            for (measure, ours, theirs) in [
                ("c_npmi", got.c_npmi, case.c_npmi[t]),
                ("c_v", got.c_v, case.c_v[t]),
                ("u_mass", got.u_mass, case.u_mass[t]),
            ] {
                assert!(
                    (ours - theirs).abs() < TOLERANCE,
                    "{} topic {t} {measure}: themata {ours}, gensim {theirs}",
                    case.name
                );
            }
        }
    }
}

#[test]
fn an_incoherent_theme_scores_lower_than_the_runs_own() {
    // The fixtures' last two seed topics are made incoherent on purpose (each theme's 5th term;
    // random frequent words).
    for case in &fixture_cases().cases[..2] {
        let s = coherence::score(&case.texts[..], &case.topics, &params(10)).unwrap();
        let k = case.topics.len() - 2;
        let own: Vec<f64> = s.themes[..k].iter().map(|c| c.unwrap().c_npmi).collect();
        let worst_own = own.iter().copied().fold(f64::INFINITY, f64::min);
        for bad in &s.themes[k..] {
            let bad = bad.unwrap();
            assert!(
                bad.c_npmi < worst_own,
                "{}: incoherent {bad:?} vs run's worst {worst_own}",
                case.name
            );
        }
    }
}

#[test]
fn diversity_of_k_identical_top_lists_is_one_over_k() {
    let list: Vec<String> = (0..10).map(|i| format!("w{i}")).collect();
    for k in 1..=5 {
        assert_eq!(diversity(&vec![list.clone(); k]), 1.0 / k as f64);
    }
    let distinct: Vec<Vec<String>> = (0..4)
        .map(|t| (0..10).map(|i| format!("t{t}w{i}")).collect())
        .collect();
    assert_eq!(diversity(&distinct), 1.0);
}

#[test]
fn scores_are_identical_with_one_and_two_threads() {
    let f = fixture_cases();
    let case = &f.cases[1];
    let with = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| coherence::score(&case.texts[..], &case.topics, &params(10)).unwrap())
    };
    assert_eq!(with(1), with(2));
}

fn eval(run: &std::path::Path) -> String {
    let out = themata().arg("eval").arg(run).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_seeds_run_scores_every_theme_and_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_ok(dir.path(), "seeds", &["--threads", "2"]);
    let v = common::run_json(&run);
    let themes = v["themes"].as_array().unwrap();
    for t in themes {
        let c = &t["coherence"];
        for m in ["c_npmi", "c_v", "u_mass"] {
            assert!(c[m].as_f64().unwrap().is_finite(), "{t}");
        }
    }
    let c = &v["coherence"];
    assert_eq!(c["top_n"], 10);
    assert_eq!(c["themes_scored"].as_u64().unwrap() as usize, themes.len());
    assert_eq!(c["windows"], serde_json::json!([10, 110]));
    let d = c["diversity"].as_f64().unwrap();
    assert!(d > 0.0 && d <= 1.0);
    let mean: f64 = themes
        .iter()
        .map(|t| t["coherence"]["c_npmi"].as_f64().unwrap())
        .sum::<f64>()
        / themes.len() as f64;
    assert!((c["mean"]["c_npmi"].as_f64().unwrap() - mean).abs() < 1e-12);
    let stages: Vec<&str> = v["timings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["stage"].as_str().unwrap())
        .collect();
    let at = |s: &str| stages.iter().position(|x| *x == s).unwrap();
    assert_eq!(at("coherence"), at("themes") + 1, "{stages:?}");

    let md = std::fs::read_to_string(run.join("themes.md")).unwrap();
    assert!(md.contains("| Coherence (c_npmi) |"), "{md}");
    assert!(md.contains("Topic diversity"), "{md}");
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("Coherence c_npmi (mean)") && html.contains("coherence "));

    let out = eval(&run);
    assert!(
        out.contains("coherence    c_npmi") && out.contains("from run.json"),
        "{out}"
    );
    assert!(out.contains("diversity    "), "{out}");
}

/// The seeds run with `config` laid over the defaults: its folder and run.json.
fn seeds_run_with(dir: &std::path::Path, config: &str) -> (std::path::PathBuf, Value) {
    let cfg = dir.join("c.toml");
    std::fs::write(&cfg, config).unwrap();
    let run = run_ok(dir, "seeds", &["--config", cfg.to_str().unwrap()]);
    let v = common::run_json(&run);
    (run, v)
}

#[test]
fn themes_below_the_threshold_are_marked_low_coherence() {
    let dir = tempfile::tempdir().unwrap();
    // A threshold above every theme's score marks them all.
    let (run, v) = seeds_run_with(dir.path(), "[themes]\nlow_coherence = 1.0\n");
    let k = v["themes"].as_array().unwrap().len();
    let md = std::fs::read_to_string(run.join("themes.md")).unwrap();
    assert_eq!(md.matches("(low coherence) |").count(), k, "{md}");
    assert_eq!(md.matches("**Low coherence:**").count(), k, "{md}");
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert_eq!(html.matches(">low coherence</span>").count(), k);
    assert!(eval(&run).contains("[low coherence]"));
    // One below every score marks none.
    let dir = tempfile::tempdir().unwrap();
    let (run, _) = seeds_run_with(dir.path(), "[themes]\nlow_coherence = -1.0\n");
    let md = std::fs::read_to_string(run.join("themes.md")).unwrap();
    assert!(!md.contains("low coherence)") && !md.contains("**Low coherence"));
}

#[test]
fn coherence_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let (run, v) = seeds_run_with(dir.path(), "[themes]\ncoherence_top_n = 0\n");
    assert!(v.get("coherence").is_none());
    assert!(v["themes"][0].get("coherence").is_none());
    let md = std::fs::read_to_string(run.join("themes.md")).unwrap();
    assert!(!md.contains("c_npmi"));
}

#[test]
fn eval_recomputes_coherence_for_a_run_json_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_ok(dir.path(), "seeds", &[]);
    let stored = eval(&run);
    let mut v = common::run_json(&run);
    v.as_object_mut().unwrap().remove("coherence");
    for t in v["themes"].as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("coherence");
    }
    std::fs::write(run.join("run.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    let recomputed = eval(&run);
    assert!(
        recomputed.contains("recomputed from the unit texts"),
        "{recomputed}"
    );
    // The same numbers, whichever way they were found.
    let table = |s: &str| -> Vec<String> {
        s.lines()
            .skip_while(|l| !l.starts_with("coherence"))
            .map(|l| l.split("  (").next().unwrap().to_string())
            .collect()
    };
    assert_eq!(table(&stored), table(&recomputed));

    // Without the unit texts it says it cannot, and why.
    for u in v["units"].as_array_mut().unwrap().iter_mut().skip(1) {
        u["text"] = Value::String(String::new());
    }
    std::fs::write(run.join("run.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    let out = eval(&run);
    assert!(
        out.contains("cannot be recomputed") && out.contains("output.unit_text = false"),
        "{out}"
    );
}

#[test]
fn an_old_run_json_without_coherence_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::copy(fixture("run_sample.json"), run.join("run.json")).unwrap();
    let out = eval(&run);
    assert!(
        out.contains("coherence    not in run.json, and cannot be recomputed"),
        "{out}"
    );
    let chart = themata().arg("chart").arg(&run).output().unwrap();
    assert!(chart.status.success());
}

#[test]
fn eval_refuses_a_coherence_that_is_not_a_score() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_ok(dir.path(), "seeds", &[]);
    let mut v = common::run_json(&run);
    v["themes"][0]["coherence"]["c_npmi"] = serde_json::json!(3.5);
    std::fs::write(run.join("run.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    let out = themata().arg("eval").arg(&run).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("themes[0].coherence.c_npmi"), "{err}");
}

#[test]
fn eval_writes_the_tokens_coherence_reads() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_ok(dir.path(), "seeds", &[]);
    let path = dir.path().join("tokens.jsonl");
    let out = themata()
        .arg("eval")
        .arg(&run)
        .arg("--write-tokens")
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v = common::run_json(&run);
    let lines: Vec<Vec<String>> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), v["units"].as_array().unwrap().len());
    // Lowercased, stop words gone.
    assert!(lines.iter().flatten().all(|w| *w == w.to_lowercase()));
    assert!(!lines.iter().flatten().any(|w| w == "the" || w == "and"));
}
