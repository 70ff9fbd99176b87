//! Unit tests of the comparison on small constructed runs.

use super::*;
use crate::report::{ArticleInfo, RunReport, TermWeight, ThemeInfo, UnitRecord};

/// A run whose units are given as (article, start, theme): each unit spans 10 bytes from
/// `start`; articles are `d0`, `d1`… (their ids prefixed by `prefix`); themes carry `terms`.
fn run(prefix: &str, terms: &[&[&str]], units: &[(usize, usize, usize)]) -> RunReport {
    let k = terms.len();
    let na = units.iter().map(|u| u.0 + 1).max().unwrap_or(0);
    let mut articles: Vec<ArticleInfo> = (0..na)
        .map(|i| ArticleInfo {
            id: format!("{prefix}d{i}"),
            title: None,
            source: String::new(),
            label: None,
            date: None,
            units: 0,
            mix: vec![0.0; k],
        })
        .collect();
    let mut sizes = vec![0; k];
    let units: Vec<UnitRecord> = units
        .iter()
        .enumerate()
        .map(|(id, &(article, start, theme))| {
            articles[article].units += 1;
            articles[article].mix[theme] += 1.0;
            sizes[theme] += 1;
            UnitRecord {
                id,
                article,
                ordinal: 0,
                start,
                end: start + 10,
                text: String::new(),
                theme,
                score: 0.0,
                xy: [0.0; 2],
            }
        })
        .collect();
    for a in &mut articles {
        let n = a.units.max(1) as f32;
        a.mix.iter_mut().for_each(|x| *x /= n);
    }
    let themes = terms
        .iter()
        .enumerate()
        .map(|(id, ts)| ThemeInfo {
            id,
            label: ts.join(" · "),
            named: None,
            size: sizes[id],
            terms: ts
                .iter()
                .enumerate()
                .map(|(r, t)| TermWeight {
                    term: t.to_string(),
                    weight: 1.0 / (r + 1) as f32,
                })
                .collect(),
            representatives: Vec::new(),
            cohesion: 0.0,
            coherence: None,
            xy: [0.0; 2],
            articles: Vec::new(),
        })
        .collect();
    RunReport {
        themata_version: env!("CARGO_PKG_VERSION").into(),
        name: prefix.into(),
        articles,
        themes,
        units,
        ..Default::default()
    }
}

/// `n` units, one per article `first..first + n`, all in `theme`.
fn block(first: usize, n: usize, theme: usize) -> Vec<(usize, usize, usize)> {
    (first..first + n).map(|a| (a, 0, theme)).collect()
}

fn side(name: &str) -> RunSide {
    RunSide {
        name: name.into(),
        path: name.into(),
        themes: 0,
        units: 0,
    }
}

fn cmp(a: &RunReport, b: &RunReport) -> Comparison {
    compare(a, b, side("a"), side("b"), &CompareParams::default()).unwrap()
}

const SPACE: &[&str] = &["space", "nasa", "orbit"];
const HOCKEY: &[&str] = &["hockey", "team", "game"];
const GUNS: &[&str] = &["guns", "law", "fire"];
const CARS: &[&str] = &["car", "engine", "dealer"];

#[test]
fn a_run_against_itself_persists_every_theme_with_similarity_one() {
    let units = [block(0, 10, 0), block(10, 6, 1), block(16, 4, 2)].concat();
    let r = run("", &[SPACE, HOCKEY, GUNS], &units);
    let c = cmp(&r, &r);
    assert_eq!(c.overlap, OverlapKind::Units);
    assert_eq!(c.shared_units, 20);
    assert_eq!(
        c.summary,
        Summary {
            persisted: 3,
            ..Summary::default()
        }
    );
    for (i, f) in c.a_themes.iter().enumerate() {
        assert_eq!(f.status, Status::Persisted);
        assert_eq!(f.partners, [i]);
        assert!((f.similarity.unwrap() - 1.0).abs() < 1e-6);
        assert_eq!(c.b_themes[i].status, Status::Persisted);
    }
    assert_eq!(c.links.len(), 3);
    assert!(c.links.iter().all(|l| l.matched && l.share_of_a == 1.0));
}

