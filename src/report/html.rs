//! The HTML report: one self-contained page summarising a run.
//!
//! In: a [`RunReport`] and the folder its charts were drawn into. Out: an HTML document as a
//! string (the caller writes it as `report.html`). The page needs nothing from the network: its
//! CSS is inline, SVG charts are inlined, PNG charts (when no SVG was drawn) become base64 data
//! URIs, and text uses the reader's system fonts. The same report and charts give the same bytes.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::chart::{all_chart_names, ellipsize, theme_color};
use crate::report::{ArticleInfo, RunReport, UnitRecord};
use crate::{Error, Result};

/// Most articles listed in the article × theme table; larger corpora list the articles with the
/// most passages (plus every article a quoted passage comes from).
pub const MAX_TABLE_ARTICLES: usize = 500;
/// Most theme columns in the article × theme table; above it, the largest themes (the charts
/// chart as many).
pub const MAX_TABLE_THEMES: usize = 60;

/// Longest quoted passage, in characters.
const MAX_QUOTE_CHARS: usize = 600;

/// Renders the report page for `report`, embedding the charts found in `charts_dir`.
///
/// Charts are looked up by name (`theme_map.svg`, `theme_map.png`, …); SVG is preferred, PNG is
/// used when it is the only format present, and a chart with neither is left out. A missing
/// `charts_dir` just means a page without charts.
///
/// ```
/// # fn main() -> themata::Result<()> {
/// # let text = std::fs::read_to_string("tests/fixtures/run_sample.json").unwrap();
/// # let report: themata::report::RunReport = serde_json::from_str(&text).unwrap();
/// let page = themata::report::html::render(&report, std::path::Path::new("no/charts/here"))?;
/// assert!(page.starts_with("<!DOCTYPE html>"));
/// # Ok(())
/// # }
/// ```
pub fn render(report: &RunReport, charts_dir: &Path) -> Result<String> {
    let mut h = String::with_capacity(64 * 1024);
    let title = match (&report.assignment, report.name.is_empty()) {
        (Some(a), _) => format!("New articles in the themes of {} ({})", a.run, report.name),
        (None, true) => "themata report".to_string(),
        (None, false) => format!("Themes in {}", report.name),
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"themata {}\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&report.themata_version),
        esc(&title)
    );
    let _ = write!(
        h,
        "<header class=\"top\"><div class=\"wrap\"><h1>{}</h1><p class=\"lede\">{} themes in {} passages from {} articles</p>\
         <nav><a href=\"#summary\">Summary</a><a href=\"#themes\">Themes</a><a href=\"#articles\">Articles</a><a href=\"#charts\">Charts</a></nav></div></header>\n<main class=\"wrap\">\n",
        esc(&title),
        report.themes.len(),
        num(report.corpus.units.max(report.units.len())),
        num(report.corpus.articles.max(report.articles.len())),
    );
    summary(&mut h, report);
    let units = Units::new(&report.units);
    themes(&mut h, report, &units);
    super::over_time::html(&mut h, report, esc);
    articles(&mut h, report, &units);
    charts(&mut h, charts_dir)?;
    let _ = write!(
        h,
        "</main>\n<footer class=\"wrap\">Made by themata {} · run <code>{}</code> · inputs: {}</footer>\n</body>\n</html>\n",
        esc(&report.themata_version),
        esc(&report.name),
        esc(&report.inputs.join(", "))
    );
    Ok(h)
}

