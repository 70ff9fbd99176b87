//! Charts drawn from a run report: every file exists, decodes, shows its labels, and is stable.

mod common;

use std::cmp::Reverse;
use std::collections::BTreeSet;
use std::path::Path;

use themata::chart::{
    CHART_NAMES, ChartFormat, MAX_CANVAS_PIXELS, MAX_CHART_THEMES, draw_all, ellipsize,
};
use themata::report::RunReport;

const BOTH: [ChartFormat; 2] = [ChartFormat::Png, ChartFormat::Svg];

/// All text content of an SVG document, one entry per `<text>` element.
fn svg_texts(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            n.descendants()
                .filter(|d| d.is_text())
                .filter_map(|d| d.text())
                .collect::<String>()
                .trim()
                .to_string()
        })
        .collect()
}

fn svg_size(path: &Path) -> (u32, u32) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let root = doc.root_element();
    let dim = |a: &str| {
        root.attribute(a)
            .unwrap()
            .trim_end_matches("px")
            .parse::<u32>()
            .unwrap()
    };
    (dim("width"), dim("height"))
}

/// Decodes a PNG; returns its size and how many distinct RGBA colours it uses.
fn png_info(path: &Path) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let px = info.color_type.samples();
    let colours: BTreeSet<&[u8]> = bytes.chunks(px).collect();
    (info.width, info.height, colours.len())
}

/// Whether `texts` show `label`, whole or shortened with an ellipsis.
fn shows_label(texts: &[String], label: &str) -> bool {
    texts.iter().any(|t| {
        let t = t.trim();
        t == label
            || t.strip_suffix('…')
                .is_some_and(|head| head.chars().count() >= 3 && label.starts_with(head))
    })
}

fn axis_titles(name: &str) -> &'static [&'static str] {
    match name {
        "theme_map" => &["projection axis 1", "projection axis 2"],
        "top_terms" => &["c-TF-IDF weight", "term"],
        "theme_sizes" => &["passages (units)", "theme"],
        "article_theme_heatmap" => &["theme", "article", "share of passages"],
        "theme_similarity" => &["theme", "cosine similarity"],
        "dendrogram" => &["cosine distance at which themes merge", "theme"],
        "k_selection" => &["number of themes k", "mean silhouette", "inertia"],
        _ => unreachable!(),
    }
}

#[test]
fn draw_all_writes_every_chart_in_both_formats() {
    let report = common::sample();
    let dir = tempfile::tempdir().unwrap();
    let drawn = draw_all(&report, dir.path(), &BOTH).unwrap();
    assert!(drawn.skipped.is_empty(), "{:?}", drawn.skipped);
    let written = drawn.written;
    assert_eq!(written.len(), CHART_NAMES.len() * 2);
    for name in CHART_NAMES {
        for ext in ["png", "svg"] {
            let p = dir.path().join(format!("{name}.{ext}"));
            assert!(written.contains(&p), "{} not reported", p.display());
            assert!(p.is_file(), "{} missing", p.display());
        }
    }
}

#[test]
fn pngs_decode_to_the_svg_size_and_are_not_blank() {
    let report = common::sample();
    let dir = tempfile::tempdir().unwrap();
    draw_all(&report, dir.path(), &BOTH).unwrap();
    for name in CHART_NAMES {
        let (w, h, colours) = png_info(&dir.path().join(format!("{name}.png")));
        assert_eq!(
            (w, h),
            svg_size(&dir.path().join(format!("{name}.svg"))),
            "{name}"
        );
        assert!(
            (400..=4000).contains(&w) && (200..=4000).contains(&h),
            "{name}: {w}×{h}"
        );
        assert!(colours > 10, "{name}: only {colours} colours");
    }
}

#[test]
fn svgs_parse_and_show_every_theme_label_and_axis_title() {
    let report = common::sample();
    let dir = tempfile::tempdir().unwrap();
    draw_all(&report, dir.path(), &[ChartFormat::Svg]).unwrap();
    for name in CHART_NAMES {
        let texts = svg_texts(&dir.path().join(format!("{name}.svg")));
        for title in axis_titles(name) {
            assert!(
                texts.iter().any(|t| t == title),
                "{name}: axis title `{title}` missing in {texts:?}"
            );
        }
        if name != "k_selection" {
            for t in &report.themes {
                assert!(
                    shows_label(&texts, &t.label),
                    "{name}: label `{}` missing in {texts:?}",
                    t.label
                );
            }
        }
    }
}

#[test]
fn long_labels_are_ellipsized_not_cut_off() {
    let report = common::sample();
    let long = report
        .themes
        .iter()
        .map(|t| &t.label)
        .max_by_key(|l| l.chars().count())
        .unwrap();
    assert!(
        long.chars().count() > 50,
        "the fixture should carry one long label"
    );
    let dir = tempfile::tempdir().unwrap();
    draw_all(&report, dir.path(), &[ChartFormat::Svg]).unwrap();
    let texts = svg_texts(&dir.path().join("theme_map.svg"));
    assert!(
        !texts.iter().any(|t| t == long),
        "the long label should be shortened on the map"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.ends_with('…') && long.starts_with(t.trim_end_matches('…')))
    );
}