/// Two runs of the same two themes, numbered the other way round in the second.
fn renumbered() -> (RunReport, RunReport) {
    let a = run(
        "",
        &[SPACE, HOCKEY],
        &[block(0, 10, 0), block(10, 5, 1)].concat(),
    );
    let b = run(
        "",
        &[HOCKEY, SPACE],
        &[block(0, 10, 1), block(10, 5, 0)].concat(),
    );
    (a, b)
}

#[test]
fn renumbered_themes_are_matched_to_their_counterparts() {
    let (a, b) = renumbered();
    let c = cmp(&a, &b);
    assert_eq!(c.a_themes[0].partners, [1]);
    assert_eq!(c.a_themes[1].partners, [0]);
    assert_eq!(c.summary.persisted, 2);
}

#[test]
fn a_theme_divided_between_two_themes_is_reported_split() {
    // A: space (20 units), hockey (10). B: space halves into two themes, hockey stays.
    let a = run(
        "",
        &[SPACE, HOCKEY],
        &[block(0, 20, 0), block(20, 10, 1)].concat(),
    );
    let b = run(
        "",
        &[SPACE, &["nasa", "shuttle"], HOCKEY],
        &[block(0, 12, 0), block(12, 8, 1), block(20, 10, 2)].concat(),
    );
    let c = cmp(&a, &b);
    assert_eq!(c.a_themes[0].status, Status::Split);
    assert_eq!(c.a_themes[0].partners, [0, 1], "largest part first");
    assert_eq!(c.a_themes[1].status, Status::Persisted);
    assert_eq!(c.a_themes[1].partners, [2]);
    assert_eq!(c.b_themes[0].status, Status::Split);
    assert_eq!(c.b_themes[1].status, Status::Split);
    assert_eq!(c.b_themes[1].partners, [0]);
    assert_eq!(c.summary.split, 1);
    assert_eq!(c.summary.new, 0);
}

#[test]
fn two_themes_absorbed_by_one_are_reported_merged() {
    let a = run(
        "",
        &[SPACE, CARS, HOCKEY],
        &[block(0, 10, 0), block(10, 8, 1), block(18, 6, 2)].concat(),
    );
    let b = run(
        "",
        &[&["space", "car", "engine"], HOCKEY],
        &[block(0, 18, 0), block(18, 6, 1)].concat(),
    );
    let c = cmp(&a, &b);
    assert_eq!(c.a_themes[0].status, Status::Merged);
    assert_eq!(c.a_themes[1].status, Status::Merged);
    assert_eq!(c.a_themes[0].partners, [0]);
    assert_eq!(c.a_themes[2].status, Status::Persisted);
    assert_eq!(c.b_themes[0].status, Status::Merged);
    assert_eq!(c.b_themes[0].partners, [0, 1]);
    assert_eq!(c.summary.merged, 2);
    // Both absorbed themes are linked to the theme that absorbed them.
    for i in [0, 1] {
        assert!(
            c.links
                .iter()
                .any(|l| l.a == i && l.b == 0 && l.share_of_a == 1.0)
        );
    }
}

/// Two runs of different articles: one theme alike (space), one each of their own.
fn disjoint() -> (RunReport, RunReport) {
    let units = [block(0, 5, 0), block(5, 5, 1)].concat();
    (
        run("a-", &[SPACE, HOCKEY], &units),
        run("b-", &[SPACE, GUNS], &units),
    )
}

#[test]
fn without_shared_articles_terms_decide_and_unmatched_themes_are_new_or_gone() {
    let (a, b) = disjoint();
    let c = cmp(&a, &b);
    assert_eq!(c.overlap, OverlapKind::None);
    assert_eq!(c.shared_articles, 0);
    assert_eq!(c.a_themes[0].status, Status::Persisted);
    assert!((c.a_themes[0].similarity.unwrap() - 1.0).abs() < 1e-6);
    assert_eq!(c.a_themes[1].status, Status::Gone);
    assert_eq!(c.b_themes[1].status, Status::New);
    assert_eq!(
        c.summary,
        Summary {
            persisted: 1,
            gone: 1,
            new: 1,
            ..Summary::default()
        }
    );
}

