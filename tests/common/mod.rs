//! Shared fixtures and helpers of the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

use themata::report::{
    ArticleInfo, CorpusStats, KScoreInfo, KSelectionInfo, MergeInfo, RunReport, Scores, TermWeight,
    ThemeInfo, UnitRecord,
};

/// Path of a file under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The repository's root (the binary runs there, as the README's commands do).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The themata binary, run from the repository's root.
pub fn themata() -> Command {
    let mut c = Command::cargo_bin("themata").unwrap();
    c.current_dir(root());
    c
}

/// Runs `themata run ARGS --out OUT --name NAME` (with `--charts none` unless ARGS name
/// charts), asserts it succeeds, and returns the run folder.
pub fn run_ok(out: &Path, name: &str, args: &[&str]) -> PathBuf {
    let mut cmd = themata();
    cmd.arg("run")
        .args(args)
        .args(["--out", out.to_str().unwrap(), "--name", name, "-q"]);
    if !args.contains(&"--charts") {
        cmd.args(["--charts", "none"]);
    }
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "themata run {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    out.join(name)
}

/// Asserts a failed run: exit `code`, one stderr line starting `themata: error:`, holding every
/// needle. Returns the line.
pub fn fails(o: &Output, code: i32, needles: &[&str]) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected, got: {err}");
    assert!(
        lines[0].starts_with("themata: error:") || lines[0].starts_with("themata: internal error:"),
        "{err}"
    );
    for n in needles {
        assert!(err.contains(n), "{n:?} not in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    lines[0].to_string()
}

/// A run folder's run.json.
pub fn run_json(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap()
}

/// The hand-made sample run: 5 articles, 60 units, 4 themes (one with a long label), auto k.
pub fn sample() -> RunReport {
    let text = std::fs::read_to_string(fixture("run_sample.json")).expect("fixture is readable");
    serde_json::from_str(&text).expect("fixture is a valid RunReport")
}

/// A synthetic run of `k` themes, `articles` articles with long titles and `units` units, laid
/// out deterministically (no RNG: positions come from a simple hash of the unit id).
pub fn synthetic(k: usize, articles: usize, units: usize) -> RunReport {
    let words = [
        "graphics",
        "windows",
        "hardware",
        "motor",
        "sale",
        "hockey",
        "guns",
        "mideast",
        "religion",
        "atheism",
        "electronics",
        "medical",
        "space",
        "crypto",
        "politics",
        "autos",
        "baseball",
        "mac",
    ];
    let jitter = |i: usize, salt: usize| {
        let h = (i.wrapping_mul(2_654_435_761) ^ salt.wrapping_mul(40_503))
            .wrapping_mul(2_246_822_519)
            % 10_007;
        h as f32 / 10_007.0 - 0.5
    };
    let centre = |t: usize| {
        let a = std::f32::consts::TAU * t as f32 / k as f32;
        let r = 0.5 + 0.15 * (t % 3) as f32;
        [r * a.cos(), r * a.sin()]
    };
    let unit_records: Vec<UnitRecord> = (0..units)
        .map(|i| {
            let theme = (i * 7 + i / 13) % k;
            let c = centre(theme);
            UnitRecord {
                id: i,
                article: i % articles,
                ordinal: i / articles,
                start: 0,
                end: 10,
                text: format!("passage {i} about {}", words[theme % words.len()]),
                theme,
                score: 0.5,
                xy: [c[0] + 0.3 * jitter(i, 1), c[1] + 0.3 * jitter(i, 2)],
            }
        })
        .collect();
    let article_infos = (0..articles)
        .map(|a| {
            let mine: Vec<&UnitRecord> = unit_records.iter().filter(|u| u.article == a).collect();
            let mix = (0..k)
                .map(|t| {
                    if mine.is_empty() {
                        0.0
                    } else {
                        mine.iter().filter(|u| u.theme == t).count() as f32 / mine.len() as f32
                    }
                })
                .collect();
            ArticleInfo {
                id: format!("doc{a:03}"),
                title: Some(format!(
                    "A rather long article title, number {a}, that keeps going about {} and {}",
                    words[a % words.len()],
                    words[(a * 5 + 3) % words.len()]
                )),
                source: format!("corpus/doc{a:03}.txt"),
                label: None,
                units: mine.len(),
                mix,
                date: None,
            }
        })
        .collect();
    let themes = (0..k)
        .map(|t| {
            let size = unit_records.iter().filter(|u| u.theme == t).count();
            let label = if t == 3 {
                "an extraordinarily long theme label that keeps going well past any sensible width"
                    .to_string()
            } else {
                format!(
                    "{} · {} · {}",
                    words[t % words.len()],
                    words[(t + 5) % words.len()],
                    words[(t + 11) % words.len()]
                )
            };
            ThemeInfo {
                id: t,
                label,
                named: None,
                size,
                terms: (0..10)
                    .map(|j| TermWeight {
                        term: words[(t + j * 3) % words.len()].to_string(),
                        weight: 0.1 * 0.85f32.powi(j as i32),
                    })
                    .collect(),
                representatives: unit_records
                    .iter()
                    .filter(|u| u.theme == t)
                    .take(3)
                    .map(|u| u.id)
                    .collect(),
                cohesion: 0.4,
                coherence: None,
                xy: centre(t),
                articles: vec![],
            }
        })
        .collect();
    let similarity = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| {
                    if i == j {
                        1.0
                    } else {
                        0.4 * (std::f32::consts::TAU * (i as f32 - j as f32) / k as f32).cos()
                    }
                })
                .collect()
        })
        .collect();
    // A balanced-ish hierarchy: merge the two oldest roots each time.
    let mut queue: std::collections::VecDeque<usize> = (0..k).collect();
    let mut hierarchy = Vec::new();
    let mut next = k;
    while queue.len() > 1 {
        let (a, b) = (queue.pop_front().unwrap(), queue.pop_front().unwrap());
        hierarchy.push(MergeInfo {
            left: a,
            right: b,
            distance: 0.3 + 0.6 * hierarchy.len() as f32 / k as f32,
            size: 2,
        });
        queue.push_back(next);
        next += 1;
    }
    RunReport {
        themata_version: "0.1.0".into(),
        name: "synthetic".into(),
        inputs: vec!["synthetic".into()],
        config: serde_json::json!({}),
        corpus: CorpusStats {
            articles,
            units,
            vocabulary: 50_000,
            dims: 100,
            ..Default::default()
        },
        articles: article_infos,
        themes,
        units: unit_records,
        similarity,
        hierarchy,
        k_selection: KSelectionInfo {
            mode: "auto".into(),
            chosen: k,
            scores: (2..=30)
                .map(|kk| KScoreInfo {
                    k: kk,
                    silhouette: 0.05 + 0.06 * (-((kk as f32 - k as f32) / 5.0).powi(2)).exp(),
                    inertia: 20_000.0 / (kk as f64).sqrt(),
                })
                .collect(),
            reason: String::new(),
        },
        projection: "PCA of the LSA vectors".into(),
        scores: Scores {
            silhouette: 0.1,
            inertia: 1000.0,
            external: None,
        },
        ..Default::default()
    }
}