#[test]
fn drawing_twice_gives_identical_files() {
    let report = common::sample();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    draw_all(&report, a.path(), &BOTH).unwrap();
    draw_all(&report, b.path(), &BOTH).unwrap();
    for name in CHART_NAMES {
        for ext in ["svg", "png"] {
            let f = format!("{name}.{ext}");
            assert!(
                std::fs::read(a.path().join(&f)).unwrap()
                    == std::fs::read(b.path().join(&f)).unwrap(),
                "{f} differs"
            );
        }
    }
}

#[test]
fn svg_text_names_a_font_family_with_fallbacks() {
    let report = common::sample();
    let dir = tempfile::tempdir().unwrap();
    draw_all(&report, dir.path(), &[ChartFormat::Svg]).unwrap();
    let svg = std::fs::read_to_string(dir.path().join("theme_sizes.svg")).unwrap();
    assert!(svg.contains("font-family=\"DejaVu Sans, "));
    assert!(svg.contains("sans-serif"));
}

#[test]
fn k_selection_is_skipped_when_k_was_fixed() {
    let mut report = common::sample();
    report.k_selection.mode = "fixed".into();
    let dir = tempfile::tempdir().unwrap();
    let written = draw_all(&report, dir.path(), &[ChartFormat::Svg])
        .unwrap()
        .written;
    assert_eq!(written.len(), CHART_NAMES.len() - 1);
    assert!(!dir.path().join("k_selection.svg").exists());
}

#[test]
fn no_formats_draws_nothing() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        draw_all(&common::sample(), dir.path(), &[])
            .unwrap()
            .written
            .is_empty()
    );
}

#[test]
fn draw_all_creates_the_charts_folder() {
    let dir = tempfile::tempdir().unwrap();
    let charts = dir.path().join("run/charts");
    draw_all(&common::sample(), &charts, &[ChartFormat::Svg]).unwrap();
    assert!(charts.join("theme_map.svg").is_file());
}

#[test]
fn degenerate_reports_still_draw() {
    let mut one = common::synthetic(1, 1, 3);
    one.hierarchy.clear();
    one.k_selection.mode = "fixed".into();
    let mut empty: RunReport = common::synthetic(1, 1, 1);
    empty.themes.clear();
    empty.units.clear();
    empty.similarity.clear();
    empty.hierarchy.clear();
    empty.k_selection.scores.clear();
    for report in [one, empty] {
        let dir = tempfile::tempdir().unwrap();
        let drawn = draw_all(&report, dir.path(), &BOTH).unwrap();
        assert!(drawn.written.len() >= 12);
        assert!(drawn.skipped.is_empty(), "{:?}", drawn.skipped);
    }
}

#[test]
fn a_broken_hierarchy_is_an_error_not_a_panic() {
    let mut report = common::sample();
    report.hierarchy[0].left = 99;
    let dir = tempfile::tempdir().unwrap();
    let err = draw_all(&report, dir.path(), &[ChartFormat::Svg]).unwrap_err();
    assert!(err.to_string().contains("hierarchy"), "{err}");
}

#[test]
fn charts_grow_with_themes_and_articles() {
    let small = common::sample();
    let big = common::synthetic(20, 30, 5000);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    draw_all(&small, a.path(), &[ChartFormat::Svg]).unwrap();
    draw_all(&big, b.path(), &BOTH).unwrap();
    for name in [
        "top_terms",
        "theme_sizes",
        "article_theme_heatmap",
        "theme_similarity",
        "dendrogram",
    ] {
        let (sw, sh) = svg_size(&a.path().join(format!("{name}.svg")));
        let (bw, bh) = svg_size(&b.path().join(format!("{name}.svg")));
        assert!(
            bw * bh > sw * sh,
            "{name}: {bw}×{bh} is not larger than {sw}×{sh}"
        );
    }
    for name in CHART_NAMES {
        let texts = svg_texts(&b.path().join(format!("{name}.svg")));
        if name != "k_selection" {
            for t in &big.themes {
                assert!(
                    shows_label(&texts, &t.label),
                    "{name}: label `{}` missing",
                    t.label
                );
            }
        }
        let (_, _, colours) = png_info(&b.path().join(format!("{name}.png")));
        assert!(colours > 10);
    }
}

#[test]
fn huge_runs_subsample_the_map_and_say_so() {
    let report = common::synthetic(5, 10, 20_000);
    let dir = tempfile::tempdir().unwrap();
    draw_all(&report, dir.path(), &[ChartFormat::Svg]).unwrap();
    let texts = svg_texts(&dir.path().join("theme_map.svg"));
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("Showing 6,000 of 20,000 passages")),
        "{texts:?}"
    );
    let svg = std::fs::read_to_string(dir.path().join("theme_map.svg")).unwrap();
    assert!(svg.matches("<circle").count() < 6_200);
}

/// The width and height a PNG file declares, read from its header alone.
fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    (info.width, info.height)
}