fn summary(h: &mut String, r: &RunReport) {
    let c = &r.corpus;
    h.push_str("<section id=\"summary\"><h2>Summary</h2>\n<div class=\"cards\">\n");
    let ks = &r.k_selection;
    let k_how = match ks.mode.as_str() {
        "auto" => "chosen automatically",
        "fixed" => "fixed in the configuration",
        "assigned" => "of the saved run",
        other => other,
    };
    let mut cards = vec![
        (num(c.articles), "articles".to_string()),
        (num(c.units), "passages".to_string()),
        (num(c.vocabulary), "terms in the vocabulary".to_string()),
        (num(c.dims), "LSA dimensions".to_string()),
        (num(r.themes.len()), format!("themes (k {k_how})")),
        (
            format!("{:.3}", r.scores.silhouette),
            "mean silhouette (cosine)".to_string(),
        ),
    ];
    if let Some(a) = &r.assignment {
        cards.push((
            num(a.outliers.len()),
            format!(
                "outliers (below the {}th percentile of their theme in the run)",
                a.outlier_percentile
            ),
        ));
    }
    for (v, l) in cards {
        let _ = writeln!(
            h,
            "<div class=\"card\"><div class=\"v\">{}</div><div class=\"l\">{}</div></div>",
            esc(&v),
            esc(&l)
        );
    }
    h.push_str("</div>\n");
    if !ks.reason.is_empty() {
        let _ = writeln!(
            h,
            "<p><strong>How k was chosen.</strong> {}</p>",
            esc(&ks.reason)
        );
    }
    h.push_str("<div class=\"cols\">\n<table class=\"kv\"><caption>Corpus</caption><tbody>\n");
    let rows = [
        ("Articles kept", num(c.articles)),
        ("Passages clustered", num(c.units)),
        ("Cleaned text", bytes(c.bytes)),
        (
            "Boilerplate lines dropped",
            num(c.boilerplate_lines_dropped),
        ),
        ("Records skipped", num(c.skipped_records)),
        ("Vocabulary", num(c.vocabulary)),
        ("Nonzeros in TF-IDF", num(c.nnz)),
        ("LSA dimensions", num(c.dims)),
    ];
    for (k, v) in rows {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    }
    h.push_str("</tbody></table>\n<table class=\"kv\"><caption>Scores</caption><tbody>\n");
    let _ = writeln!(
        h,
        "<tr><th>k</th><td>{} ({})</td></tr>",
        ks.chosen.max(r.themes.len()),
        esc(k_how)
    );
    let _ = writeln!(
        h,
        "<tr><th>Mean silhouette</th><td>{:.4}</td></tr>",
        r.scores.silhouette
    );
    let _ = writeln!(
        h,
        "<tr><th>Inertia</th><td>{}</td></tr>",
        esc(&decimal(r.scores.inertia))
    );
    if let Some(e) = &r.scores.external {
        for (k, v) in [
            ("NMI", e.nmi),
            ("Adjusted Rand index", e.ari),
            ("V-measure", e.v_measure),
            ("Homogeneity", e.homogeneity),
            ("Completeness", e.completeness),
            ("Purity", e.purity),
        ] {
            let _ = writeln!(h, "<tr><th>{k}</th><td>{v:.4}</td></tr>");
        }
    }
    if let Some(c) = &r.coherence {
        for (k, v) in [
            ("Coherence c_npmi (mean)", c.mean.c_npmi),
            ("Coherence c_v (mean)", c.mean.c_v),
            ("Coherence u_mass (mean)", c.mean.u_mass),
            ("Topic diversity", c.diversity),
        ] {
            let _ = writeln!(h, "<tr><th>{k}</th><td>{v:.4}</td></tr>");
        }
    }
    h.push_str("</tbody></table>\n");
    if !r.timings.is_empty() {
        h.push_str("<table class=\"kv\"><caption>Time per stage</caption><tbody>\n");
        let mut total = 0.0;
        for t in &r.timings {
            total += t.seconds;
            let _ = writeln!(
                h,
                "<tr><th>{}</th><td>{:.3} s</td></tr>",
                esc(&t.stage),
                t.seconds
            );
        }
        let _ = writeln!(
            h,
            "<tr class=\"total\"><th>total</th><td>{total:.3} s</td></tr>"
        );
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</div>\n");
    if !r.warnings.is_empty() {
        let _ = writeln!(
            h,
            "<details class=\"warnings\"><summary>{} warning{}</summary><ul>",
            r.warnings.len(),
            if r.warnings.len() == 1 { "" } else { "s" }
        );
        for w in &r.warnings {
            let _ = writeln!(h, "<li>{}</li>", esc(w));
        }
        h.push_str("</ul></details>\n");
    }
    h.push_str("</section>\n");
}

fn article_name(a: &ArticleInfo) -> &str {
    crate::chart::article_display_name(a)
}

/// The report's units by id: a unit is usually at its id in `units`; an index, built once, finds
/// the first unit with an id when some sit elsewhere, instead of a scan per lookup.
struct Units<'a> {
    units: &'a [UnitRecord],
    /// Position of the first unit with each id; left empty when every unit sits at its id.
    by_id: HashMap<usize, usize>,
}

