//! The HTML report page: self-contained, escaped, balanced, and showing every theme.

mod common;

use themata::chart::{ChartFormat, draw_all};
use themata::report::html::{escape, render};

/// Checks that every non-void element is closed in order; returns the first problem.
fn check_balanced(html: &str) -> Result<(), String> {
    const VOID: [&str; 8] = ["meta", "br", "img", "hr", "link", "input", "wbr", "source"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start..];
        if rest.starts_with("<!--") {
            let end = rest.find("-->").ok_or("unclosed comment")?;
            rest = &rest[end + 3..];
            continue;
        }
        let end = rest.find('>').ok_or("unclosed tag")?;
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if tag.ends_with('/') || VOID.contains(&name.as_str()) {
            continue;
        }
        if name == "style" || name == "script" {
            let close = format!("</{name}>");
            let end = rest.find(&close).ok_or("unclosed style")?;
            rest = &rest[end + close.len()..];
            continue;
        }
        stack.push(name);
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed: {stack:?}"))
    }
}

#[test]
fn page_shows_every_theme_label_term_and_article() {
    let report = common::sample();
    let dir = tempfile::tempdir().unwrap();
    draw_all(&report, dir.path(), &[ChartFormat::Svg]).unwrap();
    let html = render(&report, dir.path()).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for t in &report.themes {
        assert!(
            html.contains(&escape(&t.label)),
            "label `{}` missing",
            t.label
        );
        assert!(html.contains(&format!("id=\"theme-{}\"", t.id)));
        for w in &t.terms {
            assert!(html.contains(&escape(&w.term)));
        }
    }
    for i in 0..report.articles.len() {
        assert!(html.contains(&format!("id=\"article-{i}\"")));
    }
    assert!(
        html.contains("73%"),
        "article shares are shown as percentages"
    );
    assert!(html.contains(&report.k_selection.reason));
}

#[test]
fn quoted_passages_link_to_their_articles() {
    let report = common::sample();
    let html = render(&report, std::path::Path::new("/nonexistent")).unwrap();
    for t in &report.themes {
        for &id in &t.representatives {
            let u = &report.units[id];
            assert!(html.contains(&escape(&u.text)), "passage {id} not quoted");
            assert!(html.contains(&format!("href=\"#article-{}\"", u.article)));
        }
    }
}

#[test]
fn page_is_balanced_and_escapes_text() {
    let report = common::sample();
    let dir = tempfile::tempdir().unwrap();
    draw_all(&report, dir.path(), &[ChartFormat::Svg]).unwrap();
    let html = render(&report, dir.path()).unwrap();
    check_balanced(&html).unwrap();
    // The fixture's passages carry `& <more> "quoted"`; none of it may leak as markup.
    assert!(!html.contains("<more>"));
    assert!(html.contains("&amp; &lt;more&gt; &quot;quoted&quot;"));
}

#[test]
fn page_needs_no_network() {
    let report = common::sample();
    let dir = tempfile::tempdir().unwrap();
    draw_all(&report, dir.path(), &[ChartFormat::Svg]).unwrap();
    let html = render(&report, dir.path()).unwrap();
    for needle in ["http://", "https://", "<script", "<link", "@import", "url("] {
        // SVG's namespace URI is an identifier, not a fetch.
        let count = html.matches(needle).count();
        let allowed = if needle == "http://" {
            html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
        } else {
            0
        };
        assert!(count <= allowed, "page refers to `{needle}`");
    }
}

#[test]
fn svg_charts_are_inlined() {
    let report = common::sample();
    let dir = tempfile::tempdir().unwrap();
    draw_all(&report, dir.path(), &[ChartFormat::Svg, ChartFormat::Png]).unwrap();
    let html = render(&report, dir.path()).unwrap();
    assert_eq!(html.matches("<svg").count(), 7);
    assert!(!html.contains("data:image/png"));
    assert!(!html.contains("<?xml"));
}

#[test]
fn png_charts_become_data_uris_when_alone() {
    let report = common::sample();
    let dir = tempfile::tempdir().unwrap();
    draw_all(&report, dir.path(), &[ChartFormat::Png]).unwrap();
    let html = render(&report, dir.path()).unwrap();
    assert_eq!(
        html.matches("src=\"data:image/png;base64,iVBORw0KGgo")
            .count(),
        7
    );
    assert!(!html.contains("<svg"));
}

#[test]
fn no_charts_means_no_charts_section() {
    let html = render(
        &common::sample(),
        std::path::Path::new("/nonexistent/charts"),
    )
    .unwrap();
    assert!(!html.contains("id=\"charts\""));
    check_balanced(&html).unwrap();
}

#[test]
fn rendering_is_deterministic() {
    let report = common::sample();
    let dir = tempfile::tempdir().unwrap();
    draw_all(&report, dir.path(), &[ChartFormat::Svg]).unwrap();
    assert_eq!(
        render(&report, dir.path()).unwrap(),
        render(&report, dir.path()).unwrap()
    );
}

#[test]
fn large_runs_render_with_a_capped_table() {
    let report = common::synthetic(20, 800, 4000);
    let html = render(&report, std::path::Path::new("/nonexistent")).unwrap();
    check_balanced(&html).unwrap();
    let rows = html.matches("<tr id=\"article-").count();
    assert!((500..800).contains(&rows), "{rows} rows");
    for t in &report.themes {
        for &id in &t.representatives {
            let a = report.units[id].article;
            assert!(
                html.contains(&format!("<tr id=\"article-{a}\"")),
                "quoted article {a} has no row"
            );
        }
    }
}

#[test]
fn page_renders_in_headless_chromium_when_installed() {
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        eprintln!("skipped: /usr/bin/chromium not installed");
        return;
    }
    let report = common::sample();
    let dir = tempfile::tempdir().unwrap();
    let charts = dir.path().join("charts");
    draw_all(&report, &charts, &[ChartFormat::Svg]).unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, render(&report, &charts).unwrap()).unwrap();
    let shot = dir.path().join("shot.png");
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/check_report_html.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .arg(&page)
        .arg(&shot)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(shot.is_file());
}