/// 1,300 themes used to hand plotters canvases of billions of pixels; now every chart with one
/// row, column, panel or label per theme shows the largest `MAX_CHART_THEMES`, and says so.
#[test]
fn charts_of_1300_themes_stay_under_the_canvas_cap_and_say_what_they_leave_out() {
    let k = 1300;
    let mut report = common::synthetic(k, 100, 13_000);
    // Labels that name one theme each, so the test can tell which themes a chart shows.
    for (i, t) in report.themes.iter_mut().enumerate() {
        t.label = format!("label {i:04}");
    }
    assert_eq!(report.hierarchy.len(), k - 1);
    assert_eq!(report.similarity.len(), k);
    assert!(report.articles.iter().all(|a| a.mix.len() == k));
    let mut by_size: Vec<usize> = (0..k).collect();
    by_size.sort_by_key(|&i| (Reverse(report.themes[i].size), i));
    let (charted, left_out) = by_size.split_at(MAX_CHART_THEMES);
    let label = |i: usize| report.themes[i].label.clone();

    let dir = tempfile::tempdir().unwrap();
    let drawn = draw_all(&report, dir.path(), &BOTH).unwrap();
    assert!(drawn.skipped.is_empty(), "{:?}", drawn.skipped);
    assert_eq!(drawn.written.len(), CHART_NAMES.len() * 2);
    let note = format!("the {MAX_CHART_THEMES} largest of 1,300 themes");
    let n = k - MAX_CHART_THEMES;
    let others = format!("{},{:03} other themes", n / 1000, n % 1000);
    for name in CHART_NAMES {
        let (w, h) = png_size(&dir.path().join(format!("{name}.png")));
        assert!(
            u64::from(w) * u64::from(h) <= MAX_CANVAS_PIXELS.unsigned_abs(),
            "{name}: {w}×{h}"
        );
        assert_eq!((w, h), svg_size(&dir.path().join(format!("{name}.svg"))));
        if name == "k_selection" {
            continue;
        }
        let texts = svg_texts(&dir.path().join(format!("{name}.svg")));
        assert!(
            texts.iter().any(|t| t.contains(&note) && !t.ends_with('…')),
            "{name}: no subtitle says `{note}` in {:?}",
            &texts[..2]
        );
        for &i in charted {
            assert!(texts.contains(&label(i)), "{name}: `{}` missing", label(i));
        }
        for &i in left_out {
            assert!(!texts.contains(&label(i)), "{name}: `{}` shown", label(i));
        }
    }
    for name in ["theme_map", "theme_sizes"] {
        let texts = svg_texts(&dir.path().join(format!("{name}.svg")));
        assert!(texts.contains(&others), "{name}: `{others}` missing");
    }
    // One labelled cell per pair of charted themes, not per pair of themes.
    let cells = svg_texts(&dir.path().join("theme_similarity.svg")).len();
    assert!(
        cells < MAX_CHART_THEMES * (MAX_CHART_THEMES + 4),
        "{cells} texts"
    );
}

#[test]
fn ellipsize_is_public_and_char_safe() {
    assert_eq!(ellipsize("ab", 1), "…");
    assert_eq!(ellipsize("héllo wörld", 6), "héllo…");
}

/// The whole chain a user sees: `themata run` on the seeds draws every chart in both formats,
/// each readable, and `themata chart` redraws the SVGs byte for byte from run.json.
#[test]
fn seeds_run_charts_are_complete_and_redrawn_identically() {
    let out = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("themata");
    let status = std::process::Command::new(&bin)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "-q", "--name", "seeds", "--out"])
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    let run = out.path().join("seeds");
    let report: RunReport =
        serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    let charts = run.join("charts");
    for name in CHART_NAMES {
        let (w, h, colours) = png_info(&charts.join(format!("{name}.png")));
        assert_eq!(
            (w, h),
            svg_size(&charts.join(format!("{name}.svg"))),
            "{name}"
        );
        assert!(colours > 10, "{name}: only {colours} colours");
        let texts = svg_texts(&charts.join(format!("{name}.svg")));
        for title in axis_titles(name) {
            assert!(
                texts.iter().any(|t| t == title),
                "{name}: `{title}` missing"
            );
        }
        if name != "k_selection" {
            for t in &report.themes {
                assert!(
                    shows_label(&texts, &t.label),
                    "{name}: `{}` missing",
                    t.label
                );
            }
        }
    }
    let before: Vec<Vec<u8>> = CHART_NAMES
        .iter()
        .map(|n| std::fs::read(charts.join(format!("{n}.svg"))).unwrap())
        .collect();
    let status = std::process::Command::new(&bin)
        .arg("chart")
        .arg(&run)
        .status()
        .unwrap();
    assert!(status.success());
    for (n, old) in CHART_NAMES.iter().zip(before) {
        assert_eq!(
            std::fs::read(charts.join(format!("{n}.svg"))).unwrap(),
            old,
            "{n}.svg"
        );
    }
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    for t in &report.themes {
        assert!(html.contains(&themata::report::html::escape(&t.label)));
    }
}