#[test]
fn runs_that_cut_units_differently_fall_back_to_article_mixes() {
    // Same articles and themes, but B's units start elsewhere (another unit size).
    let a = run(
        "",
        &[SPACE, HOCKEY],
        &[block(0, 6, 0), block(6, 6, 1)].concat(),
    );
    let shifted: Vec<(usize, usize, usize)> = [block(0, 6, 0), block(6, 6, 1)]
        .concat()
        .into_iter()
        .map(|(art, s, t)| (art, s + 3, t))
        .collect();
    let b = run("", &[SPACE, HOCKEY], &shifted);
    let c = cmp(&a, &b);
    assert_eq!(c.overlap, OverlapKind::Articles);
    assert_eq!(c.shared_units, 0);
    assert_eq!(c.shared_articles, 12);
    assert_eq!(c.summary.persisted, 2);
}

#[test]
fn the_matching_is_optimal_on_rectangular_matrices_either_way() {
    // A greedy pick of the largest entry (0.9 at [0][0]) would lose: 0.8 + 0.85 is better.
    let sim = vec![vec![0.9, 0.8, 0.0], vec![0.85, 0.1, 0.0]];
    assert_eq!(match_one_to_one(&sim), [Some(1), Some(0)]);
    let t: Vec<Vec<f32>> = (0..3).map(|j| sim.iter().map(|r| r[j]).collect()).collect();
    assert_eq!(match_one_to_one(&t), [Some(1), Some(0), None]);
    assert!(match_one_to_one(&[]).is_empty());
}

#[test]
fn term_similarity_is_the_cosine_over_the_union_of_terms() {
    let v = |ts: &[(&str, f32)]| -> TermVector {
        ts.iter().map(|&(t, w)| (t.to_string(), w)).collect()
    };
    let a = [v(&[("x", 1.0), ("y", 1.0)]), TermVector::new()];
    let b = [v(&[("x", 1.0)]), v(&[("z", 2.0)])];
    let s = term_similarity(&a, &b);
    assert!((s[0][0] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
    assert_eq!(s[0][1], 0.0);
    assert_eq!(s[1], [0.0, 0.0]);
}

#[test]
fn out_of_range_thresholds_are_refused_naming_the_key() {
    for (p, key) in [
        (
            CompareParams {
                link_share: 0.0,
                ..CompareParams::default()
            },
            "link_share",
        ),
        (
            CompareParams {
                overlap_weight: 1.5,
                ..CompareParams::default()
            },
            "overlap_weight",
        ),
        (
            CompareParams {
                min_similarity: f32::NAN,
                ..CompareParams::default()
            },
            "min_similarity",
        ),
    ] {
        let e = p.check().unwrap_err().to_string();
        assert!(e.contains(key), "{e}");
    }
}

#[test]
fn compare_md_has_one_row_per_a_theme_and_the_new_b_themes() {
    let (a, b) = disjoint();
    let md = write::render_markdown(&cmp(&a, &b));
    assert!(md.contains("| A theme | size | B theme(s) | size | status | similarity |"));
    assert!(
        md.contains(
            "| 1. space · nasa · orbit | 5 | 1. space · nasa · orbit | 5 | persisted | 1.00 |"
        ),
        "{md}"
    );
    assert!(
        md.contains("| 2. hockey · team · game | 5 | — |  | gone | — |"),
        "{md}"
    );
    assert!(
        md.contains("| — |  | 2. guns · law · fire | 5 | new | — |"),
        "{md}"
    );
    assert!(
        md.contains("**1 persisted · 0 split · 0 merged · 1 gone**"),
        "{md}"
    );
}

#[test]
fn the_flow_chart_has_a_band_per_link_and_colours_persisted_themes_as_their_origin() {
    let (a, b) = renumbered();
    let c = cmp(&a, &b);
    let f = write::flow(&c);
    assert_eq!(f.bands.len(), c.links.len());
    assert_eq!(f.right[1].color, Some(0));
    assert_eq!(f.right[0].color, Some(1));
    assert!(f.right[1].note.contains("persisted 1.00"));
}