impl<'a> Units<'a> {
    fn new(units: &'a [UnitRecord]) -> Self {
        let mut by_id = HashMap::new();
        if units.iter().enumerate().any(|(i, u)| u.id != i) {
            for (i, u) in units.iter().enumerate() {
                by_id.entry(u.id).or_insert(i);
            }
        }
        Units { units, by_id }
    }

    fn get(&self, id: usize) -> Option<&'a UnitRecord> {
        match self.units.get(id) {
            Some(u) if u.id == id => Some(u),
            _ => self.by_id.get(&id).map(|&i| &self.units[i]),
        }
    }
}

fn themes(h: &mut String, r: &RunReport, units: &Units) {
    h.push_str("<section id=\"themes\"><h2>Themes</h2>\n");
    let total: usize = r.themes.iter().map(|t| t.size).sum();
    for t in &r.themes {
        let pct = if total > 0 {
            100.0 * t.size as f64 / total as f64
        } else {
            0.0
        };
        let _ = write!(
            h,
            "<article class=\"theme\" id=\"theme-{}\" style=\"--c:{}\">\n<h3><span class=\"sw\"></span>{}",
            t.id,
            theme_color(t.id),
            esc(&t.label)
        );
        if let Some(n) = &t.named {
            let _ = write!(
                h,
                " <span class=\"badge\" title=\"configured theme\">{}</span>",
                esc(n)
            );
        }
        let mut coherence = String::new();
        if let Some(tc) = &t.coherence {
            let _ = write!(
                coherence,
                " · <span title=\"gensim's c_npmi of the top terms; c_v {:.3}, u_mass {:.3}\">coherence {:.3}</span>",
                tc.c_v, tc.u_mass, tc.c_npmi
            );
            if let Some(c) = r.coherence.as_ref().filter(|c| c.is_low(tc)) {
                let _ = write!(
                    h,
                    " <span class=\"badge low\" title=\"c_npmi below {}: its top terms occur together little more than chance would have them\">low coherence</span>",
                    c.low_coherence
                );
            }
        }
        let _ = writeln!(
            h,
            "</h3>\n<p class=\"meta\">Theme {} · {} passages ({pct:.1}%) · cohesion {:.3}{coherence}</p>",
            t.id + 1,
            num(t.size),
            t.cohesion
        );
        if !t.terms.is_empty() {
            let wmax = t.terms.iter().map(|w| w.weight).fold(0.0f32, f32::max);
            h.push_str("<ul class=\"terms\">");
            for w in &t.terms {
                let frac = if wmax > 0.0 && w.weight.is_finite() {
                    (w.weight / wmax).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let _ = write!(
                    h,
                    "<li title=\"c-TF-IDF weight {:.4}\" style=\"--w:{:.0}%\">{}</li>",
                    w.weight,
                    frac * 100.0,
                    esc(&w.term)
                );
            }
            h.push_str("</ul>\n");
        }
        if !t.representatives.is_empty() {
            h.push_str("<h4>Best passages</h4>\n");
            for &id in &t.representatives {
                let Some(u) = units.get(id) else { continue };
                let from = r.articles.get(u.article).map_or_else(
                    || format!("article {}", u.article),
                    |a| article_name(a).to_string(),
                );
                let _ = writeln!(
                    h,
                    "<blockquote><p>{}</p><footer>— <a href=\"#article-{}\">{}</a>, passage {}</footer></blockquote>",
                    esc(&ellipsize(&u.text, MAX_QUOTE_CHARS)),
                    u.article,
                    esc(&from),
                    u.ordinal.saturating_add(1)
                );
            }
        }
        if !t.articles.is_empty() {
            h.push_str("<p class=\"runs\">Runs through: ");
            let shown = t.articles.len().min(8);
            for (i, (a, n)) in t.articles.iter().take(shown).enumerate() {
                if i > 0 {
                    h.push_str(", ");
                }
                let name = r
                    .articles
                    .get(*a)
                    .map_or_else(|| format!("article {a}"), |x| article_name(x).to_string());
                let _ = write!(
                    h,
                    "<a href=\"#article-{a}\">{}</a> ({n})",
                    esc(&ellipsize(&name, 60))
                );
            }
            if t.articles.len() > shown {
                let _ = write!(h, " and {} more", num(t.articles.len() - shown));
            }
            h.push_str("</p>\n");
        }
        h.push_str("</article>\n");
    }
    h.push_str("</section>\n");
}

fn articles(h: &mut String, r: &RunReport, units: &Units) {
    h.push_str("<section id=\"articles\"><h2>Articles × themes</h2>\n");
    let na = r.articles.len();
    // Columns: every theme, or the largest MAX_TABLE_THEMES (in id order), as the charts do.
    let k = r.themes.len();
    let cols = r.largest_themes(MAX_TABLE_THEMES);
    if cols.len() < k {
        let _ = writeln!(
            h,
            "<p class=\"note\">The {} largest of {} themes; <code>run.json</code> has every article's share in each.</p>",
            num(cols.len()),
            num(k)
        );
    }
    let rows: Vec<usize> = if na > MAX_TABLE_ARTICLES {
        let mut keep = r.largest_articles(MAX_TABLE_ARTICLES);
        // Quoted passages link here, so their articles must have rows.
        for t in cols.iter().map(|&j| &r.themes[j]) {
            for &id in &t.representatives {
                if let Some(u) = units.get(id).filter(|u| u.article < na) {
                    keep.push(u.article);
                }
            }
        }
        keep.sort_unstable();
        keep.dedup();
        let _ = writeln!(
            h,
            "<p class=\"note\">The {} articles with the most passages (and those quoted above), of {}; <code>run.json</code> has them all.</p>",
            num(keep.len()),
            num(na)
        );
        keep
    } else {
        (0..na).collect()
    };
    h.push_str("<p class=\"note\">Share of each article's passages in each theme.</p>\n");
    h.push_str("<div class=\"scroll\"><table class=\"mix\"><thead><tr><th class=\"name\">Article</th><th class=\"num\">Passages</th>");
    for t in cols.iter().map(|&j| &r.themes[j]) {
        let _ = write!(
            h,
            "<th class=\"th\" title=\"{}\" style=\"--c:{}\"><span class=\"sw\"></span>{}</th>",
            esc(&t.label),
            theme_color(t.id),
            esc(&ellipsize(&t.label, 28))
        );
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for &i in &rows {
        let a = &r.articles[i];
        let name = article_name(a);
        let _ = write!(
            h,
            "<tr id=\"article-{i}\"><th class=\"name\" title=\"{}\">{}</th><td class=\"num\">{}</td>",
            esc(&a.source),
            esc(&ellipsize(name, 90)),
            num(a.units)
        );
        for &j in &cols {
            let v = a
                .mix
                .get(j)
                .copied()
                .filter(|v| v.is_finite())
                .unwrap_or(0.0)
                .clamp(0.0, 1.0);
            if v <= 0.0 {
                h.push_str("<td class=\"z\">·</td>");
            } else {
                let _ = write!(h, "<td style=\"--s:{:.3}\">{:.0}%</td>", v, v * 100.0);
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n</section>\n");
}

fn chart_caption(name: &str) -> &'static str {
    match name {
        "theme_map" => "Theme map: every passage in the 2-D projection, coloured by theme.",
        "top_terms" => "Top terms: the most distinctive terms of each theme.",
        "theme_sizes" => "Theme sizes: passages per theme.",
        "article_theme_heatmap" => {
            "Themes per article: share of each article's passages in each theme."
        }
        "theme_similarity" => "Theme similarity: cosine similarity between theme centroids.",
        "dendrogram" => "Theme hierarchy: how the themes group together.",
        "k_selection" => "Choosing k: silhouette and inertia for each number of themes tried.",
        "themes_over_time" => {
            "Themes over time: each theme's share of the passages in each time bin."
        }
        _ => "",
    }
}

fn charts(h: &mut String, dir: &Path) -> Result<()> {
    let mut figures = String::new();
    for name in all_chart_names() {
        let svg = dir.join(format!("{name}.svg"));
        let png = dir.join(format!("{name}.png"));
        let body = if svg.is_file() {
            let text = std::fs::read_to_string(&svg).map_err(|e| Error::io(&svg, e))?;
            // Inline the <svg> element itself, without any XML prologue.
            let start = text
                .find("<svg")
                .ok_or_else(|| Error::Internal(format!("{}: no <svg> element", svg.display())))?;
            format!(
                "<div class=\"chart\" role=\"img\" aria-label=\"{}\">{}</div>",
                esc(chart_caption(name)),
                text[start..].trim_end()
            )
        } else if png.is_file() {
            let data = std::fs::read(&png).map_err(|e| Error::io(&png, e))?;
            format!(
                "<img class=\"chart\" alt=\"{}\" src=\"data:image/png;base64,{}\">",
                esc(chart_caption(name)),
                base64(&data)
            )
        } else {
            continue;
        };
        let _ = writeln!(
            figures,
            "<figure id=\"chart-{name}\">{body}<figcaption>{}</figcaption></figure>",
            esc(chart_caption(name))
        );
    }
    if !figures.is_empty() {
        h.push_str("<section id=\"charts\"><h2>Charts</h2>\n");
        h.push_str(&figures);
        h.push_str("</section>\n");
    }
    Ok(())
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn esc(s: &str) -> String {
    escape(s)
}

fn num(n: usize) -> String {
    crate::chart::group_thousands(n as i64)
}

/// A measurement with about four significant digits: `50.30`, `12,345`.
fn decimal(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.abs() >= 1000.0 {
        return crate::chart::group_thousands(v.round() as i64);
    }
    let digits = if v.abs() >= 100.0 {
        1
    } else if v.abs() >= 10.0 {
        2
    } else {
        3
    };
    format!("{v:.digits$}")
}

fn bytes(n: usize) -> String {
    let f = n as f64;
    if f >= 1e9 {
        format!("{:.1} GB", f / 1e9)
    } else if f >= 1e6 {
        format!("{:.1} MB", f / 1e6)
    } else if f >= 1e3 {
        format!("{:.1} kB", f / 1e3)
    } else {
        format!("{n} bytes")
    }
}

/// Standard base64 (RFC 4648) with padding.
fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

const CSS: &str = r#"
:root{--fg:#1f2328;--muted:#59636e;--line:#d8dee4;--bg:#ffffff;--soft:#f6f8fa;--accent:#0072b2}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:var(--fg);background:var(--bg);font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans","Helvetica Neue",Arial,sans-serif}
.wrap{max-width:1180px;margin:0 auto;padding:0 24px}
header.top{background:linear-gradient(180deg,#f3f6fa,#ffffff);border-bottom:1px solid var(--line);padding:28px 0 14px}
h1{font-size:2rem;line-height:1.2;margin:0 0 4px}
.lede{color:var(--muted);margin:0 0 14px;font-size:1.05rem}
nav a{display:inline-block;margin-right:18px;color:var(--accent);text-decoration:none;font-weight:600}
nav a:hover{text-decoration:underline}
h2{font-size:1.45rem;margin:40px 0 14px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:1.2rem;margin:0 0 2px;display:flex;align-items:center;gap:10px;flex-wrap:wrap}
h4{font-size:.95rem;margin:14px 0 6px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
a{color:var(--accent)}
code{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.9em;background:var(--soft);padding:1px 4px;border-radius:4px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:12px;margin:0 0 16px}
.card{background:var(--soft);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.card .v{font-size:1.6rem;font-weight:700;line-height:1.2}
.card .l{color:var(--muted);font-size:.9rem}
.cols{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
table{border-collapse:collapse}
table.kv{min-width:260px}
table.kv caption{text-align:left;font-weight:700;padding:0 0 4px}
table.kv th{text-align:left;font-weight:400;color:var(--muted);padding:3px 18px 3px 0}
table.kv td{text-align:right;font-variant-numeric:tabular-nums;padding:3px 0}
table.kv tr{border-bottom:1px solid var(--soft)}
table.kv tr.total th,table.kv tr.total td{font-weight:700;color:var(--fg)}
details.warnings{margin:16px 0;background:#fff8e6;border:1px solid #f0d9a0;border-radius:8px;padding:8px 14px}
details.warnings summary{cursor:pointer;font-weight:600}
.theme{border:1px solid var(--line);border-left:6px solid var(--c);border-radius:10px;padding:16px 20px;margin:0 0 16px;background:#fff}
.sw{display:inline-block;width:14px;height:14px;border-radius:50%;background:var(--c);border:1px solid rgba(0,0,0,.35);flex:none}
.badge{font-size:.75rem;font-weight:600;background:var(--soft);border:1px solid var(--line);border-radius:999px;padding:1px 9px;color:var(--muted)}
.badge.low{color:#8a4b00;background:#fff4e0;border-color:#e8c58f}
.meta{color:var(--muted);margin:0 0 10px;font-size:.92rem}
ul.terms{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:6px}
ul.terms li{position:relative;overflow:hidden;border:1px solid var(--line);border-radius:6px;padding:2px 10px;font-size:.92rem;background:linear-gradient(90deg,color-mix(in srgb,var(--c) 28%,#fff) var(--w),#fff var(--w))}
blockquote{margin:8px 0;padding:8px 14px;border-left:3px solid var(--c);background:var(--soft);border-radius:0 8px 8px 0}
blockquote p{margin:0 0 4px;overflow-wrap:anywhere}
blockquote footer{font-size:.88rem;color:var(--muted)}
.runs{font-size:.92rem;color:var(--muted);margin:10px 0 0}
.note{color:var(--muted);font-size:.92rem}
.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:10px}
table.mix{width:100%;font-size:.9rem;font-variant-numeric:tabular-nums}
table.mix th,table.mix td{padding:5px 8px;border-bottom:1px solid #eef1f4;text-align:center;white-space:nowrap}
table.mix thead th{position:sticky;top:0;background:#fff;border-bottom:2px solid var(--line);font-weight:600;vertical-align:bottom;white-space:normal;min-width:96px;max-width:150px;font-size:.82rem;line-height:1.3}
table.mix thead th .sw{width:10px;height:10px;margin-right:4px;vertical-align:middle}
table.mix th.name{text-align:left;font-weight:400;max-width:420px;overflow:hidden;text-overflow:ellipsis;position:sticky;left:0;background:#fff;z-index:1}
table.mix thead th.name{z-index:2}
table.mix td.num{color:var(--muted)}
table.mix td[style]{background:rgba(0,114,178,calc(var(--s) * .85));color:#111}
table.mix td.z{color:#c0c6cc}
table.mix tr:target{outline:3px solid #e69f00;outline-offset:-3px}
table.mix tbody tr:hover{background:#fafbfc}
figure{margin:0 0 32px;padding:16px;border:1px solid var(--line);border-radius:12px;background:#fff}
figure .chart{display:block;max-width:100%;height:auto;margin:0 auto}
figure .chart svg{display:block;max-width:100%;height:auto;margin:0 auto}
figcaption{color:var(--muted);font-size:.92rem;margin-top:8px;text-align:center}
footer.wrap{color:var(--muted);font-size:.85rem;padding-top:24px;padding-bottom:40px;border-top:1px solid var(--line);margin-top:40px}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_characters() {
        assert_eq!(
            escape(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn units_are_found_by_id_wherever_they_sit() {
        let text = std::fs::read_to_string("tests/fixtures/run_sample.json").unwrap();
        let report: RunReport = serde_json::from_str(&text).unwrap();
        let mut shuffled = report.units.clone();
        shuffled.reverse();
        shuffled.push(shuffled[0].clone());
        for list in [&report.units, &shuffled] {
            let units = Units::new(list);
            for u in &report.units {
                assert_eq!(units.get(u.id).map(|x| x.id), Some(u.id));
                assert_eq!(units.get(u.id).map(|x| &x.text), Some(&u.text));
            }
            assert!(units.get(report.units.len() + 5).is_none());
        }
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
